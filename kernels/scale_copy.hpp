#pragma once
// scale_copy: out[i] = a * in[i]. The smoke operation that shows the shape every kernel follows
// (STYLE.md rule 1): the per-element functor below, a TBB loop in scale_copy.cpp and a CUDA
// kernel in scale_copy.cu calling the same functor, and one public entry taking a backend. Both
// loops are the launch shell's (kernels/launch/for_each.hpp); scale_copy.cu only instantiates it.
#include <cstddef>

#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

// NaN-safe by plain IEEE arithmetic: a NaN input (a masked pixel) stays NaN whatever `a` is,
// including a == 0, and a NaN `a` makes every output NaN. The product is one correctly rounded
// float multiply, so both backends give bit-identical results (no -ffast-math / --use_fast_math
// on these files: those would let the compiler assume no NaNs and flush denormals).
struct scale_op {
  float a;
  SPECMILL_HOST_DEVICE float operator()(float x) const { return a * x; }
};

namespace detail {
// scale_op over arrays, one index a call: what for_each_index runs on either backend.
struct scale_copy_index_op {
  const float* in;
  float* out;
  scale_op f;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const { out[i] = f(in[i]); }
};

// scale_op on elements 4i .. 4i+3, one index a call. On the device that is one 16-byte load and
// one 16-byte store (float4): the op is memory-bound, and wide accesses need a quarter of the
// memory instructions. `in` and `out` must be 16-byte aligned (scale_copy_device checks; the
// scalar op above takes misaligned arrays and the tail). The host compile does the four
// elements one by one, so the functor means the same on both sides.
struct scale_copy4_index_op {
  const float* in;
  float* out;
  scale_op f;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
#if defined(__CUDA_ARCH__)
    // Read before write by the same thread: in place (in == out) is safe.
    const float4 v = reinterpret_cast<const float4*>(in)[i];
    reinterpret_cast<float4*>(out)[i] = make_float4(f(v.x), f(v.y), f(v.z), f(v.w));
#else
    for (size_t k = 4 * i; k < 4 * i + 4; ++k) out[k] = f(in[k]);
#endif
  }
};
}  // namespace detail

// out[i] = a * in[i] for i < n. `in` and `out` may be the same array (in place), otherwise they
// must not overlap.
//
// backend::cpu: TBB parallel loop over host memory.
// backend::cuda: `in` and `out` are HOST pointers; the data is staged through device memory
//   (one device_buffer, copy in, kernel, copy out) and the call returns when `out` is written.
//   Convenient for tests and small jobs; pipelines keep data on the device and call
//   scale_copy_device. n == 0 does nothing. Throws cuda_error when the build has no CUDA
//   ("CUDA support not compiled into this build", whatever n is) or when no device is usable.
void scale_copy(backend b, const float* in, float* out, size_t n, float a);

// The device-resident form: `in` and `out` are device pointers; the kernel is queued on `stream`
// and the call returns without waiting. When both are 16-byte aligned (cudaMalloc memory is) the
// first n / 4 * 4 elements go through scale_copy4_index_op, the rest (and misaligned arrays)
// through the scalar op. Throws cuda_error without CUDA.
void scale_copy_device(const float* in, float* out, size_t n, float a, cuda_stream_view stream = {});

}  // namespace specmill
