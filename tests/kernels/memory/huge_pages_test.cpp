// huge_pages: aligned, writable over its whole length, movable, and empty for 0 bytes.
#include "kernels/memory/huge_pages.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <utility>

namespace specmill {
namespace {

TEST(HugePages, AlignedWritableAndMovable) {
  const size_t n = (size_t(5) << 20) / 8 + 3;  // 5 MB and a bit: not a multiple of the page
  huge_pages p(n * 8);
  ASSERT_NE(p.as<uint64_t>(), nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p.as<void>()) % huge_pages::page_bytes, 0u);
  EXPECT_EQ(p.bytes(), n * 8);
  uint64_t* a = p.as<uint64_t>();
  std::iota(a, a + n, uint64_t(7));
  huge_pages q = std::move(p);
  EXPECT_EQ(p.as<uint64_t>(), nullptr);
  EXPECT_EQ(q.as<uint64_t>(), a);
  EXPECT_EQ(q.as<uint64_t>()[n - 1], 7 + n - 1);
  EXPECT_EQ(std::accumulate(a, a + n, uint64_t(0)), n * 7 + n * (n - 1) / 2);
  huge_pages none(0);
  EXPECT_EQ(none.as<void>(), nullptr);
  q = huge_pages(16);
  EXPECT_NE(q.as<void>(), nullptr);
}

}  // namespace
}  // namespace specmill
