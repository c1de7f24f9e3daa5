#pragma once
// The device half of the launch shell (kernels/launch/for_each.hpp) and the one launch
// geometry every CUDA file uses. Include from .cu files only: it pulls in cuda_runtime.h.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill::detail {

// 256 threads: 8 resident blocks fill a Hopper multiprocessor (2,048 threads), and every
// kernel of the project is memory- or FP64-bound, not register-bound.
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

// One thread per index for n indices: one full wave of 256-thread blocks at most.
inline int for_each_blocks(size_t n) {
  return grid_blocks((n + for_each_block_threads - 1) / for_each_block_threads, 8);
}

// No __restrict__ and no shared memory: an op may work in place, and each index is independent.
template <class Op>
__global__ void for_each_index_kernel(size_t n, Op op) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) op(i);
}

template <class Op>
void for_each_index_cuda(size_t n, const Op& op, cuda_stream_view stream) {
  if (n == 0) return;
  // The functor travels as a kernel parameter (constant memory: a table in it is a broadcast).
  static_assert(sizeof(Op) <= 4096, "for_each_index: functor too large for a kernel parameter");
  for_each_index_kernel<Op><<<for_each_blocks(n), for_each_block_threads, 0,
                              static_cast<cudaStream_t>(stream.handle())>>>(n, op);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill::detail

// In an op's .cu file, at namespace scope: the CUDA half of for_each_index for that functor.
#define SPECMILL_INSTANTIATE_FOR_EACH(...)                                                  \
  template void ::specmill::detail::for_each_index_cuda<__VA_ARGS__>(size_t, const __VA_ARGS__&, \
                                                                     ::specmill::cuda_stream_view)
