// Synthetic photometry on both backends against an independent float64 reference: the test
// integrates the response over each pixel itself (a fine midpoint rule on its own linear
// interpolation of the curve, not the kernel's Gauss-Legendre tables) and sums in a plain loop
// (photometry_reference.hpp). Tolerances: kernel vs reference 1e-9 relative (observed <= 3e-11,
// the midpoint rule's own error); CPU vs CUDA 1e-12 relative (the same double terms summed in another order);
// a flat f_nu spectrum's magnitude within 1e-4 of its AB value.
#include <gtest/gtest.h>

#include <cstring>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <ostream>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "io/filters/filter_curve.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/flux_units.hpp"
#include "kernels/photometry.hpp"
#include "kernels/photometry_reference.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

using test::csr_batch;
using test::reference_photometry;

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();

std::vector<filter_curve> sdss_filters() { return load_filters("sdss2010-u,sdss2010-g,sdss2010-r,sdss2010-i,sdss2010-z"); }

band_tables tables_of(const std::vector<filter_curve>& curves) {
  std::vector<band_weights> w;
  for (const auto& c : curves) w.push_back(make_band_weights(c.name, c.wavelength, c.response));
  return band_tables(w);
}

// A narrow triangle (~20 lattice pixels) so that spectra of 31-33 pixels cover it.
filter_curve narrow_filter() {
  filter_curve f;
  f.name = "narrow";
  f.wavelength = {4995.0, 5005.0, 5015.0};
  f.response = {0.0, 1.0, 0.0};
  return f;
}

class Photometry : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  std::vector<band_flux> run(const csr_batch& b, const band_tables& t, const photometry_params& p = {}) {
    std::vector<band_flux> out(b.n() * t.size(), band_flux{-1, -1, -1});
    synthetic_photometry(GetParam(), b.input(), t, p, out.data());
    return out;
  }
};

void expect_close(const band_flux& got, const band_flux& want, double rel, const std::string& what) {
  EXPECT_EQ(got.flag, want.flag) << what;
  if (want.flag) {
    EXPECT_TRUE(std::isnan(got.maggies) && std::isnan(got.maggies_err)) << what;
    return;
  }
  EXPECT_NEAR(got.maggies, want.maggies, rel * std::abs(want.maggies) + 1e-30) << what;
  EXPECT_NEAR(got.maggies_err, want.maggies_err, rel * std::abs(want.maggies_err) + 1e-30) << what;
}

void expect_matches_reference(const std::vector<band_flux>& got, const csr_batch& b,
                              const std::vector<filter_curve>& curves, const photometry_params& p = {}) {
  const auto want = reference_photometry(b, curves, p);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i)
    expect_close(got[i], want[i], 1e-9, "spectrum " + std::to_string(i / curves.size()) + " band " + curves[i % curves.size()].name);
}

TEST_P(Photometry, FlatFnuSpectrumGivesItsABMagnitude) {
  // f_nu = 3631 Jy * 10^(-0.4 * 20) on 2900-11500 A: every SDSS band covered, mag 20.
  const double fnu_ujy = ab_zero_point_jy * 1e6 * std::pow(10.0, -0.4 * 20.0);
  csr_batch b;
  b.add_flat_fnu(34620, 5990, fnu_ujy, 4.0f);  // 10^3.4620 = 2897 A .. 10^4.0610 = 11508 A
  const auto curves = sdss_filters();
  const auto got = run(b, tables_of(curves));
  for (size_t k = 0; k < curves.size(); ++k) {
    EXPECT_EQ(got[k].flag, 0) << curves[k].name;
    EXPECT_NEAR(ab_mag_from_maggies(got[k].maggies), 20.0, 1e-4) << curves[k].name;
  }
  expect_matches_reference(got, b, curves);
}

// DESI: spectra on the linear lattice lambda = index * 0.8 A (brz 3600-9824 A), the shipped
// DECam g, r, z curves. A flat f_nu spectrum gives its AB magnitude in g and r; z runs past
// 9824 A (8.7% of its weight) and is flagged not covered. Random spectra match the reference.
TEST_P(Photometry, DecamOnALinearLattice) {
  const auto curves = load_filters("decam2014-g,decam2014-r,decam2014-z");
  const native_grid desi = linear_lattice(0.8);
  std::vector<band_weights> w;
  for (const auto& c : curves) w.push_back(make_band_weights(c.name, c.wavelength, c.response, desi));
  const band_tables t(w);
  const double fnu_ujy = ab_zero_point_jy * 1e6 * std::pow(10.0, -0.4 * 20.0);
  csr_batch b;
  for (int j = 0; j < 7781; ++j)
    b.add_pixel(float(microjansky_to_flambda(fnu_ujy, 0.8 * (4500 + j))), 4.0f);
  b.close_spectrum(4500);
  std::mt19937 rng(5);
  for (int s = 0; s < 20; ++s) {
    for (int j = 0; j < 7781; ++j) {
      const double lam = 0.8 * (4500 + j);
      b.add_pixel(float(1 + s + 5 * std::exp(-0.5 * std::pow((lam - 4000 - 250 * s) / 6.0, 2))),
                  std::uniform_real_distribution<double>(0, 1)(rng) < 0.02 ? 0.f : 2.f);
    }
    b.close_spectrum(4500);
  }
  const auto got = run(b, t);
  EXPECT_NEAR(ab_mag_from_maggies(got[0].maggies), 20.0, 1e-4);
  EXPECT_NEAR(ab_mag_from_maggies(got[1].maggies), 20.0, 1e-4);
  EXPECT_EQ(got[2].flag, int32_t(photometry_not_covered));
  const auto want = reference_photometry(b, curves, {}, 0.8);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], 1e-9, "linear lattice result " + std::to_string(i));
}

TEST_P(Photometry, RandomCsrBatchMatchesReference) {
  // 300 spectra of random length and start around the SDSS range, random masking.
  std::mt19937 rng(7);
  csr_batch b;
  for (int i = 0; i < 300; ++i) b.add_random(rng, 35400 + int(rng() % 300), 3500 + int(rng() % 1400));
  b.add_random(rng, 35500, 0);  // an empty spectrum: not covered
  const auto curves = sdss_filters();
  expect_matches_reference(run(b, tables_of(curves)), b, curves);
}

TEST_P(Photometry, NanAndZeroIvarPixelsAreLeftOut) {
  std::mt19937 rng(11);
  csr_batch clean;
  clean.add_random(rng, 35600, 4000, 0.0);
  csr_batch b = clean;
  for (size_t p = 500; p < 3500; p += 97) b.ivar[p] = 0.f;
  for (size_t p = 520; p < 3500; p += 89) b.flux[p] = nan_f;  // NaN flux with ivar > 0
  b.ivar[1000] = nan_f;
  b.ivar[1001] = std::numeric_limits<float>::infinity();
  b.ivar[1002] = -1.f;
  const auto curves = sdss_filters();
  const auto t = tables_of(curves);
  const auto got = run(b, t);
  expect_matches_reference(got, b, curves);
  // Left out, not read as zero flux: the renormalised g, r, i stay within 1% of the unmasked
  // values of this smooth spectrum.
  const auto unmasked = run(clean, t);
  for (size_t k = 1; k < 4; ++k) {
    ASSERT_EQ(got[k].flag, 0) << curves[k].name;
    EXPECT_NEAR(got[k].maggies / unmasked[k].maggies, 1.0, 0.01) << curves[k].name;
  }
}

TEST_P(Photometry, AllMaskedBandIsNanWithFlag2) {
  std::mt19937 rng(3);
  csr_batch b;
  b.add_random(rng, 35600, 4000, 0.0);
  std::fill(b.ivar.begin(), b.ivar.end(), 0.f);
  const auto curves = sdss_filters();
  const auto got = run(b, tables_of(curves));
  for (size_t k = 1; k < 4; ++k) {  // g, r, i: covered, all masked
    EXPECT_EQ(got[k].flag, photometry_too_masked) << curves[k].name;
    EXPECT_TRUE(std::isnan(got[k].maggies));
  }
  expect_matches_reference(got, b, curves);
}

TEST_P(Photometry, UncoveredBandIsNanWithFlag1) {
  std::mt19937 rng(5);
  csr_batch b;
  b.add_random(rng, 37000, 800, 0.0);  // 5012-6026 A: inside g's red half and r's blue half
  b.add_random(rng, 35515, 4620, 0.0); // a BOSS-like 3560-10320 A spectrum
  const auto curves = sdss_filters();
  const auto got = run(b, tables_of(curves));
  for (size_t k = 0; k < 5; ++k) EXPECT_EQ(got[k].flag, photometry_not_covered) << curves[k].name;
  EXPECT_EQ(got[5 + 0].flag, photometry_not_covered);  // u starts at 2939 A
  EXPECT_EQ(got[5 + 1].flag, 0);
  EXPECT_EQ(got[5 + 4].flag, photometry_not_covered);  // z runs to 11141 A
  expect_matches_reference(got, b, curves);
}

TEST_P(Photometry, CoverageAndMaskingThresholds) {
  const std::vector<filter_curve> curves = {narrow_filter()};
  const band_tables t = tables_of(curves);
  const int32_t k0 = t.view().lattice_start[0];
  const int nw = int(t.view().offsets[1]);
  ASSERT_GT(nw, 10);
  std::mt19937 rng(9);
  csr_batch b;
  b.add_random(rng, k0 - 5, nw + 10, 0.0);  // covers the triangle
  b.add_random(rng, k0 + 3, nw + 5, 0.0);   // misses its first 3 pixels: ~6% of the weight
  b.add_random(rng, k0 - 5, nw + 10, 0.0);
  b.ivar[size_t(b.offsets[2]) + 5 + size_t(nw / 2)] = 0.f;  // the peak pixel: ~11% of the weight
  const photometry_params strict{0.005, 0.05, 0};
  const auto got = run(b, t, strict);
  EXPECT_EQ(got[0].flag, 0);
  EXPECT_EQ(got[1].flag, photometry_not_covered);
  EXPECT_EQ(got[2].flag, photometry_too_masked);
  expect_matches_reference(got, b, curves, strict);
  const photometry_params loose{0.5, 0.5, 0};
  const auto lenient = run(b, t, loose);
  for (const auto& r : lenient) EXPECT_EQ(r.flag, 0);
  expect_matches_reference(lenient, b, curves, loose);
}

TEST_P(Photometry, AndMaskBitsMaskOnlyWhenSelected) {
  std::mt19937 rng(13);
  csr_batch b;
  b.add_random(rng, 35600, 4000, 0.0);
  for (size_t p = 0; p < b.and_mask.size(); p += 5) b.and_mask[p] = 1 << 23;  // BRIGHTSKY
  const auto curves = sdss_filters();
  const auto t = tables_of(curves);
  const auto plain = run(b, t);
  photometry_params bits;
  bits.and_mask_bits = 1u << 23;
  bits.max_masked_fraction = 0.5;
  const auto masked = run(b, t, bits);
  expect_matches_reference(plain, b, curves);
  expect_matches_reference(masked, b, curves, bits);
  EXPECT_NE(plain[2].maggies, masked[2].maggies);
}

TEST_P(Photometry, PixelCounts31To33AndOneSpectrum) {
  const std::vector<filter_curve> curves = {narrow_filter()};
  const band_tables t = tables_of(curves);
  const int32_t k0 = t.view().lattice_start[0];
  std::mt19937 rng(17);
  for (int n : {31, 32, 33}) {
    csr_batch b;
    b.add_random(rng, k0 - 4, n, 0.1);
    expect_matches_reference(run(b, t), b, curves);
  }
}

TEST_P(Photometry, ZeroSpectraAndZeroBands) {
  csr_batch b;
  const auto t = tables_of({narrow_filter()});
  std::vector<band_flux> out;
  EXPECT_NO_THROW(synthetic_photometry(GetParam(), b.input(), t, {}, out.data()));
  std::mt19937 rng(1);
  b.add_random(rng, 35600, 100, 0.0);
  EXPECT_NO_THROW(synthetic_photometry(GetParam(), b.input(), band_tables{}, {}, out.data()));
}

INSTANTIATE_TEST_SUITE_P(Cpu, Photometry, ::testing::Values(backend::cpu));
INSTANTIATE_TEST_SUITE_P(Cuda, Photometry, ::testing::Values(backend::cuda));

// Rows with gaps (photometry_input::ends: an aligned window, each spectrum inside a wider row)
// give the same bits as the same spectra in CSR form; the padding is never read (it holds huge
// fluxes with good ivar here, which would show in any sum).
struct gapped_rows {
  std::vector<int64_t> offsets, ends;
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask;
  explicit gapped_rows(const csr_batch& b) {
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (size_t i = 0; i < b.n(); ++i) {
      lo = std::min<int64_t>(lo, b.lattice_start[i]);
      hi = std::max<int64_t>(hi, b.lattice_start[i] + (b.offsets[i + 1] - b.offsets[i]));
    }
    const int64_t width = hi - lo + 3;  // a margin after the widest too
    flux.assign(size_t(width) * b.n(), 1e30f);
    ivar.assign(flux.size(), 1.f);
    and_mask.assign(flux.size(), 0);
    for (size_t i = 0; i < b.n(); ++i) {
      const int64_t at = int64_t(i) * width + (b.lattice_start[i] - lo), n = b.offsets[i + 1] - b.offsets[i];
      offsets.push_back(at);
      ends.push_back(at + n);
      std::copy_n(b.flux.begin() + b.offsets[i], n, flux.begin() + at);
      std::copy_n(b.ivar.begin() + b.offsets[i], n, ivar.begin() + at);
      std::copy_n(b.and_mask.begin() + b.offsets[i], n, and_mask.begin() + at);
    }
  }
  photometry_input input(const csr_batch& b) const {
    return {b.n(), offsets.data(), b.lattice_start.data(), flux.data(), ivar.data(), and_mask.data(), ends.data()};
  }
};

csr_batch gapped_test_batch() {
  std::mt19937 rng(31);
  csr_batch b;
  for (int i = 0; i < 120; ++i) b.add_random(rng, 35400 + int(rng() % 300), 3500 + int(rng() % 1400));
  b.add_random(rng, 35500, 0);   // empty: not covered
  b.add_random(rng, 36990, 33);  // short, covering the narrow filter's neighbourhood only
  return b;
}

TEST(PhotometryRowsWithGaps, SameBitsAsCsrOnTheCpu) {
  const csr_batch b = gapped_test_batch();
  const gapped_rows g(b);
  const auto t = tables_of(sdss_filters());
  std::vector<band_flux> csr(b.n() * t.size()), gap(b.n() * t.size());
  synthetic_photometry(backend::cpu, b.input(), t, {}, csr.data());
  synthetic_photometry(backend::cpu, g.input(b), t, {}, gap.data());
  for (size_t i = 0; i < csr.size(); ++i) {
    EXPECT_EQ(gap[i].flag, csr[i].flag) << i;
    EXPECT_EQ(std::memcmp(&gap[i].maggies, &csr[i].maggies, 8), 0) << i;
    EXPECT_EQ(std::memcmp(&gap[i].maggies_err, &csr[i].maggies_err, 8), 0) << i;
  }
  expect_matches_reference(gap, b, sdss_filters());
}

TEST(PhotometryRowsWithGapsCuda, DeviceMatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const csr_batch b = gapped_test_batch();
  const gapped_rows g(b);
  const auto t = tables_of(sdss_filters());
  std::vector<band_flux> cpu(b.n() * t.size()), gpu(b.n() * t.size());
  synthetic_photometry(backend::cpu, g.input(b), t, {}, cpu.data());
  const auto d_off = device_buffer::from_host(std::span(g.offsets));
  const auto d_end = device_buffer::from_host(std::span(g.ends));
  const auto d_start = device_buffer::from_host(std::span(b.lattice_start));
  const auto d_flux = device_buffer::from_host(std::span(g.flux));
  const auto d_ivar = device_buffer::from_host(std::span(g.ivar));
  const auto d_bo = device_buffer::from_host(std::span(t.offsets()));
  const auto d_bs = device_buffer::from_host(std::span(t.lattice_starts()));
  const auto d_bf = device_buffer::from_host(std::span(t.flux_weights()));
  const auto d_bn = device_buffer::from_host(std::span(t.norm_weights()));
  const auto d_bt = device_buffer::from_host(std::span(t.norm_totals()));
  device_buffer d_out(gpu.size() * sizeof(band_flux));
  const photometry_input in{b.n(), d_off.data<int64_t>(), d_start.data<int32_t>(), d_flux.data<float>(),
                            d_ivar.data<float>(), nullptr, d_end.data<int64_t>()};
  const band_table_view bands{t.size(), d_bo.data<int64_t>(), d_bs.data<int32_t>(), d_bf.data<double>(),
                              d_bn.data<double>(), d_bt.data<double>()};
  cuda_stream stream;
  synthetic_photometry_device(in, bands, {}, d_out.data<band_flux>(), stream);
  d_out.copy_to_host(gpu.data(), d_out.size(), stream);
  stream.synchronize();
  for (size_t i = 0; i < cpu.size(); ++i) expect_close(gpu[i], cpu[i], 1e-12, "pair " + std::to_string(i));
}

TEST(PhotometryCuda, MatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  std::mt19937 rng(23);
  csr_batch b;
  for (int i = 0; i < 2000; ++i) b.add_random(rng, 35400 + int(rng() % 300), 3500 + int(rng() % 1400));
  const auto t = tables_of(sdss_filters());
  std::vector<band_flux> cpu(b.n() * t.size()), gpu(b.n() * t.size());
  synthetic_photometry(backend::cpu, b.input(), t, {}, cpu.data());
  synthetic_photometry(backend::cuda, b.input(), t, {}, gpu.data());
  for (size_t i = 0; i < cpu.size(); ++i) expect_close(gpu[i], cpu[i], 1e-12, "pair " + std::to_string(i));
}

TEST(PhotometryWithoutDevice, DevicePathThrows) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  std::mt19937 rng(1);
  csr_batch b;
  b.add_random(rng, 35600, 100, 0.0);
  const auto t = tables_of({narrow_filter()});
  std::vector<band_flux> out(1);
  EXPECT_THROW(synthetic_photometry(backend::cuda, b.input(), t, {}, out.data()), cuda_error);
  EXPECT_THROW(synthetic_photometry_device(b.input(), t.view(), {}, out.data()), cuda_error);
}

// The 10 real SDSS files: synthetic g, r, i within 1% of the pipeline's SPECTROFLUX (HDU 2),
// read straight from the files (tests/engine/photometry/photometry_test.cpp does it through a store).
TEST_P(Photometry, RealSdssFilesAgreeWithSpectroflux) {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(SPECMILL_SHARED_DATA) / "spectra"))
    if (e.path().extension() == ".fits") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 10u);
  csr_batch b;
  std::vector<spec_meta> metas;
  for (const auto& f : files) {
    const sdss_spectrum s = read_sdss_spectrum(f);
    for (size_t j = 0; j < s.data.npix(); ++j) b.add_pixel(s.data.flux[j], s.data.ivar[j]);
    b.close_spectrum(s.data.lattice_start);
    metas.push_back(s.meta);
  }
  const auto curves = sdss_filters();
  const auto got = run(b, tables_of(curves));
  std::printf("%-28s %10s %10s %10s   (synthetic / SPECTROFLUX - 1, %%)\n", "file", "g", "r", "i");
  for (size_t i = 0; i < files.size(); ++i) {
    std::printf("%-28s", files[i].stem().c_str());
    EXPECT_EQ(got[i * 5 + 0].flag, photometry_not_covered) << files[i];  // u: never covered
    for (size_t k = 1; k <= 3; ++k) {
      const band_flux& r = got[i * 5 + k];
      ASSERT_EQ(r.flag, 0) << files[i] << " " << curves[k].name;
      const double ratio = r.maggies * 1e9 / metas[i].spectroflux[k];
      std::printf(" %+10.3f", (ratio - 1) * 100);
      EXPECT_NEAR(ratio, 1.0, 0.01) << files[i] << " " << curves[k].name;
      EXPECT_GT(r.maggies_err, 0);
      EXPECT_LT(r.maggies_err, 0.1 * r.maggies);
    }
    std::printf("\n");
  }
}

TEST(BandWeights, TablesPartitionTheWholeCurve) {
  for (const auto& c : load_filters("sdss2010-u,sdss2010-g,sdss2010-r,sdss2010-i,sdss2010-z,sdss2010noatm-g")) {
    const band_weights w = make_band_weights(c.name, c.wavelength, c.response);
    const auto [num, norm] = test::integrate_curve(c, c.wavelength.front(), c.wavelength.back());
    EXPECT_NEAR(w.norm_total, norm, 1e-9 * norm) << c.name;
    double flux_sum = 0;
    for (double a : w.flux_weight) flux_sum += a;
    EXPECT_NEAR(flux_sum, num * test::flux_weight_scale, 1e-9 * flux_sum) << c.name;
    EXPECT_GT(w.norm_weight.front(), 0) << c.name;  // trimmed to the support
    EXPECT_GT(w.norm_weight.back(), 0) << c.name;
  }
}

TEST(BandWeights, RejectsBadCurves) {
  const std::vector<double> w = {1, 2, 3}, r = {0, 1, 0};
  EXPECT_THROW(make_band_weights("x", std::vector<double>{1}, std::vector<double>{1}), invalid_argument);
  EXPECT_THROW(make_band_weights("x", w, std::vector<double>{0, 0, 0}), invalid_argument);
  EXPECT_THROW(make_band_weights("x", std::vector<double>{1, 3, 2}, r), invalid_argument);
  EXPECT_THROW(make_band_weights("x", w, std::vector<double>{0, -1, 0}), invalid_argument);
  EXPECT_THROW(make_band_weights("x", w, std::vector<double>{0, 1}), invalid_argument);
}

}  // namespace
}  // namespace specmill
