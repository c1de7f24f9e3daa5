#pragma once
// Host memory for large arrays that are written once and read soon after (a CPU stack tile:
// hundreds of MB), uninitialised, 2 MB-aligned and advised for transparent huge pages. With THP
// in "madvise" mode (the project VM's setting) plain allocations take one page fault per 4 KB on
// first touch: a 418 MB median tile cost ~100,000 faults, about a third of a 10,000-spectrum
// median stack's CPU time (perf, issue 16). Where huge pages are not available the advice is
// simply not taken and the memory behaves like any other allocation.
#include <cstddef>

namespace specmill {

namespace detail {
// `bytes` of uninitialised host memory aligned to `alignment` (a power of two); from 4 MB up
// 2 MB-aligned and advised for huge pages. Freed by release_host_pages. bad_alloc on failure.
void* allocate_host_pages(size_t bytes, size_t alignment);
void release_host_pages(void* p) noexcept;
}  // namespace detail

class huge_pages {
 public:
  huge_pages() = default;
  explicit huge_pages(size_t bytes);  // bad_alloc when the memory cannot be had
  ~huge_pages();
  huge_pages(huge_pages&& o) noexcept;
  huge_pages& operator=(huge_pages&& o) noexcept;
  huge_pages(const huge_pages&) = delete;
  huge_pages& operator=(const huge_pages&) = delete;

  template <class T>
  T* as() const {
    return static_cast<T*>(data_);
  }
  size_t bytes() const { return bytes_; }  // as asked (the allocation is rounded up to 2 MB)
  static constexpr size_t page_bytes = size_t(2) << 20;

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace specmill
