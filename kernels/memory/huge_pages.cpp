#include "kernels/memory/huge_pages.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

namespace specmill {

namespace detail {

void* allocate_host_pages(size_t bytes, size_t alignment) {
  const bool huge = bytes >= 2 * huge_pages::page_bytes;
  if (huge && alignment < huge_pages::page_bytes) alignment = huge_pages::page_bytes;
  const size_t rounded = (std::max<size_t>(bytes, 1) + alignment - 1) / alignment * alignment;
  void* p = std::aligned_alloc(alignment, rounded);
  if (!p) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  if (huge) ::madvise(p, rounded, MADV_HUGEPAGE);  // advice only: a refusal changes nothing but speed
#endif
  return p;
}

void release_host_pages(void* p) noexcept { std::free(p); }

}  // namespace detail

huge_pages::huge_pages(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  data_ = detail::allocate_host_pages(bytes, page_bytes);
}

huge_pages::~huge_pages() { detail::release_host_pages(data_); }

huge_pages::huge_pages(huge_pages&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

huge_pages& huge_pages::operator=(huge_pages&& o) noexcept {
  if (this != &o) {
    detail::release_host_pages(data_);
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

}  // namespace specmill
