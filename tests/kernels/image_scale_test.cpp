// image_scale (scaling + colormap per pixel, both backends), the colormap tables, and the
// display limits (zscale against astropy, percentiles against numpy). Tolerances: pixels exact
// (both backends compute in double and must pick the same table entry); limits 1e-6 relative
// to the data span (astropy works on float32 samples, specmill in double).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "kernels/colormap.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/image_scale.hpp"
#include "kernels/zscale.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();

TEST(Colormap, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(parse_colormap("gray"), colormap_id::gray);
  EXPECT_EQ(parse_colormap("grey"), colormap_id::gray);
  EXPECT_EQ(parse_colormap("viridis"), colormap_id::viridis);
  EXPECT_EQ(parse_colormap("inferno"), colormap_id::inferno);
  EXPECT_THROW(parse_colormap("jet"), invalid_argument);
  EXPECT_THROW(parse_colormap(""), invalid_argument);
}

TEST(Colormap, TablesMatchMatplotlibEndsAndKeepTheMaskedColourFree) {
  // matplotlib: viridis(0) = (0.267004, 0.004874, 0.329415), viridis(1) = (0.993248, 0.906157,
  // 0.143936); inferno(0) = (0.001462, 0.000466, 0.013866), inferno(1) = (0.988362, 0.998364,
  // 0.644924); bytes = uint8(value * 255).
  EXPECT_EQ(colormap_table(colormap_id::viridis)[0], (rgb8{68, 1, 84}));
  EXPECT_EQ(colormap_table(colormap_id::viridis)[255], (rgb8{253, 231, 36}));
  EXPECT_EQ(colormap_table(colormap_id::inferno)[0], (rgb8{0, 0, 3}));
  EXPECT_EQ(colormap_table(colormap_id::inferno)[255], (rgb8{252, 254, 164}));
  for (colormap_id c : {colormap_id::gray, colormap_id::viridis, colormap_id::inferno})
    for (const rgb8& e : colormap_table(c)) EXPECT_NE(e, default_masked_color(c)) << to_string(c);
  const auto& g = colormap_table(colormap_id::gray);
  EXPECT_EQ(g[0].r, 1);
  EXPECT_EQ(g[255].r, 255);
  for (size_t k = 1; k < 256; ++k) EXPECT_GE(g[k].r, g[k - 1].r);
}

TEST(RenderOp, LinearIndicesClampAndMask) {
  const auto op = make_render_op({10, 20}, stretch::linear, colormap_id::gray, false, {0, 0, 0});
  EXPECT_EQ(op.index(10), 0);
  EXPECT_EQ(op.index(20), 255);
  EXPECT_EQ(op.index(15), 128);  // floor(0.5 * 256)
  EXPECT_EQ(op.index(-1e30f), 0);
  EXPECT_EQ(op.index(1e30f), 255);
  EXPECT_EQ(op.index(std::numeric_limits<float>::infinity()), 255);
  uint8_t px[3] = {99, 99, 99};  // room for RGB: the compiler cannot see channels == 1
  op(nan_f, px);
  EXPECT_EQ(px[0], 0);  // masked
  op(20, px);
  EXPECT_EQ(px[0], 255);
  op(10, px);
  EXPECT_EQ(px[0], 1);  // data never reaches the masked value
}

TEST(RenderOp, DegenerateLimitsDrawTheMiddleAndBadLimitsThrow) {
  const auto op = make_render_op({5, 5}, stretch::linear, colormap_id::gray, false, {0, 0, 0});
  EXPECT_EQ(op.index(-3), 128);
  EXPECT_EQ(op.index(5), 128);
  EXPECT_THROW(make_render_op({0, std::nan("")}, stretch::linear, colormap_id::gray, false, {}), invalid_argument);
  EXPECT_THROW(make_render_op({0, 1}, stretch::asinh, colormap_id::gray, false, {}, 0.0), invalid_argument);
}

TEST(RenderOp, AsinhFollowsItsDefinition) {
  const double a = 0.1;
  const auto op = make_render_op({0, 1}, stretch::asinh, colormap_id::gray, false, {}, a);
  for (double x : {0.0, 0.001, 0.01, 0.05, 0.1, 0.3, 0.5, 0.9, 1.0}) {
    const int want = std::min(255, int(std::asinh(x / a) / std::asinh(1 / a) * 256));
    EXPECT_EQ(op.index(float(x)), want) << x;
  }
  EXPECT_GT(op.index(0.05f), 3 * 12);  // asinh lifts faint pixels: linear would give 12
}

TEST(RenderOp, InvertReversesTheTableAndColourMapsWriteRgb) {
  const auto op = make_render_op({0, 1}, stretch::linear, colormap_id::viridis, true, {128, 128, 128});
  EXPECT_EQ(op.channels, 3);
  uint8_t px[3] = {0, 0, 0};
  op(0.f, px);
  EXPECT_EQ((rgb8{px[0], px[1], px[2]}), colormap_table(colormap_id::viridis)[255]);
  op(nan_f, px);
  EXPECT_EQ((rgb8{px[0], px[1], px[2]}), (rgb8{128, 128, 128}));
}

class RenderPixels : public ::testing::TestWithParam<std::tuple<backend, colormap_id>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

// Against the functor applied pixel by pixel with index arithmetic: widths 31/32/33, one row,
// zero rows, replication, bands starting inside a replicated row, NaN and infinities.
TEST_P(RenderPixels, MatchesPerPixelReference) {
  const auto [b, cmap] = GetParam();
  const auto op = make_render_op({-1, 3}, stretch::asinh, cmap, false, default_masked_color(cmap), 0.2);
  const size_t ch = size_t(op.channels);
  std::mt19937 rng(5);
  std::normal_distribution<float> val(1.f, 2.f);
  for (size_t width : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(1000)})
    for (size_t rows : {size_t(0), size_t(1), size_t(7)})
      for (auto [xrep, yrep] : {std::pair<size_t, size_t>{1, 1}, {2, 3}, {1, 4}})
        for (size_t first : {size_t(0), size_t(1), size_t(5)}) {
          std::vector<float> img(rows * width + 1);
          for (auto& v : img) v = val(rng);
          for (size_t i = 0; i < img.size(); i += 5) img[i] = nan_f;
          if (img.size() > 3) img[3] = std::numeric_limits<float>::infinity();
          const size_t total_out = rows * yrep;
          if (first > total_out) continue;
          render_band band;
          band.width = width;
          band.xrep = xrep;
          band.yrep = yrep;
          band.first_out_row = first;
          band.out_rows = total_out - first;
          band.in = img.data() + band.first_in_row() * width;
          std::vector<uint8_t> got(band.out_rows * width * xrep * ch + 1, 77), want(got.size(), 77);
          for (size_t R = 0; R < band.out_rows; ++R)
            for (size_t C = 0; C < width * xrep; ++C)
              op(img[((first + R) / yrep) * width + C / xrep], want.data() + (R * width * xrep + C) * ch);
          render_pixels(b, band, op, got.data());
          ASSERT_EQ(got, want) << "width " << width << " rows " << rows << " rep " << xrep << "x" << yrep << " first "
                               << first;
        }
}

INSTANTIATE_TEST_SUITE_P(Cpu, RenderPixels,
                         ::testing::Combine(::testing::Values(backend::cpu),
                                            ::testing::Values(colormap_id::gray, colormap_id::inferno)));
INSTANTIATE_TEST_SUITE_P(Cuda, RenderPixels,
                         ::testing::Combine(::testing::Values(backend::cuda),
                                            ::testing::Values(colormap_id::gray, colormap_id::inferno)));

// The data of the reference values below, generated the same way in Python:
//   np.float32(math.sin(i*0.7)*10 + (100.0 if i%17==0 else 0.0) + i*0.01), v[::nan_every] = nan
std::vector<float> reference_data(size_t n, size_t nan_every) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = float(std::sin(double(i) * 0.7) * 10 + (i % 17 == 0 ? 100.0 : 0.0) + double(i) * 0.01);
  if (nan_every)
    for (size_t i = 0; i < n; i += nan_every) v[i] = nan_f;
  return v;
}

struct reference_case {
  size_t n, nan_every;
  double z_lo, z_hi;  // astropy.visualization.ZScaleInterval().get_limits (astropy 5.2.1)
  double p1, p99;     // numpy.percentile(finite, [1, 99])
};

TEST(ZScale, MatchesAstropyZScaleInterval) {
  const reference_case cases[] = {
      {50, 0, -9.754526138305664, 55.972633267529694, -9.69437943458557, 97.05442977905273},
      {1000, 0, -9.754526138305664, 61.367023621936575, -8.635783529281616, 112.4003172302246},
      {20000, 13, -8.695636749267578, 286.4678039550781, -2.1912979602813722, 265.9746887207039},
      {3, 0, 6.452177047729492, 100.0, 6.520623455047607, 98.19748992919922},
      {7, 0, -8.655757904052734, 100.0, -8.343882369995118, 94.59246978759761},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.n);
    const auto v = reference_data(c.n, c.nan_every);
    const display_limits z = zscale_limits(v);
    const double tol = 1e-6 * (c.z_hi - c.z_lo) + 1e-6;
    EXPECT_NEAR(z.lo, c.z_lo, tol);
    EXPECT_NEAR(z.hi, c.z_hi, tol);
    const display_limits p = percentile_limits(v, 1, 99);
    EXPECT_NEAR(p.lo, c.p1, 1e-5 * std::abs(c.p99 - c.p1));
    EXPECT_NEAR(p.hi, c.p99, 1e-5 * std::abs(c.p99 - c.p1));
  }
}

TEST(ZScale, EdgeCases) {
  EXPECT_EQ(zscale_limits(std::vector<float>{}).lo, 0);
  EXPECT_EQ(zscale_limits(std::vector<float>{}).hi, 1);
  EXPECT_EQ(zscale_limits(std::vector<float>(100, nan_f)).hi, 1);  // all masked
  const display_limits one = zscale_limits(std::vector<float>{4.f});
  EXPECT_EQ(one.lo, 4);
  EXPECT_EQ(one.hi, 4);
  const display_limits flat = zscale_limits(std::vector<float>(5000, 2.f));
  EXPECT_EQ(flat.lo, 2);
  EXPECT_EQ(flat.hi, 2);
  zscale_params bad;
  bad.n_samples = 0;
  EXPECT_THROW(zscale_limits(std::vector<float>{1.f}, bad), invalid_argument);
}

TEST(Percentiles, ExactAndSampled) {
  std::vector<float> v;
  for (int i = 0; i <= 100; ++i) v.push_back(float(100 - i));
  v.push_back(nan_f);
  const display_limits p = percentile_limits(v, 1, 99);
  EXPECT_DOUBLE_EQ(p.lo, 1);
  EXPECT_DOUBLE_EQ(p.hi, 99);
  EXPECT_DOUBLE_EQ(percentile_limits(v, 0, 100).hi, 100);
  EXPECT_DOUBLE_EQ(percentile_limits(v, 2.5, 50).lo, 2.5);  // interpolated
  EXPECT_THROW(percentile_limits(v, 50, 50), invalid_argument);
  EXPECT_THROW(percentile_limits(v, -1, 50), invalid_argument);
  // Sampled beyond max_samples: every stride-th value, still close on smooth data.
  std::vector<float> big(3'000'001);
  for (size_t i = 0; i < big.size(); ++i) big[i] = float(i % 1000);
  const display_limits s = percentile_limits(big, 10, 90, 100'000);
  EXPECT_NEAR(s.lo, 99.9, 2);
  EXPECT_NEAR(s.hi, 899.1, 2);
}

TEST(SampleFinite, StridesOverFiniteValuesInOrder) {
  std::vector<float> v(3'000'000);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 3 == 0 ? nan_f : float(i);
  size_t n = 0;
  const auto s = sample_finite(v, 1000, 5, &n);
  EXPECT_EQ(n, 2'000'000u);
  // Finite values are 1, 2, 4, 5, 7, ...: finite number g is 3 g / 2 + 1 (rounded down).
  ASSERT_EQ(s.size(), 5u);
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(s[k], float((k * 1000) / 2 * 3 + (k * 1000) % 2 + 1));
  EXPECT_EQ(count_finite(v), 2'000'000u);
  EXPECT_EQ(sample_finite(v, 1, 10'000'000).size(), 2'000'000u);
}

}  // namespace
}  // namespace specmill
