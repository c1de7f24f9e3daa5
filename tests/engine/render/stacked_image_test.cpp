// Stacked images checked for what they show: planted rows at known places (first ID at the
// bottom, --yflip), masked pixels (padding, ivar 0, unknown IDs) in the masked colour and NaN,
// binning as means of good pixels, replication, limits, the PNG's size and bytes, errors.
#include "engine/render/stacked_image.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "engine/render/render_fixture.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// Six spectra on lattice [35600, 35720): constant fluxes 10, 20, 30, 40, a ramp, 60; fiber 2
// has ivar 0 on its pixels 40..49.
class ImageStore : public ::testing::Environment {
 public:
  static inline test::temp_dir* dir = nullptr;
  void SetUp() override {
    dir = new test::temp_dir;
    std::vector<sdss_spectrum> s;
    s.push_back(test::synthetic_spectrum(1, 35600, 100, [](size_t) { return 10.f; }));
    s.push_back(test::synthetic_spectrum(2, 35620, 100, [](size_t) { return 20.f; }, [](size_t i) { return i >= 40 && i < 50; }));
    s.push_back(test::synthetic_spectrum(3, 35600, 120, [](size_t) { return 30.f; }));
    s.push_back(test::synthetic_spectrum(4, 35650, 70, [](size_t) { return 40.f; }));
    s.push_back(test::synthetic_spectrum(5, 35600, 120, [](size_t i) { return float(i); }));
    s.push_back(test::synthetic_spectrum(6, 35610, 100, [](size_t) { return 60.f; }));
    test::build_synthetic_store(root(), std::move(s));
  }
  void TearDown() override { delete dir; }
  static fs::path root() { return dir->path() / "store"; }
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new ImageStore);

std::vector<spectrum_id> ids(std::initializer_list<int> fibers) {
  std::vector<spectrum_id> v;
  for (int f : fibers) v.push_back(parse_spectrum_id(test::id_text(f)));
  return v;
}

float_image read_image(const stacked_image_options& o, std::vector<spectrum_id> list) {
  store st(o.store, store::access::read);
  const auto r = resolve_ids(st.catalog(), o.context, std::move(list));
  return read_stacked_image(st, r, o);
}

stacked_image_options base_options(backend b = backend::cpu) {
  stacked_image_options o;
  o.store = ImageStore::root();
  o.device = b;
  return o;
}

// What the gray PNG shows for value v between lo and hi (linear): the table entry of
// floor(256 x), clamped; the table maps onto 1..255.
uint8_t gray_of(double v, double lo, double hi) {
  const double x = std::clamp((v - lo) / (hi - lo), 0.0, 1.0);
  return colormap_table(colormap_id::gray)[size_t(std::min(255, int(x * 256)))].r;
}

TEST(StackedImage, RowsInListOrderFirstAtTheBottomAndMaskedPixelsNaN) {
  const float_image img = read_image(base_options(), ids({1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(img.rows, 6u);
  ASSERT_EQ(img.width, 120u);
  EXPECT_EQ(img.grid.start, 35600);
  // Bottom row: fiber 1, flux 10 on columns 0..99, padding beyond.
  for (size_t j = 0; j < 120; ++j) {
    if (j < 100)
      EXPECT_EQ(img.row(5)[j], 10.f) << j;
    else
      EXPECT_TRUE(std::isnan(img.row(5)[j])) << j;
  }
  // Fiber 2 (row 4): padding before column 20, ivar 0 on columns 60..69.
  EXPECT_TRUE(std::isnan(img.row(4)[19]));
  EXPECT_EQ(img.row(4)[20], 20.f);
  EXPECT_TRUE(std::isnan(img.row(4)[60]));
  EXPECT_TRUE(std::isnan(img.row(4)[69]));
  EXPECT_EQ(img.row(4)[70], 20.f);
  EXPECT_EQ(img.row(1)[37], 37.f);  // the ramp
  EXPECT_EQ(img.row(0)[10], 60.f);  // last ID on top
}

TEST(StackedImage, YflipPutsTheFirstIdOnTop) {
  auto o = base_options();
  o.yflip = true;
  const float_image img = read_image(o, ids({1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(img.row(0)[0], 10.f);
  EXPECT_EQ(img.row(5)[10], 60.f);
}

TEST(StackedImage, BinsRowsAndColumnsAsMeansOfGoodPixels) {
  auto o = base_options();
  o.max_height = 3;  // {1,2} {3,4} {5,6}
  float_image img = read_image(o, ids({1, 2, 3, 4, 5, 6}));
  ASSERT_EQ(img.rows, 3u);
  EXPECT_EQ(img.row(2)[5], 10.f);    // fiber 2 not there yet
  EXPECT_EQ(img.row(2)[30], 15.f);   // (10 + 20) / 2
  EXPECT_EQ(img.row(2)[65], 10.f);   // fiber 2 masked there
  EXPECT_EQ(img.row(2)[119], 20.f);  // fiber 1 ended
  EXPECT_EQ(img.row(1)[10], 30.f);   // fiber 4 starts at column 50
  EXPECT_EQ(img.row(1)[60], 35.f);
  o.max_height = 0;
  o.max_width = 60;  // column pairs
  img = read_image(o, ids({5}));
  ASSERT_EQ(img.width, 60u);
  EXPECT_EQ(img.column_bin, 2u);
  for (size_t c = 0; c < 60; ++c) EXPECT_EQ(img.row(0)[c], float(2 * c) + 0.5f) << c;
}

TEST(StackedImage, ListWindowsDoNotChangeTheImage) {
  // Windows of 1 and 4 rows (the reader's unit of work) against one window, binned or not.
  for (size_t max_height : {size_t(0), size_t(3), size_t(4)}) {
    auto o = base_options();
    o.max_height = max_height;
    const float_image one = read_image(o, ids({6, 1, 2, 5, 3, 4, 2}));
    for (size_t rows_per_window : {size_t(1), size_t(4)}) {
      o.window_bytes = rows_per_window * 120 * 4;
      const float_image many = read_image(o, ids({6, 1, 2, 5, 3, 4, 2}));
      ASSERT_EQ(many.pixels.size(), one.pixels.size());
      for (size_t p = 0; p < one.pixels.size(); ++p)
        ASSERT_TRUE(one.pixels[p] == many.pixels[p] || (std::isnan(one.pixels[p]) && std::isnan(many.pixels[p])))
            << "max_height " << max_height << " window " << rows_per_window << " pixel " << p;
    }
  }
}

TEST(StackedImage, NormalizeDividesRowsByTheirMedian) {
  auto o = base_options();
  o.normalize = true;
  const float_image img = read_image(o, ids({1, 5}));  // constant 10, ramp 0..119
  EXPECT_EQ(img.row(1)[0], 1.f);
  EXPECT_TRUE(std::isnan(img.row(1)[110]));  // still masked
  EXPECT_EQ(img.row(0)[60], 1.f);            // the ramp's median is 60 (upper middle of 120)
  EXPECT_EQ(img.row(0)[30], 0.5f);
}

TEST(StackedImage, UnknownIdsAreMaskedRowsAndNoneKnownIsNotFound) {
  auto list = ids({1, 6});
  list.insert(list.begin() + 1, parse_spectrum_id("4000-55000-999"));
  const float_image img = read_image(base_options(), list);
  ASSERT_EQ(img.rows, 3u);
  for (size_t j = 0; j < img.width; ++j) EXPECT_TRUE(std::isnan(img.row(1)[j]));
  EXPECT_THROW(read_image(base_options(), {parse_spectrum_id("4000-55000-999")}), not_found);
  EXPECT_THROW(read_image(base_options(), {}), not_found);
}

TEST(StackedImage, RefusesImagesBeyondTheMemoryLimit) {
  auto o = base_options();
  o.max_image_pixels = 500;  // 6 x 120 = 720
  EXPECT_THROW(read_image(o, ids({1, 2, 3, 4, 5, 6})), invalid_argument);
  o.max_height = 4;  // 480
  EXPECT_EQ(read_image(o, ids({1, 2, 3, 4, 5, 6})).rows, 4u);
}

TEST(StackedImage, CutoutSetsTheColumns) {
  auto o = base_options();
  o.cutout = wavelength_range{std::pow(10.0, 3.5610), std::pow(10.0, 3.5619)};
  const float_image img = read_image(o, ids({1, 5}));
  EXPECT_EQ(img.grid.start, 35610);
  EXPECT_EQ(img.width, 10u);
  EXPECT_EQ(img.row(0)[0], 10.f);
}

TEST(StackedImage, LimitsFollowTheScale) {
  auto o = base_options();
  const float_image img = read_image(o, ids({1, 2, 3, 4, 5, 6}));
  const display_limits z = stacked_image_limits(img, o);
  const display_limits zz = zscale_limits(img.pixels);
  EXPECT_EQ(z.lo, zz.lo);
  EXPECT_EQ(z.hi, zz.hi);
  o.scale = image_scale::linear;
  o.percentile_lo = 0;
  o.percentile_hi = 100;
  const display_limits p = stacked_image_limits(img, o);
  EXPECT_EQ(p.lo, 0);    // the ramp's first pixel
  EXPECT_EQ(p.hi, 119);  // ... and its last: NaN pixels do not count
  o.range = display_limits{-5, 5};
  EXPECT_EQ(stacked_image_limits(img, o).hi, 5);
}

TEST(StackedImage, OptionErrorsAreInvalidArguments) {
  for (const char* bad : {"1", "a,b", "2,1", "1,1", "nan,1", "1,2,3", ",", "1,inf"})
    EXPECT_THROW(parse_limits(bad, "--range"), invalid_argument) << bad;
  EXPECT_EQ(parse_limits(" -1.5, 2e3", "--range").hi, 2000);
  EXPECT_THROW(parse_image_scale("log"), invalid_argument);
  auto o = base_options();
  o.thickness = 0;
  EXPECT_THROW(check_stacked_image_options(o), invalid_argument);
  o = base_options();
  o.range = display_limits{0, 1};  // zscale with a range
  EXPECT_THROW(check_stacked_image_options(o), invalid_argument);
  o = base_options();
  o.percentile_lo = 50;
  o.percentile_hi = 50;
  EXPECT_THROW(check_stacked_image_options(o), invalid_argument);
}

class StackedPng : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(StackedPng, GrayPixelsRowOrderAndReplication) {
  auto o = base_options(GetParam());
  o.scale = image_scale::linear;
  o.range = display_limits{0, 60};
  o.thickness = 3;
  o.column_repeat = 2;
  stacked_image_summary s;
  const auto png = stacked_image_png(o, ids({1, 2, 3, 4, 5, 6}), &s);
  const decoded_png d = test::decode(png);
  ASSERT_EQ(d.channels, 1);
  ASSERT_EQ(d.width, 240u);
  ASSERT_EQ(d.height, 18u);
  EXPECT_EQ(s.png_width, 240u);
  EXPECT_EQ(s.found, 6u);
  // Bottom three pixel rows: fiber 1 (10) then padding (masked: 0).
  for (uint32_t y = 15; y < 18; ++y) {
    EXPECT_EQ(*d.at(0, y), gray_of(10, 0, 60));
    EXPECT_EQ(*d.at(199, y), gray_of(10, 0, 60));
    EXPECT_EQ(*d.at(200, y), 0);
  }
  EXPECT_EQ(*d.at(2 * 65, 13), 0);                         // fiber 2's ivar-0 pixels
  EXPECT_EQ(*d.at(2 * 37 + 1, 4), gray_of(37, 0, 60));    // the ramp, row 1
  EXPECT_EQ(*d.at(2 * 119, 4), gray_of(119, 0, 60));      // clipped at the top: 255
  EXPECT_EQ(*d.at(20, 0), gray_of(60, 0, 60));            // last ID on top
}

TEST_P(StackedPng, ColourMapsDrawMaskedPixelsInTheirOwnColour) {
  auto o = base_options(GetParam());
  o.cmap = colormap_id::viridis;
  const auto png = stacked_image_png(o, ids({1, 2}));
  const decoded_png d = test::decode(png);
  ASSERT_EQ(d.channels, 3);
  const rgb8 masked = default_masked_color(colormap_id::viridis);
  auto px = [&](uint32_t x, uint32_t y) { return rgb8{d.at(x, y)[0], d.at(x, y)[1], d.at(x, y)[2]}; };
  EXPECT_EQ(px(110, 1), masked);  // fiber 1 (bottom) padding
  EXPECT_EQ(px(5, 0), masked);    // fiber 2 (top) padding
  EXPECT_EQ(px(65, 0), masked);   // fiber 2 ivar 0
  EXPECT_NE(px(30, 0), masked);
  // Two constant rows: zscale puts them at the two ends of the map.
  EXPECT_EQ(px(30, 1), colormap_table(colormap_id::viridis)[0]);
  EXPECT_EQ(px(30, 0), colormap_table(colormap_id::viridis)[255]);
  o.invert = true;
  const decoded_png inv = test::decode(stacked_image_png(o, ids({1, 2})));
  EXPECT_EQ((rgb8{inv.at(30, 1)[0], inv.at(30, 1)[1], inv.at(30, 1)[2]}), colormap_table(colormap_id::viridis)[255]);
}

std::string backend_name(const ::testing::TestParamInfo<backend>& i) { return std::string(to_string(i.param)); }
INSTANTIATE_TEST_SUITE_P(Cpu, StackedPng, ::testing::Values(backend::cpu), backend_name);
INSTANTIATE_TEST_SUITE_P(Cuda, StackedPng, ::testing::Values(backend::cuda), backend_name);

TEST(StackedImage, FileOutputsMatchTheInMemoryPng) {
  test::temp_dir tmp;
  auto o = base_options();
  const auto png = stacked_image_png(o, ids({3, 1, 4}));
  write_stacked_image(o, ids({3, 1, 4}), tmp / "img.png");
  std::ifstream in(tmp / "img.png", std::ios::binary);
  const std::vector<uint8_t> file((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(file, png);
  const auto s = write_stacked_image(o, ids({3, 1, 4}), tmp / "img.npy");
  EXPECT_EQ(s.image_rows, 3u);
  const size_t data = 3 * 120 * 4;
  EXPECT_GT(fs::file_size(tmp / "img.npy"), data);
  EXPECT_EQ((fs::file_size(tmp / "img.npy") - data) % 64, 0u);  // npy header padded to 64
}

}  // namespace
