// engine/sky_region: input validation (each bad geometry a clear invalid_argument), the exact
// tests' meaning at boundaries, poles and the RA seam, and that the HEALPix cover holds every
// point the exact test accepts, at every order.
#include "engine/query/sky_region.hpp"

#include <gtest/gtest.h>

#include <random>

#include "core/error.hpp"
#include "engine/query/query_fixture.hpp"

using namespace specmill;
using specmill::test::offset;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

bool in_cover(const std::vector<healpix_range>& cover, int64_t pix) {
  auto it = std::upper_bound(cover.begin(), cover.end(), pix,
                             [](int64_t p, const healpix_range& r) { return p < r.first; });
  return it != cover.begin() && std::prev(it)->last >= pix;
}

}  // namespace

TEST(SkyRegion, BadConesAreRejectedWithTheReason) {
  EXPECT_NE(error_of([] { sky_region::cone(10, 90.5, 1); }).find("Dec 90.5 is outside [-90, 90]"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(10, -91, 1); }).find("outside [-90, 90]"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(10, 0, 0); }).find("radius 0 is outside (0, 180]"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(10, 0, -1); }).find("radius"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(10, 0, 180.5); }).find("radius"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(std::nan(""), 0, 1); }).find("not a finite number"), std::string::npos);
  EXPECT_NE(error_of([] { sky_region::cone(0, 0, INFINITY); }).find("radius"), std::string::npos);
  EXPECT_NO_THROW(sky_region::cone(-30, 90, 180));  // any finite RA; radius 180 is the sky
}

TEST(SkyRegion, BadPolygonsAreRejectedWithTheReason) {
  auto err = [](std::vector<sky_point> v) { return error_of([&] { sky_region::polygon(v); }); };
  EXPECT_NE(err({{0, 0}, {1, 0}}).find("at least 3 vertices, got 2"), std::string::npos);
  EXPECT_NE(err({{0, 0}, {1, 0}, {1, 0}, {0, 1}}).find("vertices 2 and 3 are the same point"), std::string::npos);
  EXPECT_NE(err({{0, 0}, {1, 0}, {2, 0}}).find("zero area"), std::string::npos);           // collinear
  EXPECT_NE(err({{10, 5}, {10, 6}, {10, 7.5}}).find("zero area"), std::string::npos);      // on a meridian
  EXPECT_NE(err({{0, 0}, {1, 1}, {1, 0}, {0, 1}}).find("self-intersecting"), std::string::npos);  // bow tie
  EXPECT_NE(err({{0, 0}, {2, 0}, {2, 2}, {1, 0}, {0, 2}}).find("self-intersecting"), std::string::npos);  // touches
  EXPECT_NE(err({{0, 0}, {1, 95}, {1, 0}}).find("Dec 95"), std::string::npos);
  EXPECT_NE(err({{0, 0}, {120, 0}, {240, 0}}).find("hemisphere"), std::string::npos);
  EXPECT_NE(err({{0, 0}, {179, 0}, {90, 80}}).find("too large"), std::string::npos);
  // A closing vertex equal to the first is the GeoJSON habit, not a repeated vertex.
  EXPECT_NO_THROW(sky_region::polygon({{0, 0}, {1, 0}, {1, 1}, {0, 0}}));
}

TEST(SkyRegion, ConeMeaning) {
  const auto c = sky_region::cone(10, 20, 1);
  const sky_vec centre = unit_vector(10, 20);
  for (double theta : {0.0, 1.0, 2.5, 4.0}) {
    const auto in = offset(centre, 1 - 1e-9, theta), out = offset(centre, 1 + 1e-9, theta);
    EXPECT_TRUE(c.contains(in.ra, in.dec));
    EXPECT_FALSE(c.contains(out.ra, out.dec));
  }
  EXPECT_TRUE(c.contains(10, 20));
  EXPECT_FALSE(c.contains(10, std::nan("")));
  EXPECT_FALSE(c.contains(10, 90.5));
  // RA wraps: a cone at RA 359.9 holds RA 0.05 and RA -0.05 (= 359.95) and 360.0.
  const auto seam = sky_region::cone(359.9, 0, 0.2);
  EXPECT_TRUE(seam.contains(0.05, 0));
  EXPECT_TRUE(seam.contains(-0.05, 0));
  EXPECT_TRUE(seam.contains(360.0, 0));
  EXPECT_FALSE(seam.contains(0.15, 0));
  // At the pole every RA is the same point.
  const auto pole = sky_region::cone(0, 90, 0.5);
  for (double ra : {0.0, 90.0, 180.0, 359.0}) EXPECT_TRUE(pole.contains(ra, 89.6));
  EXPECT_FALSE(pole.contains(42, 89.4));
  // Tiny cones keep full precision: a 1e-6-degree cone separates points 1e-12 degrees either side
  // of its edge.
  const auto tiny = sky_region::cone(200, -30, 1e-6);
  const auto t_in = offset(unit_vector(200, -30), 1e-6 * (1 - 1e-6), 1.0);
  const auto t_out = offset(unit_vector(200, -30), 1e-6 * (1 + 1e-6), 1.0);
  EXPECT_TRUE(tiny.contains(t_in.ra, t_in.dec));
  EXPECT_FALSE(tiny.contains(t_out.ra, t_out.dec));
  // Whole sky and antipodes.
  EXPECT_TRUE(sky_region::cone(0, 0, 180).contains(180, 0));
  EXPECT_TRUE(sky_region::cone(0, 0, 180).contains(0, -90));
  EXPECT_FALSE(sky_region::cone(0, 0, 179.999).contains(180, 0));
  EXPECT_TRUE(sky_region::cone(0, 0, 179.999).contains(180, 0.002));
}

TEST(SkyRegion, PolygonMeaning) {
  // L shape, non-convex: the notch is outside, both arms inside, vertices and edges inside.
  const std::vector<sky_point> l = {{40, 10}, {43, 10}, {43, 11}, {41, 11}, {41, 13}, {40, 13}};
  const auto p = sky_region::polygon(l);
  EXPECT_TRUE(p.contains(42.5, 10.5));
  EXPECT_TRUE(p.contains(40.5, 12.5));
  EXPECT_FALSE(p.contains(42, 12));  // the notch
  for (const auto& v : l) EXPECT_TRUE(p.contains(v.ra, v.dec)) << v.ra << " " << v.dec;
  // Orientation does not matter.
  auto rev = l;
  std::reverse(rev.begin(), rev.end());
  const auto q = sky_region::polygon(rev);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> ra(39.5, 43.5), dec(9.5, 13.5);
  for (int i = 0; i < 10000; ++i) {
    const double a = ra(rng), d = dec(rng);
    ASSERT_EQ(p.contains(a, d), q.contains(a, d)) << a << " " << d;
  }
  // Across RA 0 and around the north pole (the pole inside, the far side outside).
  const auto seam = sky_region::polygon({{359, -1}, {1, -1}, {1, 1}, {359, 1}});
  EXPECT_TRUE(seam.contains(0, 0));
  EXPECT_TRUE(seam.contains(359.5, 0.5));
  EXPECT_FALSE(seam.contains(180, 0));
  EXPECT_FALSE(seam.contains(2, 0));
  const auto cap = sky_region::polygon({{0, 80}, {90, 80}, {180, 80}, {270, 80}});
  EXPECT_TRUE(cap.contains(0, 90));
  EXPECT_TRUE(cap.contains(123, 85));
  EXPECT_FALSE(cap.contains(45, 79));  // beyond the edge midpoint's great circle
  EXPECT_FALSE(cap.contains(45, -85));
  // Edges are great circles, not lines of constant Dec: the edge from (0, 80) to (90, 80)
  // bulges poleward, to Dec ~82.9 at RA 45.
  EXPECT_FALSE(cap.contains(45, 82.5));
  EXPECT_TRUE(cap.contains(45, 83.0));
}

// Every point the exact test accepts lies in the cover, at every order (the guarantee that
// makes index results equal brute-force ones), for random cones and polygons of all sizes.
TEST(SkyRegion, CoverHoldsEveryAcceptedPoint) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  size_t checked = 0;
  for (int q = 0; q < 120; ++q) {
    const double dec0 = q % 3 == 0 ? (u(rng) < 0.5 ? -1 : 1) * (90 - 3 * u(rng)) : 180 * u(rng) - 90;
    const double ra0 = q % 4 == 0 ? 0.5 * u(rng) : 360 * u(rng);
    const double size = std::exp(std::log(1e-3) + u(rng) * (std::log(40.0) - std::log(1e-3)));
    std::optional<sky_region> region;
    if (q % 2) {
      region = sky_region::cone(ra0, dec0, size);
    } else {
      std::vector<sky_point> v;
      const size_t n = 3 + q % 5;
      for (size_t i = 0; i < n; ++i)
        v.push_back(offset(unit_vector(ra0, dec0), size * (i % 2 ? 0.5 : 1.0), 2 * M_PI * double(i) / double(n)));
      region = sky_region::polygon(v);
    }
    const int order = q % 12;  // the cover at a coarse-to-fine range of orders
    const auto cover = region->cover(order);
    for (int k = 0; k < 400; ++k) {  // points near the region, inside it
      const auto p = offset(unit_vector(ra0, dec0), size * 1.2 * std::sqrt(u(rng)), 2 * M_PI * u(rng));
      if (!region->contains(p.ra, p.dec)) continue;
      ++checked;
      ASSERT_TRUE(in_cover(cover, *healpix_index(p.ra, p.dec))) << region->describe() << " order " << order;
    }
  }
  EXPECT_GT(checked, 20000u);
}
