#include "core/native_grid.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/spectrum.hpp"

using namespace specmill;

namespace {

void expect_rejected(const char* text, const char* fragment) {
  try {
    parse_native_grid(text);
    ADD_FAILURE() << "accepted '" << text << "'";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << text << ": " << e.what();
  }
}

}  // namespace

// The SDSS lattice as every stored spectrum so far is on it: coordinate i * 1e-4, wavelength
// pow(10, that), float loglam bit for bit what the engine wrote before the descriptor existed.
TEST(NativeGrid, SdssLatticeMatchesThePreviousFormulas) {
  const native_grid& g = sdss_native_grid;
  EXPECT_TRUE(g.is_log_lattice());
  EXPECT_EQ(g.inv_step, 1e4);
  EXPECT_TRUE(same_grid(g, log10_lattice(1e-4)));
  for (int64_t i = 30000; i < 42000; i += 7) {
    EXPECT_EQ(g.coordinate(i), double(i) * 1e-4);
    EXPECT_EQ(g.angstrom(i), std::pow(10.0, double(i) * 1e-4));
    EXPECT_EQ(lattice_loglam(int32_t(i)), static_cast<float>(double(i) * 1e-4));
  }
}

// index -> wavelength -> index for log and linear lattices, against a float64 reference computed
// here; the round trip lands within 1e-9 pixel and pixel_at finds the pixel back exactly.
TEST(NativeGrid, IndexWavelengthRoundTrips) {
  for (const native_grid& g : {log10_lattice(1e-4), log10_lattice(6.9e-5), linear_lattice(0.8), linear_lattice(1.5)}) {
    for (int64_t i = 1; i < 200000; i += 37) {
      const double lam = g.angstrom(i);
      const double ref = g.is_log_lattice() ? std::pow(10.0, double(i) * g.step) : double(i) * g.step;
      ASSERT_NEAR(lam, ref, 1e-14 * ref) << to_string(g) << " i " << i;
      ASSERT_NEAR(g.index_at(lam), double(i), 1e-9 * double(i)) << to_string(g) << " i " << i;
      ASSERT_EQ(g.pixel_at(lam), i) << to_string(g);
      // Edges: between the centres, the upper edge of i is the lower edge of i + 1.
      ASSERT_LT(g.lower_edge_angstrom(i), lam);
      ASSERT_GT(g.lower_edge_angstrom(i + 1), lam);
      ASSERT_EQ(g.pixel_at(g.lower_edge_angstrom(i) * (1 + 1e-12)), i);
    }
  }
}

TEST(NativeGrid, LinearLatticeGeometry) {
  const native_grid g = linear_lattice(0.8);  // DESI: 3600 A is pixel 4500
  EXPECT_FALSE(g.is_log_lattice());
  EXPECT_DOUBLE_EQ(g.angstrom(4500), 3600.0);
  EXPECT_NEAR(g.loglam(4500), std::log10(3600.0), 1e-15);
  EXPECT_DOUBLE_EQ(g.lower_edge_angstrom(4500), 3599.6);
  const wavelength_span s = g.span({4500, 10});  // 3599.6 .. 3607.6
  EXPECT_NEAR(s.lo, 3599.6, 1e-9);
  EXPECT_NEAR(s.hi, 3607.6, 1e-9);
  const index_range r = g.pixels_in({3600.0, 3607.2});
  EXPECT_EQ(r.first, 4500);
  EXPECT_EQ(r.count, 10);
  EXPECT_TRUE(g.pixels_in({3600.1, 3600.7}).empty());  // between two centres
}

TEST(NativeGrid, PixelsInOnTheLogLattice) {
  const native_grid& g = sdss_native_grid;
  const double lo = 4000, hi = 5000;
  const index_range r = g.pixels_in({lo, hi});
  ASSERT_FALSE(r.empty());
  EXPECT_GE(g.angstrom(r.first), lo);
  EXPECT_LT(g.angstrom(r.first - 1), lo);
  EXPECT_LE(g.angstrom(r.end() - 1), hi);
  EXPECT_GT(g.angstrom(r.end()), hi);
  // A span that is exactly a pixel centre keeps that pixel.
  EXPECT_EQ(g.pixels_in({g.angstrom(36000), g.angstrom(36000)}).count, 1);
  EXPECT_TRUE(g.pixels_in({-1, 10}).empty());
  EXPECT_TRUE(g.pixels_in({5000, 4000}).empty());
}

TEST(NativeGrid, ExplicitGrid) {
  const std::vector<double> w{3600.0, 3601.0, 3603.0, 3606.0, 3610.0};
  const native_grid g = explicit_grid(w.data(), int64_t(w.size()));
  EXPECT_FALSE(g.is_lattice());
  for (int64_t i = 0; i < 5; ++i) {
    EXPECT_EQ(g.angstrom(i), w[size_t(i)]);
    EXPECT_EQ(g.index_at(w[size_t(i)]), double(i));
    EXPECT_EQ(g.pixel_at(w[size_t(i)]), i);
    EXPECT_NEAR(g.loglam(i), std::log10(w[size_t(i)]), 1e-15);
  }
  EXPECT_DOUBLE_EQ(g.index_at(3602.0), 1.5);
  EXPECT_DOUBLE_EQ(g.lower_edge_angstrom(2), 3602.0);   // midway
  EXPECT_DOUBLE_EQ(g.lower_edge_angstrom(0), 3599.5);   // mirrors the first spacing
  EXPECT_DOUBLE_EQ(g.lower_edge_angstrom(5), 3612.0);   // and the last
  EXPECT_DOUBLE_EQ(g.index_at(3598.0), -2.0);           // extrapolated
  EXPECT_EQ(g.pixels_in({3600.5, 3606.0}).first, 1);
  EXPECT_EQ(g.pixels_in({3600.5, 3606.0}).count, 3);
  EXPECT_EQ(g.pixels_in({3000, 9000}).count, 5);        // clipped to the list
  EXPECT_TRUE(same_grid(g, explicit_grid(w.data(), 5)));
  EXPECT_FALSE(same_grid(g, explicit_grid(w.data(), 4)));
  const std::vector<double> unordered{3600.0, 3600.0}, negative{-1.0, 2.0};
  EXPECT_THROW(explicit_grid(unordered.data(), 2), invalid_argument);
  EXPECT_THROW(explicit_grid(negative.data(), 2), invalid_argument);
  EXPECT_THROW(explicit_grid(w.data(), 0), invalid_argument);
}

TEST(NativeGrid, RangeHelpers) {
  EXPECT_EQ(intersect(index_range{10, 10}, index_range{15, 10}).first, 15);
  EXPECT_EQ(intersect(index_range{10, 10}, index_range{15, 10}).count, 5);
  EXPECT_TRUE(intersect(index_range{10, 5}, index_range{15, 10}).empty());  // touching
  EXPECT_TRUE(contains(index_range{10, 10}, index_range{12, 8}));
  EXPECT_FALSE(contains(index_range{10, 10}, index_range{12, 9}));
  EXPECT_TRUE(contains(index_range{10, 10}, index_range{99, 0}));
  const wavelength_span a{4000, 5000}, b{4500, 6000};
  EXPECT_EQ(intersect(a, b).lo, 4500);
  EXPECT_EQ(intersect(a, b).hi, 5000);
  EXPECT_TRUE(intersect(a, wavelength_span{5001, 6000}).empty());
  EXPECT_TRUE(contains(a, wavelength_span{4000, 5000}));
  EXPECT_FALSE(contains(a, b));
  EXPECT_TRUE(sdss_native_grid.span({0, 0}).empty());
}

TEST(NativeGrid, TextRoundTrip) {
  for (const native_grid& g : {log10_lattice(1e-4), log10_lattice(2.5e-5), linear_lattice(0.8), linear_lattice(1.0),
                               linear_lattice(0.1 + 0.2)}) {
    const native_grid back = parse_native_grid(to_string(g));
    EXPECT_TRUE(same_grid(back, g)) << to_string(g);
    EXPECT_EQ(back.inv_step, 1.0 / g.step);
  }
  EXPECT_EQ(to_string(sdss_native_grid), "log10:1e-4");
  EXPECT_EQ(to_string(log10_lattice(2.5e-5)), "log10:2.5e-5");
  EXPECT_EQ(to_string(linear_lattice(0.8)), "linear:0.8");
  EXPECT_TRUE(same_grid(parse_native_grid("log10:1e-4"), sdss_native_grid));
  EXPECT_TRUE(same_grid(parse_native_grid("  linear : 0.8 "), linear_lattice(0.8)));
  EXPECT_EQ(parse_native_grid("explicit").kind, grid_kind::explicit_list);
  EXPECT_EQ(to_string(parse_native_grid("explicit")), "explicit");
}

TEST(NativeGrid, RejectsBadTextAndSteps) {
  expect_rejected("", "empty");
  expect_rejected("log10", "no ':'");
  expect_rejected("log:1e-4", "'log10' or 'linear'");
  expect_rejected("LOG10:1e-4", "'log10' or 'linear'");
  expect_rejected("linear:", "missing");
  expect_rejected("linear:0.8A", "not a number");
  expect_rejected("linear:abc", "not a number");
  expect_rejected("linear:0", "> 0");
  expect_rejected("linear:-0.8", "> 0");
  expect_rejected("log10:nan", "finite");
  expect_rejected("log10:inf", "finite");
  expect_rejected("log10:1e999", "not a number");
  expect_rejected("log10:2", "< 1");
  for (double bad : {0.0, -1e-4, double(NAN), double(INFINITY)}) {
    EXPECT_THROW(log10_lattice(bad), invalid_argument) << bad;
    EXPECT_THROW(linear_lattice(bad), invalid_argument) << bad;
  }
}

TEST(NativeGrid, RequireLog10Lattice) {
  EXPECT_NO_THROW(require_log10_lattice(sdss_native_grid, "align"));
  try {
    require_log10_lattice(linear_lattice(0.8), "align");
    ADD_FAILURE() << "accepted a linear grid";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("align works on log10 lattices only"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("linear:0.8"), std::string::npos) << e.what();
  }
}
