// CPU backend of scale_copy and the backend dispatch (the CUDA side is scale_copy.cu, or its
// stand-in scale_copy_nocuda.cpp in builds without CUDA).
#include "kernels/scale_copy.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

// Below a few pages per task the scheduling costs more than the multiply.
constexpr size_t grain_elements = 16 * 1024;

void scale_copy_cpu(const float* in, float* out, size_t n, float a) {
  const scale_op op{a};
  tbb::parallel_for(tbb::blocked_range<size_t>(0, n, grain_elements),
                    [=](const tbb::blocked_range<size_t>& r) {
                      for (size_t i = r.begin(); i != r.end(); ++i) out[i] = op(in[i]);
                    });
}

void scale_copy_cuda_staged(const float* in, float* out, size_t n, float a) {
  if (!cuda_compiled()) throw cuda_error("CUDA support not compiled into this build");
  if (n == 0) return;
  const size_t bytes = n * sizeof(float);
  device_buffer buf(bytes);  // in place on the device: one buffer, not two
  buf.copy_from_host(in, bytes);
  scale_copy_device(buf.data<float>(), buf.data<float>(), n, a);
  buf.copy_to_host(out, bytes);  // synchronous on the default stream: waits for the kernel
}

}  // namespace

void scale_copy(backend b, const float* in, float* out, size_t n, float a) {
  if (b == backend::cuda)
    scale_copy_cuda_staged(in, out, n, a);
  else
    scale_copy_cpu(in, out, n, a);
}

}  // namespace specmill
