// kernels/calibrate on both backends (the CUDA instance SKIPs without a device): a multiplier in
// the fitted family is recovered from targets made by the photometry kernel itself (exactly,
// up to the float rounding of the multiplied flux), the calibrated pixels against a float64
// reference, the edge cases (no spectra, too short to cover a band, all-masked, NaN targets)
// and the argument checks.
#include "kernels/calibrate.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <ostream>
#include <vector>

#include "core/error.hpp"
#include "io/filters/filter_curve.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();

band_tables gri() {
  std::vector<band_weights> w;
  for (const auto& c : load_filters("sdss2010-g,sdss2010-r,sdss2010-i"))
    w.push_back(make_band_weights(c.name, c.wavelength, c.response));
  return band_tables(w);
}

// Spectra as CSR on the SDSS lattice.
struct batch {
  std::vector<int64_t> offsets{0};
  std::vector<int32_t> starts;
  std::vector<float> flux, ivar;
  void add(int32_t start, const std::vector<float>& f, float iv) {
    starts.push_back(start);
    flux.insert(flux.end(), f.begin(), f.end());
    ivar.insert(ivar.end(), f.size(), iv);
    offsets.push_back(int64_t(flux.size()));
  }
  size_t n() const { return starts.size(); }
  photometry_input input() const {
    photometry_input in;
    in.n_spectra = n();
    in.offsets = offsets.data();
    in.lattice_start = starts.data();
    in.flux = flux.data();
    in.ivar = ivar.data();
    return in;
  }
};

// The op's x for lattice pixel k of a spectrum spanning [first, last], in float64.
double x_of(int64_t k, int64_t first, int64_t last) {
  const double lo = std::pow(10.0, first * 1e-4), hi = std::pow(10.0, last * 1e-4);
  return 2.0 * (std::pow(10.0, k * 1e-4) - lo) / (hi - lo) - 1.0;
}

double cheb(const double* c, double x) { return c[0] + c[1] * x + c[2] * (2 * x * x - 1); }

std::vector<float> smooth_flux(size_t n) {
  std::vector<float> f(n);
  for (size_t j = 0; j < n; ++j) f[j] = float(4.0 + 1.5 * std::sin(double(j) / 300.0));
  return f;
}

class Calibrate : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  struct result {
    std::vector<float> flux, ivar;
    std::vector<double> coef;
    std::vector<int32_t> used, status;
  };
  result run(const batch& b, const band_tables& t, const std::vector<double>& targets, calibrate_params p = {}) {
    result r{std::vector<float>(b.flux.size(), -1.f), std::vector<float>(b.flux.size(), -1.f),
             std::vector<double>(b.n() * calibrate_max_terms, -1.0), std::vector<int32_t>(b.n(), -1),
             std::vector<int32_t>(b.n(), -1)};
    calibrate_spectra(GetParam(), b.input(), t, sdss_native_grid, {targets.data(), nullptr}, p,
                      {r.flux.data(), r.ivar.data(), r.coef.data(), r.used.data(), r.status.data()});
    return r;
  }
};

// Targets: the photometry kernel's nanomaggies of each spectrum multiplied by truth.
std::vector<double> targets_for(const batch& b, const band_tables& t, const std::vector<const double*>& truth) {
  batch m = b;
  for (size_t s = 0; s < b.n(); ++s) {
    const int64_t first = b.starts[s], npix = b.offsets[s + 1] - b.offsets[s];
    for (int64_t j = 0; j < npix; ++j)
      m.flux[size_t(b.offsets[s] + j)] =
          float(double(b.flux[size_t(b.offsets[s] + j)]) * cheb(truth[s], x_of(first + j, first, first + npix - 1)));
  }
  std::vector<band_flux> f(b.n() * t.size());
  synthetic_photometry(backend::cpu, m.input(), t, {}, f.data());
  std::vector<double> out;
  for (const auto& x : f) out.push_back(1e9 * x.maggies);
  return out;
}

TEST_P(Calibrate, MultipliersInTheFamilyAreRecovered) {
  const auto t = gri();
  batch b;
  const double quad[3] = {1.3, -0.2, 0.05}, lin[3] = {0.8, 0.3, 0.0}, flat[3] = {2.5, 0.0, 0.0};
  b.add(35800, smooth_flux(4000), 100.f);  // 3802-9543 A
  b.add(35850, smooth_flux(3700), 25.f);
  b.add(35790, smooth_flux(4100), 4.f);
  const auto targets = targets_for(b, t, {quad, lin, flat});
  for (int degree : {-1, 2}) {
    calibrate_params p;
    p.degree = degree;
    const auto r = run(b, t, targets, p);
    const double* truth[3] = {quad, lin, flat};
    for (size_t s = 0; s < 3; ++s) {
      EXPECT_EQ(r.status[s], calibrate_ok);
      EXPECT_EQ(r.used[s], 7);
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(r.coef[s * 3 + k], truth[s][k], 2e-6) << s << " " << k;
      // The pixels against float64: flux * m and ivar / m^2 with the fitted coefficients.
      const int64_t first = b.starts[s], p0 = b.offsets[s], npix = b.offsets[s + 1] - p0;
      for (int64_t j = 0; j < npix; j += 37) {
        const double m = cheb(&r.coef[s * 3], x_of(first + j, first, first + npix - 1));
        EXPECT_NEAR(r.flux[size_t(p0 + j)], double(b.flux[size_t(p0 + j)]) * m, 1e-6 * std::abs(b.flux[size_t(p0 + j)] * m));
        EXPECT_NEAR(r.ivar[size_t(p0 + j)], double(b.ivar[size_t(p0 + j)]) / (m * m), 1e-6 * b.ivar[size_t(p0 + j)] / (m * m));
      }
    }
  }
  // Flat (degree 0) on the constant one is exact too; on the others it is their best constant.
  calibrate_params p;
  p.degree = 0;
  const auto r = run(b, t, targets, p);
  EXPECT_NEAR(r.coef[6], 2.5, 2e-6);
  EXPECT_EQ(r.coef[7], 0.0);
  EXPECT_GT(r.coef[0], 1.0);
  EXPECT_LT(r.coef[0], 1.6);
}

TEST_P(Calibrate, SpectraThatCannotBeCalibratedAreCopiedUnchanged) {
  const auto t = gri();
  batch b;
  for (int n : {31, 32, 33}) b.add(36990, smooth_flux(size_t(n)), 1.f);  // ~5000 A: no band covered
  b.add(35800, smooth_flux(4000), 0.f);                                  // all masked
  b.add(35800, smooth_flux(4000), 9.f);                                  // g target NaN, r and i fine
  b.add(35800, smooth_flux(4000), 9.f);                                  // every target NaN
  const double one[3] = {1.0, 0.0, 0.0};
  auto targets = targets_for(b, t, {one, one, one, one, one, one});
  targets[4 * 3 + 0] = nan_d;
  for (int k = 0; k < 3; ++k) targets[5 * 3 + k] = nan_d;
  const auto r = run(b, t, targets);
  for (size_t s : {0u, 1u, 2u, 3u, 5u}) {
    EXPECT_EQ(r.status[s], calibrate_too_few_bands) << s;
    EXPECT_EQ(r.used[s], 0) << s;
    EXPECT_EQ(r.coef[s * 3], 1.0);
    for (int64_t p = b.offsets[s]; p < b.offsets[s + 1]; ++p) {
      ASSERT_EQ(r.flux[size_t(p)], b.flux[size_t(p)]) << s;
      ASSERT_EQ(r.ivar[size_t(p)], b.ivar[size_t(p)]) << s;
    }
  }
  EXPECT_EQ(r.status[4], calibrate_ok);  // r and i: two terms, the identity recovered
  EXPECT_EQ(r.used[4], 6);
  EXPECT_NEAR(r.coef[12], 1.0, 1e-6);
  EXPECT_NEAR(r.coef[13], 0.0, 1e-6);
  EXPECT_EQ(r.coef[14], 0.0);
  // Zero spectra: nothing to do, nothing touched.
  batch empty;
  const auto e = run(empty, t, {});
  EXPECT_TRUE(e.flux.empty());
}

TEST_P(Calibrate, RejectsBadArguments) {
  batch b;
  b.add(35800, smooth_flux(4000), 1.f);
  const std::vector<double> targets(3, 1.0);
  calibrate_params p;
  p.degree = 3;
  EXPECT_THROW(run(b, gri(), targets, p), invalid_argument);
  std::vector<band_weights> nine;
  for (int k = 0; k < 9; ++k)
    for (const auto& c : load_filters("sdss2010-r")) nine.push_back(make_band_weights(c.name, c.wavelength, c.response));
  EXPECT_THROW(run(b, band_tables(nine), std::vector<double>(9, 1.0)), invalid_argument);
}

// "Cpu"/"Cuda": gpu-check and the CTest label select device tests by the case-sensitive "Cuda".
INSTANTIATE_TEST_SUITE_P(Backends, Calibrate, ::testing::Values(backend::cpu, backend::cuda),
                         [](const auto& info) { return std::string(info.param == backend::cpu ? "Cpu" : "Cuda"); });

}  // namespace
}  // namespace specmill
