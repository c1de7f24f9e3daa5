// kernels/image_bin on both backends: the stacked image's pixels from aligned windows, against a
// float64 reference (the mean of each bin's good fluxes, summed in any order; tolerance 1e-6
// relative: the image is float). The backends and any cut of the list into windows give the
// same bits (the sums are added in one order everywhere); masked pixels, NaN flux, zero ivar
// and selected and_mask bits are left out; a bin without good pixels is NaN.
#include "kernels/image_bin.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <ostream>
#include <random>
#include <vector>

#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

// n_items rows of `width` pixels: random fluxes, with NaNs, zero ivars and mask bits sprinkled in.
struct aligned_rows {
  size_t n_items, width;
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask;
  aligned_rows(size_t n, size_t w, unsigned seed) : n_items(n), width(w), flux(n * w), ivar(n * w), and_mask(n * w) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-5.f, 20.f);
    for (size_t i = 0; i < flux.size(); ++i) {
      flux[i] = u(rng);
      ivar[i] = 1.f + float(rng() % 4);
      and_mask[i] = (rng() % 17 == 0) ? 0x4 : 0;
      if (rng() % 23 == 0) ivar[i] = 0.f;
      if (rng() % 29 == 0) flux[i] = NAN;
    }
  }
  bool good(size_t at, uint32_t bits) const {
    return std::isfinite(flux[at]) && ivar[at] > 0 && (uint32_t(and_mask[at]) & bits) == 0;
  }
};

// The image, a window of `window_rows` list items at a time, on backend b.
std::vector<float> render(backend b, const aligned_rows& r, size_t rows, size_t cols, bool yflip, uint32_t bits,
                          size_t window_rows) {
  const image_row_map rm{r.n_items, rows, yflip};
  const image_column_map cm{r.width, cols};
  const bool binned = rows != r.n_items || cols != r.width;
  const size_t pixels = rows * cols;
  std::vector<float> img(pixels, -1.f);
  std::vector<double> sums(pixels, 0.0);
  std::vector<uint32_t> counts(pixels, 0);
  device_buffer d_flux, d_ivar, d_mask, d_img, d_sums, d_counts;
  const float* flux = r.flux.data();
  const float* ivar = r.ivar.data();
  const int32_t* mask = r.and_mask.data();
  float* out = img.data();
  double* s = sums.data();
  uint32_t* c = counts.data();
  if (b == backend::cuda) {
    d_flux = device_buffer::from_host(std::span(r.flux));
    d_ivar = device_buffer::from_host(std::span(r.ivar));
    d_mask = device_buffer::from_host(std::span(r.and_mask));
    d_img = device_buffer::from_host(std::span<const float>(img));
    d_sums = device_buffer::from_host(std::span<const double>(sums));
    d_counts = device_buffer::from_host(std::span<const uint32_t>(counts));
    flux = d_flux.data<float>();
    ivar = d_ivar.data<float>();
    mask = d_mask.data<int32_t>();
    out = d_img.data<float>();
    s = d_sums.data<double>();
    c = d_counts.data<uint32_t>();
  }
  for (size_t first = 0; first < r.n_items; first += window_rows) {
    const size_t last = std::min(r.n_items, first + window_rows);
    const size_t at = first * r.width;
    const image_window w{first, last, r.width, flux + at, ivar + at, mask + at, bits};
    if (binned)
      image_bin_rows(b, w, rm, cm, s, c);
    else
      image_copy_rows(b, w, rm, out);
  }
  if (binned) image_bin_finish(b, s, c, out, pixels);
  if (b == backend::cuda) d_img.copy_to_host(img.data(), pixels * sizeof(float));
  return img;
}

// The float64 reference of image pixel (row, col).
double reference_pixel(const aligned_rows& r, size_t rows, size_t cols, bool yflip, uint32_t bits, size_t row,
                       size_t col) {
  double sum = 0;
  size_t n = 0;
  for (size_t i = 0; i < r.n_items; ++i) {
    const size_t bin = i * rows / r.n_items;
    if ((yflip ? bin : rows - 1 - bin) != row) continue;
    for (size_t j = 0; j < r.width; ++j) {
      if (j * cols / r.width != col || !r.good(i * r.width + j, bits)) continue;
      sum += r.flux[i * r.width + j];
      ++n;
    }
  }
  return n ? sum / double(n) : NAN;
}

bool same_bits(float a, float b) { return std::memcmp(&a, &b, 4) == 0 || (std::isnan(a) && std::isnan(b)); }

class ImageBin : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(ImageBin, BinnedPixelsAreMeansOfGoodPixels) {
  for (const size_t width : {31, 32, 33}) {
    const aligned_rows r(57, size_t(width), unsigned(width));
    for (const bool yflip : {false, true}) {
      const auto img = render(GetParam(), r, 10, 7, yflip, 0x4, 57);
      for (size_t row = 0; row < 10; ++row)
        for (size_t col = 0; col < 7; ++col) {
          const double want = reference_pixel(r, 10, 7, yflip, 0x4, row, col);
          const float got = img[row * 7 + col];
          if (std::isnan(want))
            EXPECT_TRUE(std::isnan(got)) << row << "," << col;
          else
            EXPECT_NEAR(got, want, 1e-6 * std::abs(want) + 1e-12) << width << " " << row << "," << col;
        }
    }
  }
}

TEST_P(ImageBin, UnbinnedIsTheGoodFluxesInImageRowOrder) {
  const aligned_rows r(5, 33, 3);
  for (const bool yflip : {false, true}) {
    const auto img = render(GetParam(), r, 5, 33, yflip, 0x4, 2);
    for (size_t i = 0; i < 5; ++i) {
      const size_t row = yflip ? i : 4 - i;
      for (size_t j = 0; j < 33; ++j) {
        const float got = img[row * 33 + j];
        if (r.good(i * 33 + j, 0x4))
          EXPECT_TRUE(same_bits(got, r.flux[i * 33 + j])) << i << "," << j;
        else
          EXPECT_TRUE(std::isnan(got)) << i << "," << j;
      }
    }
  }
}

TEST_P(ImageBin, WindowsDoNotChangeTheBits) {
  const aligned_rows r(101, 64, 9);
  const auto whole = render(GetParam(), r, 13, 9, false, 0, 101);
  for (size_t window : {1, 7, 32}) {
    const auto cut = render(GetParam(), r, 13, 9, false, 0, window);
    for (size_t p = 0; p < whole.size(); ++p) ASSERT_TRUE(same_bits(cut[p], whole[p])) << window << " " << p;
  }
}

TEST_P(ImageBin, EmptyBinsAreNaNAndZeroItemsDoNothing) {
  aligned_rows r(4, 8, 5);
  for (auto& v : r.ivar) v = 0.f;  // nothing good anywhere
  const auto img = render(GetParam(), r, 2, 4, false, 0, 4);
  for (float v : img) EXPECT_TRUE(std::isnan(v));
  const aligned_rows none(0, 8, 1);
  EXPECT_NO_THROW(render(GetParam(), none, 0, 4, false, 0, 1));
}

INSTANTIATE_TEST_SUITE_P(Cpu, ImageBin, ::testing::Values(backend::cpu));
INSTANTIATE_TEST_SUITE_P(Cuda, ImageBin, ::testing::Values(backend::cuda));

// The device gives the CPU's bits: every bin's sums are added in the same order on both.
TEST(ImageBinCuda, DeviceMatchesCpuBitForBit) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const aligned_rows r(1000, 4000, 21);
  const auto cpu = render(backend::cpu, r, 77, 333, true, 0x4, 128);
  const auto gpu = render(backend::cuda, r, 77, 333, true, 0x4, 128);
  for (size_t p = 0; p < cpu.size(); ++p) ASSERT_TRUE(same_bits(gpu[p], cpu[p])) << p;
}

}  // namespace
}  // namespace specmill
