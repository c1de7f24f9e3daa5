#include "engine/pipeline/lattice_window.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

using namespace specmill;

TEST(WavelengthRange, ParsesAngstromPairs) {
  auto r = parse_wavelength_range("6500-7200");
  EXPECT_EQ(r.lo, 6500);
  EXPECT_EQ(r.hi, 7200);
  r = parse_wavelength_range("6.5e3-7.2e3");
  EXPECT_EQ(r.lo, 6500);
  EXPECT_EQ(r.hi, 7200);
  r = parse_wavelength_range("3800.25-3800.5");
  EXPECT_EQ(r.lo, 3800.25);
}

TEST(WavelengthRange, RejectsMalformedText) {
  for (const char* bad : {"", "-", "6500", "6500-", "-7200", "7200-6500", "6500-6500", "abc", "a-b", "6500-7200x",
                          "6500--7200", "-6500-7200", "6500-7200-8000", "0-100", "nan-7000", "inf-7000", "6500-inf",
                          "6500 - 7200", "1-2e6", "6500,7200"}) {
    EXPECT_THROW(parse_wavelength_range(bad), invalid_argument) << "'" << bad << "'";
  }
}

// Pixel centers 10^(i * 1e-4): the window holds exactly the centers inside [lo, hi].
TEST(CutoutWindow, HoldsExactlyThePixelCentersInRange) {
  for (auto [lo, hi] : {std::pair{6500.0, 7200.0}, {3600.0, 10400.0}, {4000.0, 4000.5}, {5000.0, 5001.0}}) {
    const lattice_window w = cutout_window({lo, hi}, sdss_native_grid);
    ASSERT_GT(w.width, 0);
    EXPECT_GE(w.wavelength(0), lo * (1 - 1e-12));
    EXPECT_LE(w.wavelength(w.width - 1), hi * (1 + 1e-12));
    EXPECT_LT(std::pow(10.0, (w.start - 1) * 1e-4), lo);          // the pixel before is outside
    EXPECT_GT(std::pow(10.0, (w.end()) * 1e-4), hi);              // and the pixel after
  }
  // A bound typed as a pixel's center includes that pixel.
  const double center = std::pow(10.0, 36000 * 1e-4);
  EXPECT_EQ(cutout_window({center, center * 1.01}, sdss_native_grid).start, 36000);
  EXPECT_EQ(cutout_window({center / 1.01, center}, sdss_native_grid).end(), 36001);
  EXPECT_THROW(cutout_window({4000.01, 4000.02}, sdss_native_grid), invalid_argument);  // between two centers
}

TEST(ListSpan, GlobalMinAndMaxOverSpectraWithPixels) {
  auto located = [](int32_t start, int32_t npix) {
    catalog_entry e;
    e.location = spectrum_location{1, 0, start, npix};
    return resolved_id::from_entry(e);
  };
  const std::vector<resolved_id> ids = {located(36000, 100), located(35900, 50),
                                        resolved_id::from_entry(catalog_entry{}),  // catalog row without pixels: ignored
                                        located(36050, 200)};
  const lattice_window w = list_span(ids, sdss_native_grid);
  EXPECT_EQ(w.start, 35900);
  EXPECT_EQ(w.end(), 36250);
  EXPECT_THROW(list_span(std::span<const resolved_id>(ids.data() + 2, 1), sdss_native_grid), not_found);
  EXPECT_THROW(list_span({}, sdss_native_grid), not_found);
}

namespace specmill {
namespace {

TEST(LatticeWindow, OverlapIsTheSharedPixels) {
  const lattice_window a{100, 50}, b{120, 100};
  const auto both = overlap(a, b);
  ASSERT_TRUE(both.has_value());
  EXPECT_EQ(both->start, 120);
  EXPECT_EQ(both->width, 30);
  EXPECT_EQ(overlap(b, a)->width, 30);
  EXPECT_FALSE(overlap(a, lattice_window{150, 10}).has_value());  // touching ends share nothing
  EXPECT_EQ(overlap(a, lattice_window{149, 10})->width, 1);
}

}  // namespace
}  // namespace specmill
