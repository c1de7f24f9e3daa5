// CUDA backend of scale_copy: a grid-stride kernel calling scale_op (scale_copy.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/cuda_launch.hpp"
#include "kernels/scale_copy.hpp"

namespace specmill {
namespace {

constexpr int block_threads = 256;

// Memory-bound: 16-byte loads and stores (float4) when both arrays are 16-byte aligned, which
// cudaMalloc'd buffers are; the ragged tail and misaligned arrays take the scalar kernel.
__global__ void scale_copy_vec4(const float4* in, float4* out, size_t n4,
                                scale_op op) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n4; i += stride) {
    const float4 v = in[i];
    out[i] = make_float4(op(v.x), op(v.y), op(v.z), op(v.w));
  }
}

// No __restrict__ on either kernel: in-place calls (in == out) are allowed.
__global__ void scale_copy_scalar(const float* in, float* out, size_t n, scale_op op) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) out[i] = op(in[i]);
}

int grid_for(size_t work) { return detail::grid_blocks((work + block_threads - 1) / block_threads, 8); }

}  // namespace

void scale_copy_device(const float* in, float* out, size_t n, float a, cuda_stream_view stream) {
  if (n == 0) return;
  const scale_op op{a};
  const auto s = static_cast<cudaStream_t>(stream.handle());
  const bool aligned = (reinterpret_cast<std::uintptr_t>(in) % 16 == 0) &&
                       (reinterpret_cast<std::uintptr_t>(out) % 16 == 0);
  size_t done = 0;
  if (aligned && n >= 4) {
    // Element i of the float4 view is read and written by the same thread, so in == out is safe.
    const size_t n4 = n / 4;
    scale_copy_vec4<<<grid_for(n4), block_threads, 0, s>>>(reinterpret_cast<const float4*>(in),
                                                          reinterpret_cast<float4*>(out), n4, op);
    SPECMILL_CUDA_CHECK_LAUNCH();
    done = n4 * 4;
  }
  if (done < n) {
    scale_copy_scalar<<<grid_for(n - done), block_threads, 0, s>>>(in + done, out + done, n - done, op);
    SPECMILL_CUDA_CHECK_LAUNCH();
  }
}

}  // namespace specmill
