// Stand-in for kernels/memory/device_buffer.cu when the build has no CUDA (SPECMILL_CUDA=OFF): empty
// device objects work, anything that needs the device throws cuda_error, and pinned host
// memory falls back to ordinary aligned memory.
#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {
[[noreturn]] void no_cuda() { throw_cuda_not_compiled(); }
}  // namespace

void cuda_stream_view::synchronize() const { no_cuda(); }

cuda_stream::cuda_stream() { no_cuda(); }
cuda_stream::~cuda_stream() = default;
void cuda_stream::release() noexcept {}

device_buffer::device_buffer(size_t bytes) {
  if (bytes != 0) no_cuda();
}
device_buffer::~device_buffer() = default;
void device_buffer::release() noexcept {}

void device_buffer::resize(size_t bytes) {
  if (bytes != 0) no_cuda();
}

void device_buffer::copy_from_host(const void*, size_t bytes, cuda_stream_view) {
  if (bytes != 0) no_cuda();
}

void device_buffer::copy_to_host(void*, size_t bytes, cuda_stream_view) const {
  if (bytes != 0) no_cuda();
}

pinned_host_buffer::pinned_host_buffer(size_t bytes)
    : data_(bytes ? detail::allocate_aligned_host(bytes) : nullptr), size_(bytes) {}

pinned_host_buffer::~pinned_host_buffer() { release(); }

void pinned_host_buffer::release() noexcept {
  if (data_) detail::free_aligned_host(data_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace specmill
