#pragma once
// Error checks around CUDA runtime calls (STYLE.md rule 5). Include only from .cu files (or
// code built only when SPECMILL_WITH_CUDA is set): it pulls in cuda_runtime.h.
//
//   SPECMILL_CUDA_TRY(cudaMemcpy(...));   // throws cuda_error("cudaMemcpy(...) failed: <name> (<text>)")
//   kernel<<<grid, block, 0, s>>>(...);
//   SPECMILL_CUDA_CHECK_LAUNCH();          // after every launch
//
// The cuda_error carries the runtime's code (cuda_status(e)) and the call site in where(), for
// the log; what() names the call and the runtime's text only.
#include <cuda_runtime.h>

#include <string>

#include "core/error.hpp"

namespace specmill {

// The cudaError_t of a cuda_error (core keeps it as an int so that it needs no CUDA header).
inline cudaError_t cuda_status(const cuda_error& e) noexcept { return static_cast<cudaError_t>(e.code()); }

namespace detail {

[[noreturn]] inline void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  // A failed call leaves a sticky "last error" behind; clear it so the next check reports its
  // own failure (sticky context corruption errors stay set regardless).
  cudaGetLastError();
  throw cuda_error(std::string(call) + " failed: " + cudaGetErrorName(status) + " (" + cudaGetErrorString(status) + ")",
                   static_cast<int>(status), source_location{file, line});
}

}  // namespace detail
}  // namespace specmill

#define SPECMILL_CUDA_TRY(call)                                                                        \
  do {                                                                                                 \
    const cudaError_t specmill_cuda_status_ = (call);                                                  \
    if (specmill_cuda_status_ != cudaSuccess)                                                          \
      ::specmill::detail::throw_cuda_error(specmill_cuda_status_, #call, __FILE__, __LINE__);          \
  } while (0)

// After every kernel launch. cudaGetLastError reports a bad launch configuration (too many
// threads, too much shared memory) here, where the launch is. A fault inside the kernel is
// asynchronous: in release builds it surfaces at the next synchronising call, which may be far
// from its cause; debug builds (NDEBUG not defined) synchronise the device here so that it is
// reported at the launch that caused it, at the cost of serialising every launch.
#ifdef NDEBUG
#define SPECMILL_CUDA_CHECK_LAUNCH() SPECMILL_CUDA_TRY(cudaGetLastError())
#else
#define SPECMILL_CUDA_CHECK_LAUNCH()              \
  do {                                            \
    SPECMILL_CUDA_TRY(cudaGetLastError());        \
    SPECMILL_CUDA_TRY(cudaDeviceSynchronize());   \
  } while (0)
#endif
