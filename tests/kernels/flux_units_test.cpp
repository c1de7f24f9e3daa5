// f_lambda <-> f_nu helpers against hand-computed values (tolerance 1e-12 relative: the
// formulas are a few double multiplies).
#include "kernels/flux_units.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace specmill {
namespace {

TEST(FluxUnits, OneMicrojanskyAt5000A) {
  // f_lambda = f_nu c / lambda^2 = 1e-29 * 2.99792458e18 / 5000^2 erg/s/cm^2/A
  // = 1.199169832e-18, i.e. 0.1199169832 SDSS flux units (exactly 2.99792458 / 25).
  EXPECT_NEAR(microjansky_to_flambda(1.0, 5000.0), 0.1199169832, 1e-15);
  EXPECT_NEAR(flambda_to_microjansky(0.1199169832, 5000.0), 1.0, 1e-14);
}

TEST(FluxUnits, RoundTripAcrossTheSpectrum) {
  for (double lam : {3600.0, 4861.33, 6564.61, 10400.0})
    for (double f : {-3.0, 1e-3, 1.0, 250.0})
      EXPECT_NEAR(microjansky_to_flambda(flambda_to_microjansky(f, lam), lam), f, 1e-12 * std::abs(f)) << lam;
}

TEST(FluxUnits, ABZeroPointAndMagnitudes) {
  // 3631 Jy is one maggie: magnitude 0.
  const double lam = 6231.0;
  const double flam = microjansky_to_flambda(3631e6, lam);
  EXPECT_NEAR(flambda_to_maggies(flam, lam), 1.0, 1e-12);
  EXPECT_NEAR(ab_mag_from_maggies(1.0), 0.0, 1e-15);
  EXPECT_NEAR(ab_mag_from_maggies(1e-9), 22.5, 1e-12);  // 1 nanomaggie
  EXPECT_NEAR(maggies_from_ab_mag(20.0), 1e-8, 1e-20);
  EXPECT_NEAR(microjansky_per_nanomaggie, 3.631, 1e-15);
  EXPECT_TRUE(std::isnan(ab_mag_from_maggies(0.0)));
  EXPECT_TRUE(std::isnan(ab_mag_from_maggies(-1e-9)));
  EXPECT_TRUE(std::isnan(ab_mag_from_maggies(NAN)));
  EXPECT_NEAR(ab_mag_err(1e-8, 1e-10), 0.010857362, 1e-9);
  EXPECT_TRUE(std::isnan(ab_mag_err(-1.0, 0.1)));
}

}  // namespace
}  // namespace specmill
