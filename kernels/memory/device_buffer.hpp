#pragma once
// RAII owners of CUDA resources (STYLE.md rule 6): device memory, pinned host memory, streams.
// These are the only places cudaMalloc/cudaFree/cudaMallocHost/cudaStreamCreate appear.
//
// The header compiles with plain g++ (no cuda_runtime.h): streams travel as opaque handles.
// Implementations: device_buffer.cu (CUDA builds) and device_buffer_nocuda.cpp (SPECMILL_CUDA=OFF),
// where every constructor that would need the device throws
// cuda_error("CUDA support not compiled into this build"); empty objects are always fine.
#include <cstddef>
#include <new>
#include <span>
#include <utility>

#include "kernels/memory/huge_pages.hpp"

namespace specmill {

// A non-owning view of a CUDA stream: the handle is a cudaStream_t. The default view (nullptr)
// is the legacy default stream, and operations given it are synchronous with the host.
class cuda_stream_view {
 public:
  constexpr cuda_stream_view() noexcept = default;
  constexpr explicit cuda_stream_view(void* handle) noexcept : handle_(handle) {}
  constexpr void* handle() const noexcept { return handle_; }
  constexpr bool is_default() const noexcept { return handle_ == nullptr; }
  void synchronize() const;  // cudaStreamSynchronize; throws cuda_error

 private:
  void* handle_ = nullptr;
};

// An owned, non-blocking CUDA stream (cudaStreamCreateWithFlags(cudaStreamNonBlocking)).
class cuda_stream {
 public:
  cuda_stream();  // throws cuda_error without CUDA or without a device
  ~cuda_stream();
  cuda_stream(const cuda_stream&) = delete;
  cuda_stream& operator=(const cuda_stream&) = delete;
  cuda_stream(cuda_stream&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  cuda_stream& operator=(cuda_stream&& other) noexcept {
    if (this != &other) {
      release();
      handle_ = std::exchange(other.handle_, nullptr);
    }
    return *this;
  }

  cuda_stream_view view() const noexcept { return cuda_stream_view(handle_); }
  operator cuda_stream_view() const noexcept { return view(); }  // NOLINT: cheap view, like rmm
  void* handle() const noexcept { return handle_; }
  void synchronize() const { view().synchronize(); }

 private:
  void release() noexcept;
  void* handle_ = nullptr;  // cudaStream_t; nullptr only after a move
};

// Uninitialised bytes in device global memory (cudaMalloc: 256-byte aligned).
//
// Copies given the default stream are synchronous (cudaMemcpy). Copies given a stream are
// queued on it (cudaMemcpyAsync) and return at once: the host memory must stay alive and
// unchanged until the caller synchronises that stream, and it must be pinned
// (pinned_host_buffer) for the copy to overlap with anything.
class device_buffer {
 public:
  device_buffer() noexcept = default;
  explicit device_buffer(size_t bytes);  // throws cuda_error (no CUDA, no device, out of memory)
  ~device_buffer();
  device_buffer(const device_buffer&) = delete;
  device_buffer& operator=(const device_buffer&) = delete;
  device_buffer(device_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        capacity_(std::exchange(other.capacity_, 0)) {}
  device_buffer& operator=(device_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      capacity_ = std::exchange(other.capacity_, 0);
    }
    return *this;
  }

  size_t size() const noexcept { return size_; }  // bytes
  size_t capacity() const noexcept { return capacity_; }
  bool empty() const noexcept { return size_ == 0; }
  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  template <class T>
  T* data() noexcept { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const noexcept { return static_cast<const T*>(data_); }

  // A buffer holding a copy of `host` (synchronous; an empty span gives an empty buffer): the
  // "allocate, then copy in" every run-constant table (band weights, stack frames) needs.
  template <class T>
  static device_buffer from_host(std::span<const T> host) {
    device_buffer buf(host.size_bytes());
    buf.copy_from_host(host.data(), host.size_bytes());
    return buf;
  }

  // Keeps the first min(old, new) bytes. Growing past capacity() reallocates (synchronously);
  // shrinking keeps the allocation.
  void resize(size_t bytes);

  // Copy `bytes` between host memory and the start of this buffer (bytes <= size(), else
  // invalid_argument). See the class comment for what the stream changes.
  void copy_from_host(const void* src, size_t bytes, cuda_stream_view stream = {});
  void copy_to_host(void* dst, size_t bytes, cuda_stream_view stream = {}) const;

 private:
  void release() noexcept;
  void* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

// Page-locked host memory (cudaMallocHost) for fast and asynchronous transfers. Where pinning
// is impossible (a build without CUDA, or a CUDA build on a machine without a GPU) it falls back
// to ordinary 4096-byte-aligned host memory, so CPU code can use it unconditionally; pinned()
// says which it got.
class pinned_host_buffer {
 public:
  pinned_host_buffer() noexcept = default;
  explicit pinned_host_buffer(size_t bytes);
  ~pinned_host_buffer();
  pinned_host_buffer(const pinned_host_buffer&) = delete;
  pinned_host_buffer& operator=(const pinned_host_buffer&) = delete;
  pinned_host_buffer(pinned_host_buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)),
        size_(std::exchange(other.size_, 0)),
        pinned_(std::exchange(other.pinned_, false)) {}
  pinned_host_buffer& operator=(pinned_host_buffer&& other) noexcept {
    if (this != &other) {
      release();
      data_ = std::exchange(other.data_, nullptr);
      size_ = std::exchange(other.size_, 0);
      pinned_ = std::exchange(other.pinned_, false);
    }
    return *this;
  }

  size_t size() const noexcept { return size_; }  // bytes
  bool empty() const noexcept { return size_ == 0; }
  bool pinned() const noexcept { return pinned_; }
  void* data() noexcept { return data_; }
  const void* data() const noexcept { return data_; }
  template <class T>
  T* data() noexcept { return static_cast<T*>(data_); }
  template <class T>
  const T* data() const noexcept { return static_cast<const T*>(data_); }

 private:
  void release() noexcept;
  void* data_ = nullptr;
  size_t size_ = 0;
  bool pinned_ = false;
};

namespace detail {
// The pageable fallback behind pinned_host_buffer (shared by both builds).
inline constexpr size_t host_buffer_alignment = 4096;
// Large ones (window slots: tens of MB) in huge pages (kernels/memory/huge_pages.hpp): their
// first-touch page faults were a large share of the CPU stacks' system time (perf, issue 16).
inline void* allocate_aligned_host(size_t bytes) {  // throws std::bad_alloc
  return allocate_host_pages(bytes, host_buffer_alignment);
}
inline void free_aligned_host(void* p) noexcept { release_host_pages(p); }
}  // namespace detail

}  // namespace specmill
