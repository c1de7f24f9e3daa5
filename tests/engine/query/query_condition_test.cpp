// The original service's query conditions (q3c calls, ORDER BY / LIMIT / OFFSET) split into
// region, constraint, sort and paging: engine/query_condition.hpp.
#include "engine/query/query_condition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/error.hpp"

namespace specmill {
namespace {

TEST(QueryCondition, RadialTermBecomesTheCone) {
  const auto c = parse_original_condition("q3c_radial_query(ra,dec,213.351200,53.090800,0.010000) AND z > 2");
  ASSERT_TRUE(c.region);
  EXPECT_EQ(c.region_ra, "ra");
  EXPECT_EQ(c.region_dec, "dec");
  EXPECT_EQ(c.constraint, "z > 2");
  EXPECT_TRUE(c.sort.empty());
  EXPECT_FALSE(c.limit);
  // The same exact test as sky_region::cone
  const auto cone = sky_region::cone(213.3512, 53.0908, 0.01);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> d(-0.02, 0.02);
  for (int i = 0; i < 2000; ++i) {
    const double ra = 213.3512 + d(rng), dec = 53.0908 + d(rng);
    EXPECT_EQ(c.region->contains(ra, dec), cone.contains(ra, dec));
  }
}

TEST(QueryCondition, PolygonFlatAndPairsAgree) {
  const auto flat = parse_original_condition("q3c_poly_query(ra,dec,ARRAY[110, 39, 112, 39, 112, 41, 111, 40, 110, 41])");
  const auto pairs =
      parse_original_condition("q3c_poly_query(ra, dec, ARRAY[(110, 39), (112, 39), (112, 41), (111, 40), (110, 41)])");
  const auto lists = parse_original_condition("Q3C_POLY_QUERY(ra,dec,ARRAY[[110,39],[112,39],[112,41],[111,40],[110,41]])");
  ASSERT_TRUE(flat.region && pairs.region && lists.region);
  EXPECT_TRUE(flat.constraint.empty());
  for (double ra = 109.5; ra < 112.5; ra += 0.05)
    for (double dec = 38.5; dec < 41.5; dec += 0.05) {
      EXPECT_EQ(flat.region->contains(ra, dec), pairs.region->contains(ra, dec));
      EXPECT_EQ(flat.region->contains(ra, dec), lists.region->contains(ra, dec));
    }
  EXPECT_TRUE(flat.region->contains(111, 39.5));
  EXPECT_FALSE(flat.region->contains(111, 40.8));  // the notch of the concave polygon
}

TEST(QueryCondition, TrailingOrderLimitOffset) {
  const auto c = parse_original_condition("q3c_radial_query(ra,dec,1,2,3) ORDER BY z DESC, plate limit 10 OFFSET 5");
  EXPECT_TRUE(c.region);
  EXPECT_TRUE(c.constraint.empty());
  EXPECT_EQ(c.sort, "z DESC, plate");
  EXPECT_EQ(c.limit, 10);
  EXPECT_EQ(c.offset, 5);
  const auto only = parse_original_condition(" limit 3");
  EXPECT_FALSE(only.region);
  EXPECT_EQ(only.limit, 3);
  const auto constraint = parse_original_condition(" class = 'QSO' order by z");
  EXPECT_EQ(constraint.constraint, "class = 'QSO'");
  EXPECT_EQ(constraint.sort, "z");
}

TEST(QueryCondition, LiteralsAndParenthesesAreNotKeywords) {
  const auto c = parse_original_condition("class = 'x limit 5 OR y' AND (z > 1 OR z < 0)");
  EXPECT_FALSE(c.limit);
  EXPECT_FALSE(c.region);
  EXPECT_EQ(c.constraint, "class = 'x limit 5 OR y' AND (z > 1 OR z < 0)");
  const auto between = parse_original_condition("q3c_radial_query(ra,dec,1,2,3) AND z BETWEEN 1 AND 2 AND class = 'QSO'");
  EXPECT_TRUE(between.region);
  EXPECT_EQ(between.constraint, "z BETWEEN 1 AND 2 AND class = 'QSO'");
}

TEST(QueryCondition, UnderOrTheCallStaysInTheConstraint) {
  const auto c = parse_original_condition("q3c_radial_query(ra,dec,1,2,3) AND z > 1 OR class = 'QSO'");
  EXPECT_FALSE(c.region);  // AND binds tighter than OR: taking the call out would change the meaning
  EXPECT_EQ(c.constraint, "q3c_radial_query(ra,dec,1,2,3) AND z > 1 OR class = 'QSO'");
  const auto n = parse_original_condition("NOT q3c_radial_query(ra,dec,1,2,3)");
  EXPECT_FALSE(n.region);
  const auto two = parse_original_condition("q3c_radial_query(ra,dec,1,2,3) AND q3c_radial_query(ra,dec,1,2,1)");
  EXPECT_TRUE(two.region);  // the first becomes the region, the second stays a row test
  EXPECT_EQ(two.constraint, "q3c_radial_query(ra,dec,1,2,1)");
}

TEST(QueryCondition, MalformedIsInvalidArgument) {
  for (const char* bad : {"q3c_radial_query(ra,dec,1,2)", "q3c_radial_query(ra,dec,1,2,x)",
                          "q3c_poly_query(ra,dec,ARRAY[1,2,3,4])", "q3c_poly_query(ra,dec,ARRAY[1,2,3,4,5])",
                          "q3c_poly_query(ra,dec,[1,2,3,4,5,6])", "z > 1 limit -3", "z > 1 limit 3 limit 4",
                          "z > 1 order z", "z > 1 offset x", "q3c_poly_query(ra,dec,ARRAY[1,2,3,4,5,6]) OR z > 1",
                          "q3c_radial_query(ra,dec,1,2,-1)"})
    EXPECT_THROW(parse_original_condition(bad), invalid_argument) << bad;
}

TEST(QueryCondition, AngularDistance) {
  EXPECT_NEAR(angular_distance_deg(0, 0, 90, 0), 90.0, 1e-12);
  EXPECT_NEAR(angular_distance_deg(10, 89, 190, 89), 2.0, 1e-11);
  EXPECT_NEAR(angular_distance_deg(0, -90, 0, 90), 180.0, 1e-9);
  // Small separations keep their digits (haversine form): 1 milliarcsecond
  const double mas = 1.0 / 3.6e6;
  EXPECT_NEAR(angular_distance_deg(213.3512, 0, 213.3512 + mas, 0) / mas, 1.0, 1e-6);
}

}  // namespace
}  // namespace specmill
