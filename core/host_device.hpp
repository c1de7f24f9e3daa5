#pragma once
// Per-element math is written once, as functors marked SPECMILL_HOST_DEVICE, and called from
// both the CUDA kernels (nvcc) and the TBB loops (g++).
#if defined(__CUDACC__)
#define SPECMILL_HOST_DEVICE __host__ __device__
#else
#define SPECMILL_HOST_DEVICE
#endif
