#pragma once
// CUDA device discovery. Always declared; without CUDA compiled in, cuda_device_count() is 0
// and require_cuda_device() throws cuda_error("CUDA support not compiled into this build").
#include <cstddef>
#include <string>
#include <vector>

namespace specmill {

struct cuda_device_info {
  int ordinal = 0;
  std::string name;
  int major = 0, minor = 0;           // compute capability
  size_t global_memory_bytes = 0;
  int multiprocessors = 0;
  double memory_bandwidth_gbs = 0.0;  // theoretical, from clock and bus width
};

bool cuda_compiled();          // true when this build has the CUDA backend
int cuda_device_count();       // 0 when none (or no driver, or not compiled)
std::vector<cuda_device_info> cuda_devices();
void require_cuda_device();    // throws cuda_error naming why there is none

// The one place that says a build has no CUDA: throws
// cuda_error("CUDA support not compiled into this build") (kernels/launch/backend.cpp).
[[noreturn]] void throw_cuda_not_compiled();
// For host-pointer cuda forms that stage through device memory: throws as above without CUDA.
inline void require_cuda_compiled() {
  if (!cuda_compiled()) throw_cuda_not_compiled();
}

}  // namespace specmill
