#pragma once
// A window of columns held on a backend (STYLE.md rule 2): every column has pinned host memory
// (where a window is read, and where results come back) and, on the cuda backend, device
// memory of the same size plus the stream its copies are queued on. Allocated once per run at
// the largest window's size and reused for every window: pinning and cudaMalloc are far too
// slow to repeat per window.
//
// On backend::cpu the device side is absent (device() is null) and upload/download/synchronize
// do nothing, so a pipeline is written once for both backends.
#include <cstddef>
#include <optional>
#include <vector>

#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

class staged_window {
 public:
  staged_window() = default;
  // n_columns columns of `bytes` each (0 is fine: an unused slot). Throws cuda_error for cuda
  // without CUDA compiled in or without a device.
  staged_window(backend b, size_t n_columns, size_t bytes);

  backend where() const { return backend_; }
  size_t columns() const { return host_.size(); }
  size_t bytes() const { return bytes_; }

  void* host(size_t k) { return host_[k].data(); }
  const void* host(size_t k) const { return host_[k].data(); }
  template <class T>
  T* host(size_t k) { return static_cast<T*>(host(k)); }
  // Null on the cpu backend.
  void* device(size_t k) { return device_.empty() ? nullptr : device_[k].data(); }
  template <class T>
  T* device(size_t k) { return static_cast<T*>(device(k)); }
  // Where kernels of this backend read column k: device memory on cuda, host memory on cpu.
  template <class T>
  T* on_backend(size_t k) { return backend_ == backend::cuda ? device<T>(k) : host<T>(k); }

  // The stream this window's copies (and the kernels that use them) are queued on; the default
  // (synchronous) view on cpu.
  cuda_stream_view stream() const { return stream_ ? stream_->view() : cuda_stream_view{}; }
  // host(k) -> device(k) / device(k) -> host(k), the first `bytes` (<= bytes()), queued on
  // stream(); the host memory must stay unchanged until synchronize(). No-ops on cpu.
  void upload(size_t k, size_t bytes) { upload(k, bytes, stream()); }
  void download(size_t k, size_t bytes) { download(k, bytes, stream()); }
  // The same on another stream: a result window copied back behind the kernels of the input
  // window's stream that wrote it (the caller synchronises that stream).
  void upload(size_t k, size_t bytes, cuda_stream_view on);
  void download(size_t k, size_t bytes, cuda_stream_view on);
  void synchronize() const;

 private:
  backend backend_ = backend::cpu;
  size_t bytes_ = 0;
  std::vector<pinned_host_buffer> host_;
  std::vector<device_buffer> device_;
  std::optional<cuda_stream> stream_;
};

}  // namespace specmill
