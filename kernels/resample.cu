// CUDA half of resample: the launch shell's kernel for resample_index_op (resample.hpp), and the
// device form with edge tables.
//
// On the spot, each target pixel costs some five double exp() (its two edges, the input edges
// it overlaps, 1+z in the rest frame): ncu found the kernel compute-bound (SM 70%, DRAM 12% on an
// H200). So the device fills the edge tables first, with the functor the CPU path runs too
// (resample_edge_table_op, resample.hpp), and the pixels read them (they stay in L1/L2).
#include <cuda_runtime.h>

#include <cstdint>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.cuh"
#include "kernels/resample.hpp"

SPECMILL_INSTANTIATE_FOR_EACH(specmill::detail::resample_index_op);

namespace specmill::detail {
namespace {

// The device's default pool hands freed memory back to the driver at each synchronisation
// unless told to keep some; then every call allocates afresh. Measured on an H200: the call took
// ~48 us more than its two kernels that way (113 us resample, 2 us tables). 64 MiB is kept.
void keep_freed_scratch_in_pool() {
  static const bool kept = [] {
    int device = 0;
    SPECMILL_CUDA_TRY(cudaGetDevice(&device));
    cudaMemPool_t pool = nullptr;
    SPECMILL_CUDA_TRY(cudaDeviceGetDefaultMemPool(&pool, device));
    uint64_t keep = uint64_t(64) << 20;
    SPECMILL_CUDA_TRY(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep));
    return true;
  }();
  (void)kept;
}

// Stream-ordered scratch from that pool: freed on the stream after the kernels that read it,
// also when a launch throws.
class stream_scratch {
 public:
  stream_scratch(size_t bytes, cudaStream_t s) : s_(s) {
    keep_freed_scratch_in_pool();
    SPECMILL_CUDA_TRY(cudaMallocAsync(&p_, bytes, s_));
  }
  ~stream_scratch() { cudaFreeAsync(p_, s_); }
  stream_scratch(const stream_scratch&) = delete;
  stream_scratch& operator=(const stream_scratch&) = delete;
  double* data() const { return static_cast<double*>(p_); }

 private:
  void* p_ = nullptr;
  cudaStream_t s_;
};

}  // namespace

void resample_device_tabled(const resample_pixel_op& untabled, cuda_stream_view stream) {
  const size_t n = untabled.in.n_spectra * size_t(untabled.n_out);
  if (n == 0) return;
  resample_edge_table_op fill{untabled, nullptr};
  stream_scratch tables(fill.size() * sizeof(double), static_cast<cudaStream_t>(stream.handle()));
  fill.tables = tables.data();
  for_each_index_cuda(fill.indices(), fill, stream);
  for_each_index_cuda(n, resample_index_op{fill.attach()}, stream);
}

}  // namespace specmill::detail
