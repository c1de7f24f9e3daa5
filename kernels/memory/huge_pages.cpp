#include "kernels/memory/huge_pages.hpp"

#include <sys/mman.h>

#include <cstdlib>
#include <new>
#include <utility>

namespace specmill {

huge_pages::huge_pages(size_t bytes) : bytes_(bytes) {
  if (bytes == 0) return;
  const size_t rounded = (bytes + page_bytes - 1) / page_bytes * page_bytes;
  data_ = std::aligned_alloc(page_bytes, rounded);
  if (!data_) throw std::bad_alloc();
#if defined(MADV_HUGEPAGE)
  ::madvise(data_, rounded, MADV_HUGEPAGE);  // advice only: a refusal changes nothing but speed
#endif
}

huge_pages::~huge_pages() { std::free(data_); }

huge_pages::huge_pages(huge_pages&& o) noexcept
    : data_(std::exchange(o.data_, nullptr)), bytes_(std::exchange(o.bytes_, 0)) {}

huge_pages& huge_pages::operator=(huge_pages&& o) noexcept {
  if (this != &o) {
    std::free(data_);
    data_ = std::exchange(o.data_, nullptr);
    bytes_ = std::exchange(o.bytes_, 0);
  }
  return *this;
}

}  // namespace specmill
