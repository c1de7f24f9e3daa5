// io/healpix: the stored order-29 pixel shifted right by 2(29-k) is the order-k pixel (what lets
// one column serve every query order), and covers are sorted, disjoint, inclusive ranges.
#include "io/catalog/healpix.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace specmill;

TEST(Healpix, Order29PixelsNestEveryCoarserOrder) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int i = 0; i < 20000; ++i) {
    const double ra = 360 * u(rng), dec = std::asin(2 * u(rng) - 1) / deg_to_rad;
    const int64_t p = *healpix_index(ra, dec);
    ASSERT_GE(p, 0);
    ASSERT_LT(p, 12 * (int64_t(1) << 58));
    // The cover of a tiny disc at order k holds exactly the parent pixel.
    const int k = i % 16;
    const auto cover = healpix_disc_cover(unit_vector(ra, dec), 1e-12, k);
    ASSERT_FALSE(cover.empty());
    bool inside = false;
    for (const auto& r : cover) inside = inside || (r.first <= p && p <= r.last);
    ASSERT_TRUE(inside) << ra << " " << dec << " order " << k;
  }
  EXPECT_FALSE(healpix_index(10, 90.5).has_value());
  EXPECT_FALSE(healpix_index(std::nan(""), 0).has_value());
  EXPECT_EQ(*healpix_index(0, 0), *healpix_index(360, 0));
  EXPECT_EQ(*healpix_index(-90, 10), *healpix_index(270, 10));
}

TEST(Healpix, CoversAreSortedDisjointAndCountTheSky) {
  for (int k : {0, 3, 8}) {
    const auto cover = healpix_disc_cover(unit_vector(10, 20), 5 * deg_to_rad, k);
    for (size_t i = 0; i < cover.size(); ++i) {
      EXPECT_LE(cover[i].first, cover[i].last);
      if (i) {
        EXPECT_GT(cover[i].first, cover[i - 1].last + 1);  // merged when adjacent
      }
      // Range ends fall on order-k pixel boundaries.
      EXPECT_EQ(cover[i].first % (int64_t(1) << (2 * (healpix_index_order - k))), 0);
    }
    const double f = healpix_cover_fraction(cover);
    EXPECT_GE(f, (1 - std::cos(5 * deg_to_rad)) / 2);  // at least the disc's share of the sphere
  }
  EXPECT_DOUBLE_EQ(healpix_cover_fraction(healpix_disc_cover(unit_vector(0, 0), M_PI, 0)), 1.0);
  EXPECT_THROW(healpix_disc_cover(unit_vector(0, 0), 0.1, 30), std::exception);
}
