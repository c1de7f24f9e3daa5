#pragma once
// Per-element math is written once, as functors marked SPECMILL_HOST_DEVICE, and called from
// both the CUDA kernels (nvcc) and the TBB loops (g++).
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define SPECMILL_HOST_DEVICE __host__ __device__
#else
#define SPECMILL_HOST_DEVICE
#endif

namespace specmill {

// Bit casts of a float that both nvcc (device) and g++ accept (std::bit_cast is not a device
// function): the good-pixel rule and the stack's sort keys compare float bits as integers.
SPECMILL_HOST_DEVICE inline uint32_t float_bits(float v) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(v);
#else
  uint32_t u;
  std::memcpy(&u, &v, 4);
  return u;
#endif
}
SPECMILL_HOST_DEVICE inline float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float v;
  std::memcpy(&v, &u, 4);
  return v;
#endif
}

}  // namespace specmill
