#pragma once
// Error checks around CUDA runtime calls (STYLE.md rule 4). Include only from .cu files (or
// code built only when SPECMILL_WITH_CUDA is set): it pulls in cuda_runtime.h.
//
//   SPECMILL_CUDA_TRY(cudaMemcpy(...));   // throws cuda_error("cudaMemcpy(...) failed: <text> at file:line")
//   kernel<<<grid, block, 0, s>>>(...);
//   SPECMILL_CUDA_CHECK_LAUNCH();          // launch-configuration errors, reported at the launch site
#include <cuda_runtime.h>

#include <string>

#include "core/error.hpp"

namespace specmill::detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file,
                                          int line) {
  // A failed call leaves a sticky "last error" behind; clear it so the next check reports its
  // own failure (sticky context corruption errors stay set regardless).
  cudaGetLastError();
  throw cuda_error(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" +
                   cudaGetErrorString(status) + ") at " + file + ":" + std::to_string(line));
}

}  // namespace specmill::detail

#define SPECMILL_CUDA_TRY(call)                                                     \
  do {                                                                              \
    const cudaError_t specmill_cuda_status_ = (call);                               \
    if (specmill_cuda_status_ != cudaSuccess)                                       \
      ::specmill::detail::throw_cuda_error(specmill_cuda_status_, #call, __FILE__,  \
                                           __LINE__);                               \
  } while (0)

// After every kernel launch: reports bad launch configurations (too many threads, too much
// shared memory) here, where the launch is, rather than at the next unrelated call. Faults
// inside the kernel surface at the next synchronising call.
#define SPECMILL_CUDA_CHECK_LAUNCH() SPECMILL_CUDA_TRY(cudaGetLastError())
