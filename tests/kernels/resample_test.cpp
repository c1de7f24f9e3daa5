// resample on both backends against a float64 reference written independently here (plain
// double loops over every (input, target) pixel pair with pow(10, x) edges), plus flux
// conservation, identity, masks and the STYLE.md edge cases. Tolerances, and why:
//  * flux vs reference: |got - ref| <= 2.4e-7 |ref| + 1e-9 mean|f|. The kernel sums in double
//    like the reference; the outputs differ by the final rounding to float (2^-24 = 6e-8
//    relative, 4 such units allowed) plus double-rounding differences (~1e-13 of the magnitudes
//    summed, which matters only where positive and negative fluxes cancel: the mean|f| term).
//  * ivar vs reference: 2.4e-7 relative (a sum of positive terms, rounded to float once).
//  * coverage: 1e-6 absolute. and_mask: exact.
//  * conservation: 1e-6 relative (the requirement); expected ~1e-7 (float outputs).
//  * identity grid: bit-exact (one input pixel per target pixel: f*o/o and o^2/(o^2/ivar) in
//    double round back to the float they came from).
#include "kernels/resample.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/spectrum.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/resample_test_util.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

static_assert(sdss_native_grid.step == 1e-4 && sdss_native_grid.inv_step == 1e4, "the SDSS lattice the kernels default to");

using namespace resample_test;

class Resample : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  backend b() const { return GetParam(); }
};

void expect_matches_reference(backend b, const batch_data& in, const wavelength_grid& g) {
  const result got = run(b, in, g, bad_bits);
  const reference_result want = reference(in, g, bad_bits);
  ASSERT_EQ(got.flux.size(), want.flux.size());
  size_t bad = 0;
  for (size_t i = 0; i < got.flux.size(); ++i) {
    const bool ok = std::abs(got.flux[i] - want.flux[i]) <= 2.4e-7 * std::abs(want.flux[i]) + 1e-9 * want.mean_abs[i] &&
                    std::abs(got.ivar[i] - want.ivar[i]) <= 2.4e-7 * want.ivar[i] &&
                    std::abs(got.coverage[i] - want.coverage[i]) <= 1e-6 && got.and_mask[i] == want.and_mask[i];
    if (!ok && bad++ < 5)
      ADD_FAILURE() << "pixel " << i << " (row " << i / size_t(g.size()) << ", k " << i % size_t(g.size())
                    << "): flux " << got.flux[i] << " want " << want.flux[i] << ", ivar " << got.ivar[i]
                    << " want " << want.ivar[i] << ", coverage " << got.coverage[i] << " want "
                    << want.coverage[i] << ", and_mask " << got.and_mask[i] << " want " << want.and_mask[i];
  }
  EXPECT_EQ(bad, 0u) << "mismatches out of " << got.flux.size();
}

// Random rows (padding, masked, zero-ivar, NaN and inf pixels) on log and linear grids that are
// coarser, finer and offset, and that run past both ends of the rows; observed and rest frame.
TEST_P(Resample, MatchesFloat64Reference) {
  for (double z : {0.0, 0.1, 2.5}) {
    const batch_data in = random_batch(6, 300, 35000, 17 + unsigned(z * 10), z, z == 0 ? 0 : 0.01);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE("z " + std::to_string(z) + " grid " + spec.name);
      expect_matches_reference(b(), in, spec.around(in, /*inside=*/false));
    }
  }
}

// 31, 32 and 33 pixels (a warp's width and either side), one spectrum, a one-pixel target grid.
TEST_P(Resample, SmallWidthsOneSpectrumOnePixelGrid) {
  for (size_t width : {size_t(31), size_t(32), size_t(33)})
    for (size_t n : {size_t(1), size_t(3)}) {
      SCOPED_TRACE("width " + std::to_string(width) + " n " + std::to_string(n));
      const batch_data in = random_batch(n, width, 36000, unsigned(width + n), 0.0, 0.0);
      for (const grid_spec& spec : test_grids()) expect_matches_reference(b(), in, spec.around(in, false));
      expect_matches_reference(b(), in, parse_wavelength_grid("log:3.6012,3.6012,1e-4"));
      expect_matches_reference(b(), in, parse_wavelength_grid("lin:3990,3990,25"));
    }
}

// Sum_k f_k dlambda_k over a grid inside the rows' coverage equals the integral of the input
// over the same wavelengths (observed Angstrom: the rest-frame output carries the (1+z)).
TEST_P(Resample, ConservesFlux) {
  for (double z : {0.0, 0.1, 2.5}) {
    const batch_data in = smooth_batch(4, 400, 35500, z);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE("z " + std::to_string(z) + " grid " + spec.name);
      const wavelength_grid g = spec.around(in, /*inside=*/true);
      ASSERT_GT(g.size(), 0);
      const result got = run(b(), in, g, bad_bits);
      for (size_t r = 0; r < in.n; ++r) {
        double out_integral = 0;
        for (int64_t k = 0; k < g.size(); ++k) {
          const size_t i = r * size_t(g.size()) + size_t(k);
          ASSERT_NEAR(got.coverage[i], 1.0, 1e-9) << "grid not inside row " << r << " at k " << k;
          out_integral += double(got.flux[i]) * (g.upper_edge_angstrom(k) - g.lower_edge_angstrom(k));
        }
        const double one_plus_z = std::pow(10.0, in.shift[r]);
        const double in_integral = input_integral(in, r, g.lower_edge_angstrom(0) * one_plus_z,
                                                  g.upper_edge_angstrom(g.size() - 1) * one_plus_z);
        EXPECT_NEAR(out_integral, in_integral, 1e-6 * in_integral) << "row " << r;
      }
    }
  }
}

// A log grid equal to the lattice reproduces the input bit for bit, masks included.
TEST_P(Resample, IdentityGridReproducesInput) {
  const batch_data in = random_batch(5, 333, 35000, 5, 0.0, 0.0, /*pad=*/true);
  const wavelength_grid built{wavelength_grid::scale::log, 35000 * 1e-4, (35000 + 332) * 1e-4, 1e-4};
  for (const wavelength_grid& g : {built, parse_wavelength_grid("log:3.5,3.5332,1e-4")}) {
    ASSERT_EQ(g.size(), 333);
    const result got = run(b(), in, g, bad_bits);
    for (size_t i = 0; i < in.flux.size(); ++i) {
      EXPECT_EQ(got.and_mask[i], in.and_mask[i]) << i;
      if (good(in, i, bad_bits)) {
        EXPECT_EQ(got.flux[i], in.flux[i]) << i;
        EXPECT_EQ(got.ivar[i], in.ivar[i]) << i;
        EXPECT_NEAR(got.coverage[i], 1.0, 1e-9) << i;
      } else {
        EXPECT_EQ(got.flux[i], 0.f) << i;
        EXPECT_EQ(got.ivar[i], 0.f) << i;
        EXPECT_EQ(got.coverage[i], 0.f) << i;
      }
    }
  }
}

// A constant spectrum stays constant (times 1+z) through masked, zero-ivar and NaN pixels, and a
// huge flux on an excluded pixel leaves no trace. EXPECT_FLOAT_EQ (4 float ulps): the weighted
// mean of equal values is exact to ~1e-16 in double.
TEST_P(Resample, ExcludedPixelsDoNotBiasAConstantSpectrum) {
  for (double z : {0.0, 0.1}) {
    batch_data in = constant_batch(2, 200, 35000, 5.f, z);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (size_t j = 7; j < in.width; j += 11) {
      switch (j % 5) {
        case 0: in.and_mask[j] = 1 << 3; in.flux[j] = 1e30f; break;  // in bad_bits
        case 1: in.ivar[j] = 0; in.flux[j] = -1e30f; break;
        case 2: in.flux[j] = nan; break;
        case 3: in.ivar[j] = nan; in.flux[j] = 1e30f; break;
        default: in.ivar[j] = std::numeric_limits<float>::infinity(); in.flux[j] = 1e30f; break;
      }
    }
    const float want = float(5.0 * std::pow(10.0, in.shift[0]));
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE(spec.name);
      const wavelength_grid g = spec.around(in, false);
      const result got = run(b(), in, g, bad_bits);
      for (size_t i = 0; i < got.flux.size(); ++i)
        if (got.coverage[i] > 0) {
          ASSERT_FLOAT_EQ(got.flux[i], want) << i;
        } else {
          ASSERT_EQ(got.flux[i], 0.f) << i;
          ASSERT_EQ(got.ivar[i], 0.f) << i;
        }
    }
  }
}

TEST_P(Resample, MaskBitsSelectWhatIsExcluded) {
  batch_data in = constant_batch(1, 64, 35000, 5.f, 0.0);
  in.and_mask[10] = 1 << 3;  // in bad_bits: excluded
  in.and_mask[20] = 1 << 9;  // not in bad_bits: used, but its bit still shows
  in.flux[10] = in.flux[20] = 100.f;
  const wavelength_grid g{wavelength_grid::scale::log, 3.5, 3.5 + 63e-4, 1e-4};  // identity
  result got = run(b(), in, g, bad_bits);
  EXPECT_EQ(got.flux[10], 0.f);
  EXPECT_EQ(got.and_mask[10], 1 << 3);
  EXPECT_EQ(got.flux[20], 100.f);
  EXPECT_EQ(got.and_mask[20], 1 << 9);
  got = run(b(), in, g, /*mask_bits=*/0);  // nothing excluded by mask
  EXPECT_EQ(got.flux[10], 100.f);
  // A coarse grid ORs the masks of every pixel it overlaps, excluded ones included.
  const wavelength_grid coarse{wavelength_grid::scale::log, 3.5 + 15e-4, 3.5 + 15e-4, 31e-4};
  got = run(b(), in, coarse, bad_bits);
  EXPECT_EQ(got.and_mask[0], (1 << 3) | (1 << 9));
  // It covers input pixels 0..30 exactly: pixel 10 excluded, 20 in, weighted by width in A.
  const std::vector<double> e = observed_edges(in);
  double flux = 0, width = 0;
  for (size_t j = 0; j <= 30; ++j)
    if (j != 10) {
      flux += (e[j + 1] - e[j]) * in.flux[j];
      width += e[j + 1] - e[j];
    }
  EXPECT_FLOAT_EQ(got.flux[0], float(flux / width));
  EXPECT_NEAR(got.coverage[0], width / (e[31] - e[0]), 1e-7);  // float coverage
}

TEST_P(Resample, AllMaskedRowGivesZeros) {
  batch_data in = random_batch(3, 100, 35000, 9, 0.0, 0.0);
  for (size_t j = 100; j < 200; ++j) in.and_mask[j] |= 1 << 3;  // row 1 fully masked
  const wavelength_grid g = test_grids()[1].around(in, false);
  const result got = run(b(), in, g, bad_bits);
  const size_t n_out = size_t(g.size());
  for (size_t k = 0; k < n_out; ++k) {
    EXPECT_EQ(got.flux[n_out + k], 0.f);
    EXPECT_EQ(got.ivar[n_out + k], 0.f);
    EXPECT_EQ(got.coverage[n_out + k], 0.f);
  }
  expect_matches_reference(b(), in, g);  // and the other rows are untouched by it
}

TEST_P(Resample, GridOutsideTheSpectrumGivesZerosAndPartialOverlapIsReported) {
  const batch_data in = constant_batch(2, 100, 35000, 2.f, 0.0);  // 3162.3 - 3235.9 A
  for (const char* text : {"lin:2000,3000,2", "lin:5000,6000,2", "log:3.0,3.4,1e-3", "log:3.6,3.7,1e-4"}) {
    const wavelength_grid g = parse_wavelength_grid(text);
    const result got = run(b(), in, g, bad_bits);
    for (size_t i = 0; i < got.flux.size(); ++i) {
      ASSERT_EQ(got.flux[i], 0.f) << text;
      ASSERT_EQ(got.ivar[i], 0.f) << text;
      ASSERT_EQ(got.and_mask[i], 0) << text;
      ASSERT_EQ(got.coverage[i], 0.f) << text;
    }
  }
  // Pixel 0 of this grid has its center on the spectrum's first edge: half of it is covered and
  // it reports the mean of that half, with the ivar of that mean (not reduced) and coverage 1/2.
  const double first_edge = std::pow(10.0, 34999.5e-4);
  const wavelength_grid g{wavelength_grid::scale::linear, first_edge, first_edge + 10, 0.5};
  const result got = run(b(), in, g, bad_bits);
  EXPECT_FLOAT_EQ(got.flux[0], 2.f);
  EXPECT_NEAR(got.coverage[0], 0.5, 1e-6);
  EXPECT_FLOAT_EQ(got.ivar[0], in.ivar[0]);
  EXPECT_NEAR(got.coverage[1], 1.0, 1e-6);
  expect_matches_reference(b(), in, g);
}

TEST_P(Resample, ZeroSpectraEmptyRowsAndUnplaceableRows) {
  EXPECT_NO_THROW(resample(b(), lattice_batch{}, parse_wavelength_grid("lin:3600,9000,1.5"), 0, {}));
  batch_data in = random_batch(3, 50, 35000, 3, 0.1, 0.0);
  in.shift[1] = std::numeric_limits<double>::quiet_NaN();  // unknown z: row 1 cannot be placed
  const wavelength_grid g = test_grids()[0].around(in, false);
  const result got = run(b(), in, g, bad_bits);
  const size_t n_out = size_t(g.size());
  double row0 = 0;
  for (size_t k = 0; k < n_out; ++k) {
    EXPECT_EQ(got.ivar[n_out + k], 0.f);
    EXPECT_EQ(got.and_mask[n_out + k], 0);
    row0 += got.ivar[k];
  }
  EXPECT_GT(row0, 0);
  // Rows of width 0: every output pixel is "no coverage".
  batch_data empty = random_batch(2, 0, 35000, 3, 0.0, 0.0);
  const result none = run(b(), empty, g, bad_bits);
  for (float f : none.ivar) EXPECT_EQ(f, 0.f);
}

TEST_P(Resample, NullOutputColumnsAreSkipped) {
  const batch_data in = random_batch(2, 64, 35000, 4, 0.0, 0.0);
  const wavelength_grid g = test_grids()[2].around(in, false);
  const result all = run(b(), in, g, bad_bits);
  std::vector<float> flux(all.flux.size());
  resample(b(), in.view(), g, bad_bits, resampled_batch{flux.data(), nullptr, nullptr, nullptr});
  EXPECT_EQ(flux, all.flux);
}

TEST_P(Resample, RejectsBadArguments) {
  const batch_data in = random_batch(2, 64, 35000, 4, 0.0, 0.0);
  std::vector<float> out(4096);
  const resampled_batch o{out.data(), nullptr, nullptr, nullptr};
  EXPECT_THROW(resample(b(), in.view(), wavelength_grid{}, 0, o), invalid_argument);
  lattice_batch no_ivar = in.view();
  no_ivar.ivar = nullptr;
  EXPECT_THROW(resample(b(), no_ivar, parse_wavelength_grid("lin:3600,3700,1"), 0, o), invalid_argument);
}

// ---- a linear native lattice (DESI: lambda = index * 0.8 A, brz from index 4500 = 3600 A).
// The same reference (its input edges are (L + j -+ 1/2) 0.8 A here) and tolerances as above.

batch_data desi_batch(size_t n, size_t width, unsigned seed, double z, double z_jitter, bool pad = true) {
  batch_data in = random_batch(n, width, 4500, seed, z, z_jitter, pad);
  in.grid = linear_lattice(0.8);
  return in;
}

TEST_P(Resample, LinearLatticeMatchesFloat64Reference) {
  for (double z : {0.0, 0.1, 2.5}) {
    const batch_data in = desi_batch(6, 300, 31 + unsigned(z * 10), z, z == 0 ? 0 : 0.01);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE("z " + std::to_string(z) + " grid " + spec.name);
      expect_matches_reference(b(), in, spec.around(in, /*inside=*/false));
    }
  }
  for (size_t width : {size_t(31), size_t(32), size_t(33)}) {
    const batch_data in = desi_batch(1, width, unsigned(width), 0.0, 0.0);
    expect_matches_reference(b(), in, parse_wavelength_grid("lin:3610,3610,5"));
  }
}

TEST_P(Resample, LinearLatticeConservesFlux) {
  for (double z : {0.0, 0.1, 2.5}) {
    batch_data in = smooth_batch(4, 400, 4500, z);
    in.grid = linear_lattice(0.8);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE("z " + std::to_string(z) + " grid " + spec.name);
      const wavelength_grid g = spec.around(in, /*inside=*/true);
      ASSERT_GT(g.size(), 0);
      const result got = run(b(), in, g, bad_bits);
      for (size_t r = 0; r < in.n; ++r) {
        double out_integral = 0;
        for (int64_t k = 0; k < g.size(); ++k)
          out_integral += double(got.flux[r * size_t(g.size()) + size_t(k)]) *
                          (g.upper_edge_angstrom(k) - g.lower_edge_angstrom(k));
        const double one_plus_z = std::pow(10.0, in.shift[r]);
        const double in_integral = input_integral(in, r, g.lower_edge_angstrom(0) * one_plus_z,
                                                  g.upper_edge_angstrom(g.size() - 1) * one_plus_z);
        EXPECT_NEAR(out_integral, in_integral, 1e-6 * in_integral) << "row " << r;
      }
    }
  }
}

// lin:3600,...,0.8 is the lattice itself: the input comes back bit for bit.
TEST_P(Resample, LinearLatticeIdentityGridReproducesInput) {
  const batch_data in = desi_batch(5, 333, 5, 0.0, 0.0);
  const wavelength_grid g = parse_wavelength_grid("lin:3600,3865.6,0.8");
  ASSERT_EQ(g.size(), 333);
  const result got = run(b(), in, g, bad_bits);
  for (size_t i = 0; i < in.flux.size(); ++i) {
    EXPECT_EQ(got.and_mask[i], in.and_mask[i]) << i;
    EXPECT_EQ(got.flux[i], good(in, i, bad_bits) ? in.flux[i] : 0.f) << i;
    EXPECT_EQ(got.ivar[i], good(in, i, bad_bits) ? in.ivar[i] : 0.f) << i;
  }
}

TEST_P(Resample, RefusesAnExplicitInputGrid) {
  batch_data in = random_batch(1, 4, 4500, 1, 0.0, 0.0);
  const double w[4] = {3600, 3601, 3603, 3604};
  in.grid = explicit_grid(w, 4);
  std::vector<float> out(16);
  EXPECT_THROW(resample(b(), in.view(), parse_wavelength_grid("lin:3600,3604,1"), 0, {out.data()}), invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Cpu, Resample, ::testing::Values(backend::cpu),
                         [](const auto&) { return std::string("cpu"); });
INSTANTIATE_TEST_SUITE_P(Cuda, Resample, ::testing::Values(backend::cuda),
                         [](const auto&) { return std::string("cuda"); });

// The CUDA kernel computes every edge with exp() on the spot; the TBB path reads tables. Run the
// functor without tables here on the CPU, so the device's arithmetic is tested without a device.
// Tolerances as against the reference (the two differ by ~1e-16 before rounding to float), and
// 1e-6 absolute on flux for rows of noise around 0.
TEST(ResampleOp, OnTheSpotEdgesMatchTheCpuTables) {
  for (double z : {0.0, 0.1, 2.5}) {
    for (bool linear : {false, true}) {
    batch_data in = random_batch(4, 500, linear ? 4500 : 35000, 23, z, z == 0 ? 0 : 0.01);
    if (linear) in.grid = linear_lattice(0.8);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE(spec.name);
      const wavelength_grid g = spec.around(in, false);
      const result tabled = run(backend::cpu, in, g, bad_bits);
      result spot = tabled;
      const resample_pixel_op op = detail::make_resample_op(
          in.view(), g, bad_bits, {spot.flux.data(), spot.ivar.data(), spot.and_mask.data(), spot.coverage.data()});
      ASSERT_EQ(op.lattice_edges, nullptr);
      for (size_t r = 0; r < in.n; ++r)
        for (int64_t k = 0; k < g.size(); ++k) op(r, k);
      for (size_t i = 0; i < spot.flux.size(); ++i) {
        ASSERT_NEAR(spot.flux[i], tabled.flux[i], 2.4e-7 * std::abs(tabled.flux[i]) + 1e-6) << i;
        ASSERT_NEAR(spot.ivar[i], tabled.ivar[i], 2.4e-7 * tabled.ivar[i]) << i;
        ASSERT_NEAR(spot.coverage[i], tabled.coverage[i], 1e-6) << i;
        ASSERT_EQ(spot.and_mask[i], tabled.and_mask[i]) << i;
      }
    }
    }
  }
}

// No "Cuda" in this name: scripts/gpu-check.sh runs tests matching Cuda|Gpu on a GPU machine and
// counts a skip there as a failure, and this one skips where a device is present.
TEST(ResampleWithoutDevice, DevicePathThrows) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  const batch_data in = random_batch(2, 64, 35000, 4, 0.0, 0.0);
  const wavelength_grid g = parse_wavelength_grid("lin:3200,3300,1");
  std::vector<float> out(2 * size_t(g.size()));
  const resampled_batch o{out.data(), nullptr, nullptr, nullptr};
  EXPECT_THROW(resample(backend::cuda, in.view(), g, 0, o), cuda_error);
  EXPECT_THROW(resample_device(in.view(), g, 0, o), cuda_error);
  if (!cuda_compiled()) {
    EXPECT_THROW(resample(backend::cuda, lattice_batch{}, g, 0, {}), cuda_error);
  }
}

// CUDA against TBB on the same data: same functor, different exp/log10 implementations (a few
// ulps in double), so the same tolerances as against the reference, and and_mask exact.
TEST(ResampleCuda, MatchesCpuBackend) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (double z : {0.0, 2.5}) {
    const batch_data in = random_batch(40, 4600, 35000, 77, z, 0.01);
    for (const grid_spec& spec : test_grids()) {
      SCOPED_TRACE(spec.name);
      const wavelength_grid g = spec.around(in, false);
      const result cpu = run(backend::cpu, in, g, bad_bits), gpu = run(backend::cuda, in, g, bad_bits);
      for (size_t i = 0; i < cpu.flux.size(); ++i) {
        ASSERT_NEAR(gpu.flux[i], cpu.flux[i], 2.4e-7 * std::abs(cpu.flux[i]) + 1e-6) << i;
        ASSERT_NEAR(gpu.ivar[i], cpu.ivar[i], 2.4e-7 * cpu.ivar[i]) << i;
        ASSERT_EQ(gpu.and_mask[i], cpu.and_mask[i]) << i;
      }
    }
  }
}

}  // namespace
}  // namespace specmill
