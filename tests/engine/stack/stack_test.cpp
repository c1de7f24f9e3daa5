// `stack` through the engine: a synthetic store of 70 spectra in 5 blocks and the 10 real SDSS
// files, against references built here from whole spectra read one at a time
// (block_reader::read_spectrum) and plain float64 loops. Tolerances: weighted mean and mean
// flux 1.2e-7 relative (+1e-12 of the summed |f|: double sums rounded once to float); the
// median exact; tiles and windows change nothing (exact); band normalisation 1e-3 against sums
// and a trapezoid integral of the filter curve written here.
#include "common/store_setup.hpp"
#include "engine/stack/stack.hpp"

#include <gtest/gtest.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <ostream>
#include <random>

#include "core/error.hpp"
#include "engine/ingest/ingest.hpp"
#include "core/mask_bits.hpp"
#include "engine/sample/sample_data.hpp"
#include "io/filters/filter_curve.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/resample.hpp"
#include "engine/store_fixture.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }
}  // namespace specmill

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// Two stores, made on first use (not a global test environment: every test of the engine
// binary runs in its own process, and only the stack tests should pay for these): 70 sample
// spectra of both eras in blocks of 16, and the 10 real files in blocks of 4.
class StackStores {
 public:
  static fs::path sample() { return instance().dir_.path() / "sample-store"; }
  static fs::path real() { return instance().dir_.path() / "real-store"; }
  // The same 70 spectra in chunked blocks (not mapped: the readers copy their rows).
  static fs::path sample_chunked() { return instance().dir_.path() / "sample-chunked"; }

 private:
  StackStores() {
    const fs::path sample = test_support::write_sample_files(dir_.path() / "sample", 70, 5, 0.4);
    test_support::ingest_into(dir_.path() / "sample-store", sample, 16);
    test_support::ingest_into(dir_.path() / "sample-chunked", sample, 16, std::string(default_context), false);
    test_support::ingest_into(dir_.path() / "real-store", test::shared_spectra(), 4);
  }
  static const StackStores& instance() {
    static const StackStores stores;
    return stores;
  }
  test::temp_dir dir_;
};

std::vector<resolved_id> all_ids(store& st) {
  std::vector<resolved_id> ids;
  st.catalog().for_each_located("sdss_dr16", [&](const catalog_entry& e) { ids.push_back(resolved_id::from_entry(e)); });
  std::sort(ids.begin(), ids.end(), [](auto& a, auto& b) { return a.specobjid() < b.specobjid(); });
  return ids;
}

// Shuffled, one duplicate and one unknown ID.
std::vector<resolved_id> shuffled(store& st) {
  auto ids = all_ids(st);
  std::shuffle(ids.begin(), ids.end(), std::mt19937(3));
  ids.push_back(ids[4]);
  ids.insert(ids.begin() + 2, resolved_id::make_missing(12345, 0));
  return ids;
}

const coadd& whole(store& st, const resolved_id& r) {
  static std::map<std::pair<std::string, uint64_t>, coadd> cache;
  const auto key = std::make_pair(st.root().string(), r.specobjid());
  auto it = cache.find(key);
  if (it == cache.end()) {
    const spectrum_location loc = r.location();
    it = cache.emplace(key, block_reader(st.block_path(loc.block_id)).read_spectrum(size_t(loc.row))).first;
  }
  return it->second;
}

// The contributing values of lattice pixel `index` over the list (default mask bits).
std::vector<std::pair<double, double>> values_at(store& st, const resolved_list& ids, int32_t index,
                                                 uint32_t bits) {
  std::vector<std::pair<double, double>> v;
  for (const auto& r : ids) {
    if (!r.has_pixels()) continue;
    const coadd& s = whole(st, r);
    const int64_t j = int64_t(index) - s.lattice_start;
    if (j < 0 || j >= int64_t(s.npix())) continue;
    const float f = s.flux[size_t(j)], iv = s.ivar[size_t(j)];
    if (!(iv > 0) || !std::isfinite(iv) || !std::isfinite(f) || (uint32_t(s.and_mask[size_t(j)]) & bits)) continue;
    v.push_back({f, iv});
  }
  return v;
}

stack_options options(const fs::path& store_path, stack_method m, backend b) {
  stack_options o;
  o.store = store_path;
  o.method = m;
  o.device = b;
  o.progress = false;
  o.mask_bits = parse_mask_bits("default");
  return o;
}

class StackEngine : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  backend b() const { return GetParam(); }
};

TEST_P(StackEngine, ObservedLatticeMatchesReferenceAcrossBlocksWindowsAndTiles) {
  store st(StackStores::sample(), store::access::read);
  const auto ids = shuffled(st);
  const lattice_window span = list_span(ids, sdss_native_grid);
  for (stack_method m : {stack_method::weighted_mean, stack_method::mean, stack_method::median}) {
    SCOPED_TRACE(std::string(to_string(m)));
    stack_options o = options(StackStores::sample(), m, b());
    const stack_result one = compute_stack(o, st, ids);
    EXPECT_EQ(one.summary.found, ids.size() - 1);
    EXPECT_EQ(one.summary.used, ids.size() - 1);
    ASSERT_EQ(one.summary.missing.size(), 1u);
    ASSERT_EQ(int64_t(one.flux.size()), span.width);
    EXPECT_NEAR(one.wavelength[0], std::pow(10.0, span.start * 1e-4), 1e-9);
    size_t checked = 0;
    for (int64_t k = 0; k < span.width; ++k) {
      const auto v = values_at(st, ids, span.start + int32_t(k), o.mask_bits);
      ASSERT_EQ(one.n[size_t(k)], int32_t(v.size())) << k;
      if (v.empty()) {
        EXPECT_EQ(one.flux[size_t(k)], 0.f);
        EXPECT_EQ(one.ivar[size_t(k)], 0.f);
        continue;
      }
      double sw = 0, swf = 0, sf = 0, sabs = 0;
      std::vector<double> x;
      for (auto [f, iv] : v) sw += iv, swf += iv * f, sf += f, sabs += std::abs(f), x.push_back(f);
      std::sort(x.begin(), x.end());
      const size_t n = x.size();
      const double want = m == stack_method::weighted_mean ? swf / sw
                          : m == stack_method::mean        ? sf / double(n)
                                                           : (n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]));
      if (m == stack_method::median)
        ASSERT_EQ(one.flux[size_t(k)], float(want)) << k;
      else
        ASSERT_NEAR(one.flux[size_t(k)], want, 1.2e-7 * std::abs(want) + 1e-12 * sabs) << k;
      if (m == stack_method::weighted_mean) {
        ASSERT_NEAR(one.ivar[size_t(k)], sw, 1.2e-7 * sw) << k;
      }
      ++checked;
    }
    EXPECT_GT(checked, size_t(span.width) / 2);
    // Small list windows (several per block, blocks split across them) and, for the median, a
    // memory budget of ~97 pixels a tile (~50 tiles over the span): the same result.
    o.window_bytes = 20000;
    o.memory_bytes = ids.size() * (stack_tile::bytes_per_slot(b()) * 97 + 8 * size_t(tbb::this_task_arena::max_concurrency()));
    const stack_result tiled = compute_stack(o, st, ids);
    if (m == stack_method::median) {
      EXPECT_GE(tiled.summary.tiles, size_t(span.width) / 100);
    }
    EXPECT_EQ(tiled.n, one.n);
    if (b() == backend::cuda && m != stack_method::median) {
      // The device sums a window's rows in 64-row chunks: other windows, other partial sums.
      for (size_t k = 0; k < one.flux.size(); ++k) {
        EXPECT_NEAR(tiled.flux[k], one.flux[k], 1.2e-7 * std::abs(one.flux[k]) + 1e-9) << k;
        EXPECT_NEAR(tiled.ivar[k], one.ivar[k], 1.2e-7 * one.ivar[k]) << k;
      }
    } else {  // CPU (fixed groups) and the median (the same values selected): bit for bit
      EXPECT_EQ(tiled.flux, one.flux);
      EXPECT_EQ(tiled.ivar, one.ivar);
      EXPECT_EQ(tiled.error, one.error);
    }
  }
}

// The median and clipped mean gather their tiles in place from mapped blocks, or from copies
// of the rows of chunked blocks: the same bits either way, in one tile or many.
TEST_P(StackEngine, ChunkedBlocksGiveTheMappedBlocksResult) {
  store mapped(StackStores::sample(), store::access::read), chunked(StackStores::sample_chunked(), store::access::read);
  const auto ids = shuffled(mapped), ids_chunked = shuffled(chunked);
  for (stack_method m : {stack_method::median, stack_method::clipped_mean})
    for (size_t pixels_a_tile : {size_t(0), size_t(37)}) {
      SCOPED_TRACE(std::string(to_string(m)) + " " + std::to_string(pixels_a_tile));
      stack_options o = options(StackStores::sample(), m, b());
      if (pixels_a_tile)
        o.memory_bytes = ids.size() * (stack_tile::bytes_per_slot(b()) * pixels_a_tile +
                                       8 * size_t(tbb::this_task_arena::max_concurrency()));
      const stack_result want = compute_stack(o, mapped, ids);
      o.store = StackStores::sample_chunked();
      const stack_result got = compute_stack(o, chunked, ids_chunked);
      EXPECT_EQ(got.summary.tiles, want.summary.tiles);
      if (pixels_a_tile) {
        EXPECT_GT(got.summary.tiles, 10u);
      }
      EXPECT_GT(*std::max_element(got.n.begin(), got.n.end()), 50);
      EXPECT_EQ(got.n, want.n);
      EXPECT_EQ(got.flux, want.flux);
      EXPECT_EQ(got.ivar, want.ivar);
      EXPECT_EQ(got.error, want.error);
    }
}

// N copies of one spectrum: the weighted mean is that spectrum with N times its ivar; the
// median and the mean give the spectrum too.
TEST_P(StackEngine, CopiesOfOneSpectrumGiveThatSpectrum) {
  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  const resolved_id one = all[3];
  const coadd& s = whole(st, one);
  const std::vector<resolved_id> ids(5, one);
  for (stack_method m : {stack_method::weighted_mean, stack_method::mean, stack_method::median, stack_method::clipped_mean}) {
    SCOPED_TRACE(std::string(to_string(m)));
    const stack_result r = compute_stack(options(StackStores::real(), m, b()), st, ids);
    ASSERT_EQ(r.flux.size(), s.npix());  // the span is the spectrum
    size_t good = 0;
    for (size_t j = 0; j < s.npix(); ++j) {
      const bool ok = s.ivar[j] > 0 && !(uint32_t(s.and_mask[j]) & parse_mask_bits("default"));
      ASSERT_EQ(r.n[j], ok ? 5 : 0) << j;
      if (!ok) continue;
      ++good;
      ASSERT_FLOAT_EQ(r.flux[j], s.flux[j]) << j;
      if (m == stack_method::median) {
        ASSERT_EQ(r.flux[j], s.flux[j]) << j;
      } else {
        ASSERT_FLOAT_EQ(r.ivar[j], 5 * s.ivar[j]) << j;
      }
    }
    EXPECT_GT(good, s.npix() * 9 / 10);
  }
}

// --normalize A-B: each spectrum divided by its median good flux over the lattice pixels
// centered in [A, B]; a window beyond the legacy spectra's red end drops them, counted.
TEST_P(StackEngine, NormalizeByWavelengthWindow) {
  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  const std::vector<resolved_id> ids{all[0]};
  const coadd& s = whole(st, all[0]);
  stack_options o = options(StackStores::real(), stack_method::weighted_mean, b());
  o.normalize = wavelength_range{5000, 5100};
  const stack_result r = compute_stack(o, st, ids);
  std::vector<double> v;
  for (size_t j = 0; j < s.npix(); ++j) {
    const double lam = std::pow(10.0, (s.lattice_start + int64_t(j)) * 1e-4);
    if (lam >= 5000 && lam <= 5100 && s.ivar[j] > 0 && !(uint32_t(s.and_mask[j]) & o.mask_bits)) v.push_back(s.flux[j]);
  }
  std::sort(v.begin(), v.end());
  const double med = v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
  ASSERT_GT(med, 0);
  for (size_t j = 0; j < s.npix(); ++j)
    if (r.n[j]) {
      ASSERT_FLOAT_EQ(r.flux[j], float(double(s.flux[j]) / med)) << j;
    }

  o.normalize = wavelength_range{9500, 9600};  // beyond the legacy spectra's ~9200 A end
  const stack_result red = compute_stack(o, st, all);
  size_t legacy = 0;
  for (const auto& id : all) legacy += id.plate() < 3000;
  EXPECT_EQ(red.summary.dropped_normalization, legacy);
  EXPECT_EQ(red.summary.used, all.size() - legacy);
  o.normalize = wavelength_range{20000, 20100};  // no pixel of the list's span there
  EXPECT_THROW(compute_stack(o, st, all), invalid_argument);
}

// --normalize-band r: the spectrum divided by its band flux in maggies (masked pixels left out
// and the band renormalised by its 1/lambda weights, as `photometry` does) times the band's
// constant int R/lambda / int R lambda (a flat f_lambda spectrum normalises to 1). Checked
// against midpoint sums over the pixels and trapezoid integrals of the curve written here.
TEST_P(StackEngine, NormalizeByBand) {
  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  const auto curve = load_filters("sdss2010-r").at(0);
  double all_a = 0, all_b = 0;  // int R lambda, int R / lambda over the whole curve
  for (size_t k = 1; k < curve.wavelength.size(); ++k) {
    const double l0 = curve.wavelength[k - 1], l1 = curve.wavelength[k], r0 = curve.response[k - 1],
                 r1 = curve.response[k];
    all_a += 0.5 * (r0 * l0 + r1 * l1) * (l1 - l0);
    all_b += 0.5 * (r0 / l0 + r1 / l1) * (l1 - l0);
  }
  for (size_t i : {size_t(1), size_t(6)}) {
    const coadd& s = whole(st, all[i]);
    stack_options o = options(StackStores::real(), stack_method::weighted_mean, b());
    o.normalize_band = "r";
    const stack_result r = compute_stack(o, st, std::vector<resolved_id>{all[i]});
    double num = 0, den = 0;
    for (size_t j = 0; j < s.npix(); ++j) {
      if (!(s.ivar[j] > 0) || (uint32_t(s.and_mask[j]) & o.mask_bits)) continue;
      const double lo = std::pow(10.0, (s.lattice_start + double(j) - 0.5) * 1e-4);
      const double hi = std::pow(10.0, (s.lattice_start + double(j) + 0.5) * 1e-4), lam = 0.5 * (lo + hi);
      const auto it = std::upper_bound(curve.wavelength.begin(), curve.wavelength.end(), lam);
      if (it == curve.wavelength.begin() || it == curve.wavelength.end()) continue;
      const size_t k = size_t(it - curve.wavelength.begin());
      const double t = (lam - curve.wavelength[k - 1]) / (curve.wavelength[k] - curve.wavelength[k - 1]);
      const double resp = curve.response[k - 1] + t * (curve.response[k] - curve.response[k - 1]);
      num += s.flux[j] * resp * lam * (hi - lo);
      den += resp / lam * (hi - lo);
    }
    const double want = num / den * all_b / all_a;
    size_t checked = 0;
    for (size_t j = 0; j < s.npix(); ++j)
      if (r.n[j] && std::abs(s.flux[j]) > 1) {
        ASSERT_NEAR(double(s.flux[j]) / r.flux[j], want, 1e-3 * want) << j;
        ++checked;
      }
    EXPECT_GT(checked, 100u);
  }
}

// --rest-frame with supplied redshifts: two copies at one z are the resampled spectrum (at that
// z) with twice its ivar; unusable redshifts drop their spectra, counted.
TEST_P(StackEngine, RestFrameWithSuppliedRedshifts) {
  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  const coadd& s = whole(st, all[2]);
  const wavelength_grid g = parse_wavelength_grid("lin:3000,8000,2.5");
  stack_options o = options(StackStores::real(), stack_method::weighted_mean, b());
  o.grid = g;
  o.rest_frame = true;
  o.redshifts = {0.25, 0.25, NAN, -1.0};
  const std::vector<resolved_id> ids{all[2], all[2], all[5], all[7]};
  const stack_result r = compute_stack(o, st, ids);
  EXPECT_EQ(r.summary.dropped_redshift, 2u);
  EXPECT_EQ(r.summary.used, 2u);
  const size_t n_out = size_t(g.size());
  std::vector<float> f(n_out), iv(n_out);
  const double shift = std::log10(1.25);
  lattice_batch in;
  in.n_spectra = 1;
  in.width = s.npix();
  in.lattice_start = s.lattice_start;
  in.flux = s.flux.data();
  in.ivar = s.ivar.data();
  in.and_mask = s.and_mask.data();
  in.log10_1pz = &shift;
  resample(backend::cpu, in, g, int32_t(o.mask_bits), {f.data(), iv.data()});
  size_t covered = 0;
  for (size_t k = 0; k < n_out; ++k) {
    ASSERT_EQ(r.n[k], iv[k] > 0 ? 2 : 0) << k;
    if (!(iv[k] > 0)) continue;
    ++covered;
    ASSERT_FLOAT_EQ(r.flux[k], f[k]) << k;
    ASSERT_FLOAT_EQ(r.ivar[k], 2 * iv[k]) << k;
  }
  EXPECT_GT(covered, n_out / 2);
  // The median, tiled into 3-pixel tiles, equals its one-tile run exactly.
  o.method = stack_method::median;
  const stack_result once = compute_stack(o, st, ids);
  o.memory_bytes = 3 * ids.size() * stack_tile::bytes_per_slot(b()) + 16 * ids.size() * 8;
  const stack_result tiled = compute_stack(o, st, ids);
  EXPECT_GT(tiled.summary.tiles, 100u);
  EXPECT_EQ(tiled.flux, once.flux);
  EXPECT_EQ(tiled.n, once.n);
}

// --rest-frame without --grid: log step 1e-4 over the list's rest-frame coverage (catalog z).
TEST_P(StackEngine, DefaultRestGridCoversTheList) {
  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  stack_options o = options(StackStores::real(), stack_method::median, b());
  o.rest_frame = true;
  const stack_result r = compute_stack(o, st, all);
  double lo = INFINITY, hi = 0;
  for (const auto& id : all) {
    const spectrum_location loc = id.location();
    const double z = id.z();
    lo = std::min(lo, std::pow(10.0, loc.lattice_start * 1e-4) / (1 + z));
    hi = std::max(hi, std::pow(10.0, (loc.lattice_start + loc.npix - 1) * 1e-4) / (1 + z));
  }
  EXPECT_LE(r.wavelength.front(), lo * (1 + 1e-9));
  EXPECT_GT(r.wavelength.front(), lo * std::pow(10.0, -1e-4));
  EXPECT_GE(r.wavelength.back(), hi * (1 - 1e-9));
  EXPECT_LT(r.wavelength.back(), hi * std::pow(10.0, 1e-4));
  EXPECT_EQ(r.summary.frame, "rest-frame grid");
  EXPECT_EQ(r.summary.used, all.size());
  EXPECT_GT(*std::max_element(r.n.begin(), r.n.end()), 5);
}

INSTANTIATE_TEST_SUITE_P(Cpu, StackEngine, ::testing::Values(backend::cpu), [](const auto&) { return std::string("cpu"); });
INSTANTIATE_TEST_SUITE_P(Cuda, StackEngine, ::testing::Values(backend::cuda), [](const auto&) { return std::string("cuda"); });

// The median and the clipped mean in many tiles and windows on the device against the CPU: on
// cuda the tile's buffers and the window staging are made once per run and reused by every
// tile, and each window's gather runs on its slot's stream while the next window is uploaded.
// The same values are selected on both backends (median: the same bits); the clipped mean's
// sums run in another order (1e-6 relative).
TEST(StackTilesCuda, DeviceMatchesCpuInManyTilesAndWindows) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  store st(StackStores::sample(), store::access::read);
  const auto ids = shuffled(st);
  for (stack_method m : {stack_method::median, stack_method::clipped_mean}) {
    SCOPED_TRACE(std::string(to_string(m)));
    stack_result r[2];
    for (backend b : {backend::cpu, backend::cuda}) {
      stack_options o = options(StackStores::sample(), m, b);
      o.window_bytes = 20000;
      o.memory_bytes = ids.size() * (stack_tile::bytes_per_slot(b) * 97 + 8 * size_t(tbb::this_task_arena::max_concurrency()));
      r[b == backend::cuda] = compute_stack(o, st, ids);
      EXPECT_GT(r[b == backend::cuda].summary.tiles, 10u);
    }
    EXPECT_EQ(r[1].n, r[0].n);
    ASSERT_EQ(r[1].flux.size(), r[0].flux.size());
    for (size_t k = 0; k < r[0].flux.size(); ++k) {
      if (m == stack_method::median)
        ASSERT_EQ(r[1].flux[k], r[0].flux[k]) << k;
      else
        ASSERT_NEAR(r[1].flux[k], r[0].flux[k], 1e-6 * std::abs(r[0].flux[k]) + 1e-12) << k;
      ASSERT_NEAR(r[1].ivar[k], r[0].ivar[k], 1e-6 * r[0].ivar[k]) << k;
    }
  }
}

TEST(StackOptions, BadOptionsAreInvalidArguments) {
  EXPECT_THROW(parse_stack_method("medain"), invalid_argument);
  EXPECT_THROW(parse_stack_format("hdf5"), invalid_argument);
  stack_options o;
  o.out = "x.npz";
  EXPECT_NO_THROW(check_stack_options(o));
  for (double sigma : {0.0, 0.5, -3.0, double(NAN), double(INFINITY)}) {
    stack_options bad = o;
    bad.sigma = sigma;
    EXPECT_THROW(check_stack_options(bad), invalid_argument) << sigma;
  }
  for (int it : {0, -1, 101}) {
    stack_options bad = o;
    bad.iterations = it;
    EXPECT_THROW(check_stack_options(bad), invalid_argument) << it;
  }
  stack_options both = o;
  both.normalize = wavelength_range{5000, 5100};
  both.normalize_band = "r";
  EXPECT_THROW(check_stack_options(both), invalid_argument);
  stack_options z = o;
  z.redshifts = {0.1};
  EXPECT_THROW(check_stack_options(z), invalid_argument);  // without rest_frame
  stack_options npz_stdout = o;
  npz_stdout.out = "-";
  EXPECT_THROW(check_stack_options(npz_stdout), invalid_argument);
  EXPECT_THROW(parse_wavelength_range("5000"), invalid_argument);
  EXPECT_THROW(parse_wavelength_range("6000-5000"), invalid_argument);

  store st(StackStores::real(), store::access::read);
  const auto all = all_ids(st);
  stack_options count = options(StackStores::real(), stack_method::mean, backend::cpu);
  count.rest_frame = true;
  count.redshifts = {0.1, 0.2};  // 2 values for 10 IDs
  EXPECT_THROW(compute_stack(count, st, all), invalid_argument);
  stack_options band = options(StackStores::real(), stack_method::mean, backend::cpu);
  band.normalize_band = "no-such-filter";
  EXPECT_THROW(compute_stack(band, st, all), not_found);
  EXPECT_THROW(compute_stack(options(StackStores::real(), stack_method::mean, backend::cpu), st, {}), not_found);
}

TEST(StackMaskBits, NamesIntegersDefaultAndNone) {
  EXPECT_EQ(parse_mask_bits("NOPLUG"), 1u);
  EXPECT_EQ(parse_mask_bits(" brightsky , NoData "), (1u << 23) | (1u << 24));
  EXPECT_EQ(parse_mask_bits("0x800000"), 1u << 23);
  EXPECT_EQ(parse_mask_bits("8388608,1"), (1u << 23) | 1u);
  EXPECT_EQ(parse_mask_bits("none"), 0u);
  EXPECT_EQ(parse_mask_bits("0"), 0u);
  EXPECT_EQ(parse_mask_bits("SMEARMEDIANSN"), parse_mask_bits("SMEARMEDSN"));
  EXPECT_EQ(parse_mask_bits("REDMONSTER"), 1u << 28);
  const uint32_t def = parse_mask_bits("default");
  EXPECT_EQ(parse_mask_bits("default,BADSKYCHI"), def | (1u << 27));
  for (const char* name : {"NOPLUG", "BADTRACE", "BADFLAT", "BADARC", "MANYREJECTED", "LARGESHIFT", "WHOPPER",
                           "FULLREJECT", "NOSKY", "BRIGHTSKY", "NODATA", "COMBINEREJ", "BADFLUXFACTOR"})
    EXPECT_TRUE(def & parse_mask_bits(name)) << name;
  EXPECT_FALSE(def & parse_mask_bits("MANYBADCOLUMNS"));
  EXPECT_EQ(sppixmask_bits().size(), 26u);
  for (const char* bad : {"FOO", "", "NOPLUG,,BRIGHTSKY", "-1", "0x1ffffffff", "12abc"})
    EXPECT_THROW(parse_mask_bits(bad), invalid_argument) << bad;
  EXPECT_EQ(mask_bits_to_string(0), "0");
  EXPECT_EQ(mask_bits_to_string((1u << 23) | 1u | (1u << 30)), "NOPLUG|BRIGHTSKY|0x40000000");
}

TEST(StackMedian, InPlaceMedianOfOddEvenAndEmpty) {
  std::vector<float> v{5, 1, 4, 2};
  EXPECT_EQ(detail::median_in_place(v), 3.0);
  v = {7, 1, 3};
  EXPECT_EQ(detail::median_in_place(v), 3.0);
  v.clear();
  EXPECT_TRUE(std::isnan(detail::median_in_place(v)));
}

}  // namespace
