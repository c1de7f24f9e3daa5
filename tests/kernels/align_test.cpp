// align_rows on both backends against a straightforward reference. Tolerance: exact (bits):
// align only moves 4-byte words and writes zero padding.
#include <gtest/gtest.h>

#include <cstring>
#include <ostream>
#include <random>
#include <tuple>
#include <vector>

#include "kernels/align.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

struct ragged {
  std::vector<int64_t> offsets{0};
  std::vector<int32_t> starts;
  std::vector<uint32_t> pixels;
  void add(int32_t start, size_t npix, std::mt19937& rng) {
    starts.push_back(start);
    for (size_t k = 0; k < npix; ++k) pixels.push_back(rng() | 1u);  // never 0: padding stands out
    offsets.push_back(int64_t(pixels.size()));
  }
  ragged_rows view() const { return {starts.size(), offsets.data(), starts.data()}; }
};

// Output column j is lattice index out_start + j; row i holds its pixel (index - start) if any.
std::vector<uint32_t> reference(const ragged& in, int32_t out_start, size_t width) {
  std::vector<uint32_t> out(in.starts.size() * width, 0);
  for (size_t i = 0; i < in.starts.size(); ++i) {
    const int64_t npix = in.offsets[i + 1] - in.offsets[i];
    for (size_t j = 0; j < width; ++j) {
      const int64_t k = int64_t(out_start) + int64_t(j) - in.starts[i];
      if (k >= 0 && k < npix) out[i * width + j] = in.pixels[size_t(in.offsets[i] + k)];
    }
  }
  return out;
}

class Align : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  void check(const ragged& in, int32_t out_start, size_t width) {
    std::vector<uint32_t> got(in.starts.size() * width + 1, 0xdeadbeef);
    align_rows(GetParam(), in.view(), in.pixels.data(), out_start, width, got.data());
    EXPECT_EQ(got.back(), 0xdeadbeef) << "wrote past the output";
    got.pop_back();
    EXPECT_EQ(got, reference(in, out_start, width)) << in.starts.size() << " rows, window " << out_start << "+" << width;
  }
};

TEST_P(Align, MixedRowsOnTheirSpanAndOnCutouts) {
  std::mt19937 rng(5);
  ragged in;
  const int32_t starts[] = {35800, 35750, 36010, 35799, 35900, 35760, 36200, 35000, 40000};
  const size_t npix[] = {400, 31, 32, 33, 700, 1, 250, 20, 64};
  for (size_t i = 0; i < std::size(starts); ++i) in.add(starts[i], npix[i], rng);
  check(in, 35000, 40064 - 35000);  // the list's span
  check(in, 35800, 100);            // a cutout inside most rows, outside some
  check(in, 35790, 33);
  check(in, 36449, 1);              // one column
  check(in, 50000, 10);             // no overlap with any row: all padding
  check(in, 30000, 20000);          // wider than every row
}

TEST_P(Align, PixelCounts31To33AndOneRow) {
  for (size_t n : {size_t(1), size_t(31), size_t(32), size_t(33)}) {
    std::mt19937 rng{static_cast<unsigned>(n)};
    ragged in;
    in.add(1000, n, rng);
    check(in, 1000, n);
    check(in, 999, n + 2);
    check(in, 1001, n > 1 ? n - 1 : 1);
  }
}

TEST_P(Align, ZeroRowsAndZeroWidthDoNothing) {
  ragged none;
  std::vector<uint32_t> out(1, 7);
  align_rows(GetParam(), none.view(), nullptr, 0, 100, out.data());
  EXPECT_EQ(out[0], 7u);
  std::mt19937 rng(1);
  ragged one;
  one.add(10, 5, rng);
  check(one, 10, 0);
}

TEST_P(Align, RowsSpanningManyBlocksOfThreads) {
  // More rows than one launch dimension covers in a single pass, and wide rows.
  std::mt19937 rng(77);
  ragged in;
  for (int i = 0; i < 3000; ++i) in.add(36000 + int32_t(rng() % 500), 1 + rng() % 300, rng);
  check(in, 36100, 257);
}

TEST_P(Align, OffsetsNeedNotStartAtZero) {
  std::mt19937 rng(3);
  ragged in;
  in.add(100, 10, rng);
  in.add(105, 10, rng);
  in.add(95, 10, rng);
  // A view of rows 1..2 only: offsets start at 10.
  const ragged_rows tail{2, in.offsets.data() + 1, in.starts.data() + 1};
  std::vector<uint32_t> got(2 * 20, 0xdeadbeef);
  align_rows(GetParam(), tail, in.pixels.data(), 95, 20, got.data());
  const auto all = reference(in, 95, 20);
  EXPECT_EQ(got, std::vector<uint32_t>(all.begin() + 20, all.end()));
}

INSTANTIATE_TEST_SUITE_P(Backends, Align, ::testing::Values(backend::cpu, backend::cuda),
                         [](const auto& info) { return info.param == backend::cpu ? "Cpu" : "Cuda"; });

TEST(AlignSpan, ComputesOverlapAndEmptySpans) {
  const align_span_op op{100, 50};  // window [100, 150)
  auto s = op(90, 20);              // [90, 110) -> columns [0, 10) from pixel 10
  EXPECT_EQ(s.dst_begin, 0);
  EXPECT_EQ(s.dst_end, 10);
  EXPECT_EQ(s.src_begin, 10);
  s = op(140, 100);  // [140, 240) -> columns [40, 50) from pixel 0
  EXPECT_EQ(s.dst_begin, 40);
  EXPECT_EQ(s.dst_end, 50);
  EXPECT_EQ(s.src_begin, 0);
  EXPECT_EQ(op(150, 10).size(), 0);  // touches the end: no overlap
  EXPECT_EQ(op(80, 20).size(), 0);   // ends at the window's start
  EXPECT_EQ(op(120, 0).size(), 0);   // empty spectrum
}

}  // namespace
}  // namespace specmill
