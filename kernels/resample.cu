// CUDA backend of resample: one thread per output pixel (row, k), grid-stride, calling
// resample_pixel_op (resample.hpp).
//
// Why a thread per output pixel rather than a warp per row: neighbouring threads then handle
// neighbouring target pixels of one row, so they read neighbouring input pixels (coalesced, and
// the same cache lines for the pixels two target pixels share) and write consecutive outputs.
// The work per thread is a handful of FP64 exp() calls plus one to a few hundred overlap terms
// (coarse grids), about the same for every thread of a row, so no warp-level split is needed.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/cuda_launch.hpp"
#include "kernels/resample.hpp"

namespace specmill {
namespace {

constexpr int block_threads = 256;

__global__ void resample_kernel(resample_pixel_op op, size_t total) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const size_t n_out = size_t(op.n_out);
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride)
    op(i / n_out, int64_t(i % n_out));
}

int grid_for(size_t work) { return detail::grid_blocks((work + block_threads - 1) / block_threads, 16); }

}  // namespace

void resample_device(const lattice_batch& in, const wavelength_grid& grid, int32_t mask_bits,
                     const resampled_batch& out, cuda_stream_view stream) {
  resample_range_device(in, grid, 0, -1, mask_bits, out, stream);
}

void resample_range_device(const lattice_batch& in, const wavelength_grid& grid, int64_t first, int64_t count,
                           int32_t mask_bits, const resampled_batch& out, cuda_stream_view stream) {
  const resample_pixel_op op = detail::make_resample_op(in, grid, first, count, mask_bits, out);
  const size_t total = in.n_spectra * size_t(op.n_out);
  if (total == 0) return;
  const auto s = static_cast<cudaStream_t>(stream.handle());
  resample_kernel<<<grid_for(total), block_threads, 0, s>>>(op, total);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill
