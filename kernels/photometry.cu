// CUDA backend of synthetic photometry: one thread block per (spectrum, band), each thread
// summing photometry_pixel_op (photometry.hpp) over a strided share of the band's pixels, then a
// CUB block reduction in double and finish_band on thread 0.
#include <cuda_runtime.h>

#include <algorithm>
#include <cub/block/block_reduce.cuh>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.cuh"
#include "kernels/photometry.hpp"

namespace specmill {
namespace {

// A band spans ~1,000-4,000 lattice pixels: 128 threads give each 8-30 pixels, enough to hide
// load latency, and leave room for many resident blocks per multiprocessor.
constexpr int block_threads = 128;

struct sums_plus {
  __device__ photometry_sums operator()(const photometry_sums& a, const photometry_sums& b) const { return a + b; }
};

__global__ void __launch_bounds__(block_threads)
    photometry_kernel(photometry_input in, band_table_view bands, photometry_params params, band_flux* out) {
  using block_reduce = cub::BlockReduce<photometry_sums, block_threads>;
  __shared__ typename block_reduce::TempStorage scratch;
  const photometry_pixel_op op{in.flux,        in.ivar,           params.and_mask_bits ? in.and_mask : nullptr,
                               params.and_mask_bits, bands.flux_weight, bands.norm_weight};
  const size_t pairs = in.n_spectra * bands.n_bands;
  // Grid-stride over (spectrum, band) pairs: the grid stays bounded however many spectra.
  for (size_t pair = blockIdx.x; pair < pairs; pair += gridDim.x) {
    const size_t i = pair / bands.n_bands, k = pair % bands.n_bands;
    const band_overlap o = overlap_of(in, i, bands, k);
    photometry_sums s;
    for (int64_t j = threadIdx.x; j < o.count; j += block_threads) s += op(o.pixel + j, o.weight + j);
    const photometry_sums total = block_reduce(scratch).Reduce(s, sums_plus{});
    if (threadIdx.x == 0) out[pair] = finish_band(total, bands.norm_total[k], params);
    __syncthreads();  // scratch is reused by the next pair
  }
}

int grid_for(size_t pairs) { return detail::grid_blocks(pairs, 32); }  // a block per pair

}  // namespace

void synthetic_photometry_device(const photometry_input& in, const band_table_view& bands,
                                 const photometry_params& params, band_flux* out, cuda_stream_view stream) {
  const size_t pairs = in.n_spectra * bands.n_bands;
  if (pairs == 0) return;
  const auto s = static_cast<cudaStream_t>(stream.handle());
  photometry_kernel<<<grid_for(pairs), block_threads, 0, s>>>(in, bands, params, out);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill
