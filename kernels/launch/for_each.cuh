#pragma once
// The device half of the launch shell (kernels/launch/for_each.hpp) and the one launch
// geometry every CUDA file uses. Include from .cu files only: it pulls in cuda_runtime.h.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill::detail {

// 256 threads: 8 resident blocks fill a Hopper multiprocessor (2,048 threads) where an op needs
// at most 32 registers a thread; heavier ops fit fewer blocks (for_each_blocks asks).
inline constexpr int for_each_block_threads = 256;

// Blocks for a grid-stride kernel: the blocks the work wants, capped at `per_sm` blocks per
// multiprocessor of the current device. Past a few waves more blocks only add scheduling; the
// grid-stride loop covers the rest, so the grid never grows with the input beyond that.
inline int grid_blocks(size_t wanted, int per_sm) {
  int device = 0, sms = 0;
  SPECMILL_CUDA_TRY(cudaGetDevice(&device));
  SPECMILL_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return int(std::max<size_t>(1, std::min<size_t>(wanted, size_t(sms) * size_t(per_sm))));
}

// No __restrict__ and no shared memory: an op may work in place, and each index is independent.
template <class Op>
__global__ void for_each_index_kernel(size_t n, Op op) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) op(i);
}

// Blocks of `kernel` (block_threads threads, no dynamic shared memory) that fit on one
// multiprocessor at once: its registers decide (8 for a light op; 3 for resample's 70 registers
// a thread, read by ncu on an H200).
template <class Kernel>
int resident_blocks_per_sm(Kernel kernel, int block_threads) {
  int per_sm = 0;
  SPECMILL_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, block_threads, 0));
  return std::max(per_sm, 1);
}

// One thread per index for n indices: one wave of the blocks that can be resident at once, and
// no more. A fixed 8 blocks per multiprocessor gave resample (3 resident) 2.67 waves, the last a
// third full: ncu put that tail at up to a third of its time.
template <class Op>
int for_each_blocks(size_t n) {
  static const int per_sm = resident_blocks_per_sm(for_each_index_kernel<Op>, for_each_block_threads);
  return grid_blocks((n + for_each_block_threads - 1) / for_each_block_threads, per_sm);
}

template <class Op>
void for_each_index_cuda(size_t n, const Op& op, cuda_stream_view stream) {
  if (n == 0) return;
  // The functor travels as a kernel parameter (constant memory: a table in it is a broadcast).
  static_assert(sizeof(Op) <= 4096, "for_each_index: functor too large for a kernel parameter");
  for_each_index_kernel<Op><<<for_each_blocks<Op>(n), for_each_block_threads, 0,
                              static_cast<cudaStream_t>(stream.handle())>>>(n, op);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill::detail

// In an op's .cu file, at namespace scope: the CUDA half of for_each_index for that functor.
#define SPECMILL_INSTANTIATE_FOR_EACH(...)                                                  \
  template void ::specmill::detail::for_each_index_cuda<__VA_ARGS__>(size_t, const __VA_ARGS__&, \
                                                                     ::specmill::cuda_stream_view)
