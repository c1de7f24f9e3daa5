#include <cuda_runtime.h>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {

bool cuda_compiled() { return true; }

int cuda_device_count() {
  int n = 0;
  // No driver or no device is a normal state on CPU machines (CI): report 0, not an error.
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
}

std::vector<cuda_device_info> cuda_devices() {
  std::vector<cuda_device_info> out;
  const int n = cuda_device_count();
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    cuda_device_info d;
    d.ordinal = i;
    d.name = p.name;
    d.major = p.major;
    d.minor = p.minor;
    d.global_memory_bytes = p.totalGlobalMem;
    d.multiprocessors = p.multiProcessorCount;
    int clock_khz = 0, bus_bits = 0;
    cudaDeviceGetAttribute(&clock_khz, cudaDevAttrMemoryClockRate, i);
    cudaDeviceGetAttribute(&bus_bits, cudaDevAttrGlobalMemoryBusWidth, i);
    d.memory_bandwidth_gbs = 2.0 * clock_khz * 1e3 * (bus_bits / 8.0) / 1e9;
    out.push_back(d);
  }
  return out;
}

void require_cuda_device() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw cuda_error(std::string("no usable CUDA device: ") + cudaGetErrorString(e));
  }
  if (n == 0) throw cuda_error("no CUDA device present");
}

}  // namespace specmill
