#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "core/error.hpp"
#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

cudaStream_t as_stream(cuda_stream_view s) { return static_cast<cudaStream_t>(s.handle()); }

void copy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cuda_stream_view s) {
  if (bytes == 0) return;
  if (s.is_default()) {
    SPECMILL_CUDA_TRY(cudaMemcpy(dst, src, bytes, kind));
  } else {
    SPECMILL_CUDA_TRY(cudaMemcpyAsync(dst, src, bytes, kind, as_stream(s)));
  }
}

void check_copy_size(size_t bytes, size_t size) {
  if (bytes > size)
    throw invalid_argument("device_buffer copy of " + std::to_string(bytes) +
                           " bytes exceeds its size of " + std::to_string(size) + " bytes");
}

}  // namespace

// ------------------------------------------------------------------ streams
void cuda_stream_view::synchronize() const { SPECMILL_CUDA_TRY(cudaStreamSynchronize(as_stream(*this))); }

cuda_stream::cuda_stream() {
  cudaStream_t s = nullptr;
  SPECMILL_CUDA_TRY(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  handle_ = s;
}

cuda_stream::~cuda_stream() { release(); }

void cuda_stream::release() noexcept {
  // Destroying a stream with work queued is legal: the work completes, then the stream goes.
  if (handle_) cudaStreamDestroy(static_cast<cudaStream_t>(handle_));
  handle_ = nullptr;
}

// ------------------------------------------------------------------ device memory
device_buffer::device_buffer(size_t bytes) {
  if (bytes == 0) return;
  SPECMILL_CUDA_TRY(cudaMalloc(&data_, bytes));
  size_ = capacity_ = bytes;
}

device_buffer::~device_buffer() { release(); }

void device_buffer::release() noexcept {
  if (data_) cudaFree(data_);  // never throw from a destructor; a failure here is unrecoverable anyway
  data_ = nullptr;
  size_ = capacity_ = 0;
}

void device_buffer::resize(size_t bytes) {
  if (bytes <= capacity_) {
    size_ = bytes;
    return;
  }
  device_buffer grown(bytes);
  if (size_ != 0) SPECMILL_CUDA_TRY(cudaMemcpy(grown.data_, data_, size_, cudaMemcpyDeviceToDevice));
  *this = std::move(grown);
}

void device_buffer::copy_from_host(const void* src, size_t bytes, cuda_stream_view stream) {
  check_copy_size(bytes, size_);
  copy(data_, src, bytes, cudaMemcpyHostToDevice, stream);
}

void device_buffer::copy_to_host(void* dst, size_t bytes, cuda_stream_view stream) const {
  check_copy_size(bytes, size_);
  copy(dst, data_, bytes, cudaMemcpyDeviceToHost, stream);
}

// ------------------------------------------------------------------ pinned host memory
pinned_host_buffer::pinned_host_buffer(size_t bytes) : size_(bytes) {
  if (bytes == 0) return;
  if (cuda_device_count() > 0) {
    SPECMILL_CUDA_TRY(cudaMallocHost(&data_, bytes));
    pinned_ = true;
  } else {
    data_ = detail::allocate_aligned_host(bytes);  // a CUDA build on a machine without a GPU
  }
}

pinned_host_buffer::~pinned_host_buffer() { release(); }

void pinned_host_buffer::release() noexcept {
  if (data_) {
    if (pinned_)
      cudaFreeHost(data_);
    else
      detail::free_aligned_host(data_);
  }
  data_ = nullptr;
  size_ = 0;
  pinned_ = false;
}

}  // namespace specmill
