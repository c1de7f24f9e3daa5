#pragma once
// Launch geometry shared by the CUDA files (include from .cu only).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>

#include "kernels/launch/cuda_check.hpp"

namespace specmill::detail {

// Blocks for a grid-stride kernel: the blocks the work wants, capped at `per_sm` blocks per
// multiprocessor of the current device. Past a few waves more blocks only add scheduling; the
// grid-stride loop covers the rest, so the grid never grows with the input beyond that.
inline int grid_blocks(size_t wanted, int per_sm) {
  int device = 0, sms = 0;
  SPECMILL_CUDA_TRY(cudaGetDevice(&device));
  SPECMILL_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return int(std::max<size_t>(1, std::min<size_t>(wanted, size_t(sms) * size_t(per_sm))));
}

}  // namespace specmill::detail
