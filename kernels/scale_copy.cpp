// scale_copy on both backends through the launch shell; scale_copy.cu instantiates its CUDA half.
#include "kernels/scale_copy.hpp"

#include <cstdint>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

// Below a few pages per task the scheduling costs more than the multiply.
constexpr size_t grain_elements = 16 * 1024;

void scale_copy_cuda_staged(const float* in, float* out, size_t n, float a) {
  require_cuda_compiled();
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
    for_each_index_host(n, detail::scale_copy_index_op{in, out, scale_op{a}}, grain_elements);
}

void scale_copy_device(const float* in, float* out, size_t n, float a, cuda_stream_view stream) {
  // Element i (group i of four) is read and written by the same thread, so in == out is safe.
  const auto aligned16 = [](const void* p) { return reinterpret_cast<std::uintptr_t>(p) % 16 == 0; };
  size_t done = 0;
  if (aligned16(in) && aligned16(out)) {
    const size_t n4 = n / 4;
    for_each_index(backend::cuda, n4, detail::scale_copy4_index_op{in, out, scale_op{a}}, stream);
    done = n4 * 4;
  }
  if (done < n || n == 0)  // n == 0 still reaches the shell: it throws when CUDA is not compiled in
    for_each_index(backend::cuda, n - done, detail::scale_copy_index_op{in + done, out + done, scale_op{a}}, stream);
}

}  // namespace specmill
