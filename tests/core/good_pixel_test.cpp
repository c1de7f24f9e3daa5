#include "core/good_pixel.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

using namespace specmill;

namespace {
constexpr float inf = std::numeric_limits<float>::infinity();
constexpr float qnan = std::numeric_limits<float>::quiet_NaN();
constexpr float denorm = std::numeric_limits<float>::denorm_min();
constexpr float big = std::numeric_limits<float>::max();

// The rule written the plain way, the reference the bit-level version must match.
bool reference(float flux, float ivar, uint32_t mask, uint32_t bits, bool allow_inf_ivar) {
  const bool ivar_ok = ivar > 0 && (allow_inf_ivar || std::isfinite(ivar));
  return ivar_ok && std::isfinite(flux) && (mask & bits) == 0;
}
}  // namespace

TEST(GoodPixel, Basics) {
  EXPECT_TRUE(good_pixel(1.5f, 2.0f));
  EXPECT_TRUE(good_pixel(-3.0f, denorm));          // tiny but positive ivar counts
  EXPECT_TRUE(good_pixel(0.0f, big));
  EXPECT_FALSE(good_pixel(1.0f, 0.0f));            // zero ivar: no data
  EXPECT_FALSE(good_pixel(1.0f, -0.0f));
  EXPECT_FALSE(good_pixel(1.0f, -1.0f));
  EXPECT_FALSE(good_pixel(1.0f, qnan));
  EXPECT_FALSE(good_pixel(qnan, 1.0f));             // NaN flux
  EXPECT_FALSE(good_pixel(inf, 1.0f));
  EXPECT_FALSE(good_pixel(-inf, 1.0f));
  EXPECT_FALSE(good_pixel(1.0f, inf));             // an infinite weight is no weight
  EXPECT_TRUE(good_pixel(1.0f, inf, 0, 0, ivar_use::presence));   // but it was measured
  EXPECT_FALSE(good_pixel(1.0f, qnan, 0, 0, ivar_use::presence));
  EXPECT_FALSE(good_pixel(1.0f, 0.0f, 0, 0, ivar_use::presence));
}

TEST(GoodPixel, MaskBits) {
  const uint32_t brightsky = 1u << 23, nodata = 1u << 25;
  EXPECT_TRUE(good_pixel(1.0f, 1.0f, brightsky, 0));            // masks ignored without bits
  EXPECT_FALSE(good_pixel(1.0f, 1.0f, brightsky, brightsky | nodata));
  EXPECT_TRUE(good_pixel(1.0f, 1.0f, brightsky, nodata));       // a bit not selected
  EXPECT_FALSE(good_pixel(1.0f, 1.0f, 0x80000000u, 0x80000000u));  // the sign bit of an int32 mask
}

// Every combination of special values against the plain-comparison reference, both uses.
TEST(GoodPixel, MatchesTheReferenceOnSpecialValues) {
  const float values[] = {0.0f, -0.0f, 1.0f, -1.0f, denorm, -denorm, big, -big, inf, -inf, qnan, -qnan, 1e-30f, 3e38f};
  const uint32_t masks[] = {0u, 1u, 0x800000u, 0xffffffffu};
  for (float f : values)
    for (float iv : values)
      for (uint32_t m : masks)
        for (uint32_t bits : {0u, 0x800000u, 0xffffffffu}) {
          ASSERT_EQ(good_pixel(f, iv, m, bits), reference(f, iv, m, bits, false)) << f << " " << iv << " " << m;
          ASSERT_EQ(good_pixel(f, iv, m, bits, ivar_use::presence), reference(f, iv, m, bits, true))
              << f << " " << iv << " " << m;
        }
}
