// CUDA backend of image_scale: one thread per output pixel (grid-stride), calling
// render_pixel_op (image_scale.hpp). The functor (its 256-entry table included) travels as a
// kernel parameter, which lands in constant memory: every thread of a warp reading the same
// table entry is a broadcast.
#include <cuda_runtime.h>

#include <algorithm>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/image_scale.hpp"

namespace specmill {
namespace {

constexpr int block_threads = 256;

__global__ void render_kernel(render_band band, render_pixel_op op, uint8_t* out) {
  const size_t w = band.out_width(), n = band.out_rows * w, ch = size_t(op.channels);
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    const size_t R = i / w, C = i - R * w;
    op(band.in[band.source(R, C)], out + i * ch);
  }
}

int grid_for(size_t work) {
  int device = 0, sms = 0;
  SPECMILL_CUDA_TRY(cudaGetDevice(&device));
  SPECMILL_CUDA_TRY(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const size_t wanted = (work + block_threads - 1) / block_threads;
  return int(std::max<size_t>(1, std::min<size_t>(wanted, size_t(sms) * 8)));
}

}  // namespace

void render_pixels_device(const render_band& band, const render_pixel_op& op, uint8_t* out, cuda_stream_view stream) {
  const size_t n = band.out_rows * band.out_width();
  if (n == 0) return;
  render_kernel<<<grid_for(n), block_threads, 0, static_cast<cudaStream_t>(stream.handle())>>>(band, op, out);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill
