// stack on both backends against a float64 reference written independently here: plain loops
// over the rows, std::sort of doubles for the median, the MAD from an explicit array of
// deviations, clipping by filtering vectors. Tolerances, and why:
//  * weighted_mean / mean / clipped_mean flux: |got - ref| <= 1.2e-7 |ref| + 1e-12 sum|f|/n. The
//    kernels sum in double like the reference and round once to float (2^-24 = 6e-8); the CUDA
//    path sums in another order (~1e-16 relative, which matters only where signs cancel).
//  * ivar: 1.2e-7 relative (positive terms). error: 2.4e-7 relative (a sqrt and a division more).
//  * median flux and every n: exact (both backends select the same stored values).
#include "kernels/stack.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/resample.hpp"
#include "core/wavelength_grid.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();
constexpr float inf_f = std::numeric_limits<float>::infinity();
constexpr uint32_t bad_bit = 1u << 23, harmless_bit = 1u << 16;

struct window_data {
  size_t rows = 0, width = 0;
  std::vector<float> flux, ivar;
  std::vector<int32_t> mask;
  std::vector<double> scale;  // empty: no row scale
  stack_window view(size_t first = 0, size_t count = SIZE_MAX) const {
    count = std::min(count, rows - first);
    stack_window w;
    w.n_rows = count;
    w.width = width;
    w.flux = flux.data() + first * width;
    w.ivar = ivar.data() + first * width;
    w.and_mask = mask.data() + first * width;
    w.mask_bits = bad_bit;
    w.row_scale = scale.empty() ? nullptr : scale.data() + first;
    return w;
  }
};

// Good values with every kind of bad pixel mixed in; column 1 (when width > 2) all masked.
window_data random_window(size_t rows, size_t width, unsigned seed, bool scaled = false) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> flux(10.f, 4.f);
  std::uniform_real_distribution<float> ivar(0.1f, 2.f), u(0.f, 1.f);
  window_data d;
  d.rows = rows;
  d.width = width;
  for (size_t i = 0; i < rows * width; ++i) {
    float f = flux(rng), iv = ivar(rng);
    int32_t m = u(rng) < 0.1f ? int32_t(harmless_bit) : 0;
    const float r = u(rng);
    if (r < 0.05f) m |= int32_t(bad_bit);
    else if (r < 0.08f) iv = 0;
    else if (r < 0.10f) f = nan_f;
    else if (r < 0.11f) iv = nan_f;
    else if (r < 0.12f) f = inf_f;
    else if (r < 0.13f) iv = -1;
    else if (r < 0.14f) iv = inf_f;
    if (width > 2 && i % width == 1) m |= int32_t(bad_bit);
    d.flux.push_back(f);
    d.ivar.push_back(iv);
    d.mask.push_back(m);
  }
  if (scaled)
    for (size_t r = 0; r < rows; ++r) d.scale.push_back(r % 7 == 3 ? nan_f : r % 11 == 5 ? -1.0 : 0.5 + 0.1 * double(r % 5));
  return d;
}

// ------------------------------------------------ the reference
struct ref_value {
  double f, ivar;
};
std::vector<ref_value> contributing(const window_data& d, size_t col, bool as_float) {
  std::vector<ref_value> v;
  for (size_t r = 0; r < d.rows; ++r) {
    const size_t i = r * d.width + col;
    const double f = d.flux[i], iv = d.ivar[i], s = d.scale.empty() ? 1.0 : d.scale[r];
    if (!(std::isfinite(f) && std::isfinite(iv) && iv > 0 && std::isfinite(s) && s > 0)) continue;
    if (uint32_t(d.mask[i]) & bad_bit) continue;
    // Tiles store values and ivar as float; the means keep double.
    v.push_back(as_float ? ref_value{double(float(f * s)), double(float(iv / (s * s)))} : ref_value{f * s, iv / (s * s)});
  }
  return v;
}
double median_of(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  const size_t n = x.size();
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}
double mad_of(const std::vector<double>& x, double c) {
  std::vector<double> dev;
  for (double v : x) dev.push_back(std::abs(v - c));
  return median_of(dev);
}
struct ref_pixel {
  double flux = 0, ivar = 0, error = INFINITY, sum_abs = 0;
  long n = 0;
};
ref_pixel reference(const window_data& d, size_t col, stack_method m, double sigma = 3, int iterations = 3) {
  const bool robust = m == stack_method::median || m == stack_method::clipped_mean;
  std::vector<ref_value> v = contributing(d, col, robust);
  ref_pixel p;
  if (v.empty()) return p;
  if (m == stack_method::clipped_mean) {
    for (int it = 0; it < iterations; ++it) {
      std::vector<double> x;
      for (auto& e : v) x.push_back(e.f);
      const double c = median_of(x), t = sigma * 1.4826022185056018 * mad_of(x, c);
      if (!(t > 0)) break;
      std::vector<ref_value> kept;
      for (auto& e : v)
        if (std::abs(e.f - c) <= t) kept.push_back(e);
      if (kept.size() == v.size()) break;
      v = kept;
    }
  }
  double sw = 0, swf = 0, sf = 0, svar = 0;
  std::vector<double> x;
  for (auto& e : v) {
    sw += e.ivar, swf += e.ivar * e.f, sf += e.f, svar += 1 / e.ivar;
    p.sum_abs += std::abs(e.f);
    x.push_back(e.f);
  }
  const double n = double(v.size());
  p.n = long(v.size());
  switch (m) {
    case stack_method::weighted_mean: p.flux = swf / sw, p.ivar = sw; break;
    case stack_method::mean: p.flux = sf / n, p.ivar = n * n / svar; break;
    case stack_method::median: p.flux = median_of(x), p.ivar = n * n / svar * (n >= 3 ? 2 / M_PI : 1); break;
    case stack_method::clipped_mean: p.flux = sf / n, p.ivar = n * n / svar; break;
  }
  p.error = 1 / std::sqrt(p.ivar);
  if (m == stack_method::median && n >= 3) p.error = std::sqrt(M_PI / 2) * 1.4826022185056018 * mad_of(x, p.flux) / std::sqrt(n);
  if (m == stack_method::clipped_mean && n >= 3) {
    double ss = 0;
    for (double e : x) ss += (e - p.flux) * (e - p.flux);
    p.error = std::sqrt(ss / (n - 1)) / std::sqrt(n);
  }
  return p;
}

// ------------------------------------------------ running the kernels
struct result {
  std::vector<float> flux, ivar, error;
  std::vector<int32_t> n, n_input;
  stack_output out() { return {flux.data(), ivar.data(), error.data(), n.data(), n_input.data()}; }
  explicit result(size_t w) : flux(w, -7), ivar(w, -7), error(w, -7), n(w, -7), n_input(w, -7) {}
};

// `windows` splits the rows into that many add() calls.
result run(backend b, const window_data& d, stack_method m, size_t windows = 1, double sigma = 3, int iterations = 3,
           size_t extra_capacity = 0) {
  result r(d.width);
  const size_t per = std::max<size_t>(1, (d.rows + windows - 1) / windows);
  if (m == stack_method::weighted_mean || m == stack_method::mean) {
    stack_accumulator acc(b, d.width, m);
    for (size_t first = 0; first < d.rows; first += per) acc.add(d.view(first, per));
    acc.finish(r.out());
  } else {
    stack_tile tile(b, d.width, d.rows + extra_capacity);
    for (size_t first = 0; first < d.rows; first += per) tile.add(d.view(first, per), first);
    tile.finish(m, sigma, iterations, r.out());
  }
  return r;
}

void expect_matches(const result& got, const window_data& d, stack_method m, double sigma = 3, int iterations = 3) {
  size_t bad = 0;
  for (size_t c = 0; c < d.width; ++c) {
    const ref_pixel want = reference(d, c, m, sigma, iterations);
    // The median is compared exactly, as the float the reference's double rounds to.
    const double want_flux = m == stack_method::median ? double(float(want.flux)) : want.flux;
    const double tol_f = m == stack_method::median ? 0 : 1.2e-7 * std::abs(want.flux) + 1e-12 * want.sum_abs;
    const bool ok = got.n[c] == want.n && std::abs(got.flux[c] - want_flux) <= tol_f &&
                    std::abs(got.ivar[c] - want.ivar) <= 1.2e-7 * want.ivar &&
                    (std::isinf(want.error) ? std::isinf(got.error[c]) : std::abs(got.error[c] - want.error) <= 2.4e-7 * want.error);
    if (!ok && bad++ < 5)
      ADD_FAILURE() << "column " << c << ": n " << got.n[c] << " want " << want.n << ", flux " << got.flux[c] << " want "
                    << want.flux << ", ivar " << got.ivar[c] << " want " << want.ivar << ", error " << got.error[c]
                    << " want " << want.error;
    if (m == stack_method::median) {
      EXPECT_EQ(got.flux[c], float(want.flux)) << c;  // the exact median
    }
  }
  EXPECT_EQ(bad, 0u);
}

const stack_method all_methods[] = {stack_method::weighted_mean, stack_method::mean, stack_method::median,
                                    stack_method::clipped_mean};

class Stack : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  backend b() const { return GetParam(); }
};

TEST_P(Stack, MatchesFloat64ReferenceWithBadPixels) {
  for (bool scaled : {false, true})
    for (stack_method m : all_methods) {
      SCOPED_TRACE(std::to_string(int(m)) + (scaled ? " scaled" : ""));
      const window_data d = random_window(301, 70, 5 + unsigned(scaled), scaled);
      expect_matches(run(b(), d, m), d, m);
    }
}

// Column 1 is masked in every row: n 0, flux 0, ivar 0, error +inf, on every method.
TEST_P(Stack, AllMaskedColumnIsEmptyNotZeroWeighted) {
  const window_data d = random_window(50, 5, 3);
  for (stack_method m : all_methods) {
    const result r = run(b(), d, m);
    EXPECT_EQ(r.n[1], 0);
    EXPECT_EQ(r.flux[1], 0.f);
    EXPECT_EQ(r.ivar[1], 0.f);
    EXPECT_TRUE(std::isinf(r.error[1]) && r.error[1] > 0);
    EXPECT_GT(r.n[0], 0);
  }
}

TEST_P(Stack, ZeroSpectraOneSpectrumAndWidths31To33) {
  for (size_t width : {size_t(31), size_t(32), size_t(33)})
    for (size_t rows : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(40)})
      for (stack_method m : all_methods) {
        SCOPED_TRACE("width " + std::to_string(width) + " rows " + std::to_string(rows) + " method " +
                     std::to_string(int(m)));
        const window_data d = random_window(rows, width, unsigned(width * 100 + rows));
        expect_matches(run(b(), d, m), d, m);
      }
}

// Even and odd counts per column: n = 1..12 good values, the rest masked.
TEST_P(Stack, ExactMedianOfOddAndEvenCounts) {
  window_data d = random_window(12, 12, 9);
  for (size_t r = 0; r < d.rows; ++r)
    for (size_t c = 0; c < d.width; ++c) {
      const size_t i = r * d.width + c;
      d.ivar[i] = 1.f;
      d.flux[i] = float(int((r * 7 + c * 3) % 13)) - 4.5f;
      d.mask[i] = r <= c ? 0 : int32_t(bad_bit);  // column c has c + 1 values
    }
  const result got = run(b(), d, stack_method::median);
  for (size_t c = 0; c < d.width; ++c) {
    EXPECT_EQ(got.n[c], int32_t(c + 1));
    EXPECT_EQ(got.flux[c], float(reference(d, c, stack_method::median).flux)) << c;
  }
  expect_matches(got, d, stack_method::median);
}

// Planted outliers (10% at +-50) are rejected by clipping, and the clipped mean lands on
// the clean mean; the plain mean does not.
TEST_P(Stack, ClippingRejectsPlantedOutliers) {
  window_data d;
  d.rows = 400;
  d.width = 33;
  std::mt19937 rng(4);
  // Bounded noise: no clean value lies beyond 3 x 1.4826 MAD (~2.2), so exactly the outliers go.
  std::uniform_real_distribution<float> noise(-1.f, 1.f);
  for (size_t r = 0; r < d.rows; ++r)
    for (size_t c = 0; c < d.width; ++c) {
      const bool outlier = (r + c) % 10 == 0;
      d.flux.push_back(5.f + (outlier ? ((r % 20 == 0) ? 50.f : -50.f) * 1.f : noise(rng)));
      d.ivar.push_back(1.f);
      d.mask.push_back(0);
    }
  for (int iterations : {1, 3, 10}) {
    const result got = run(b(), d, stack_method::clipped_mean, 3, 3.0, iterations);
    expect_matches(got, d, stack_method::clipped_mean, 3.0, iterations);
    for (size_t c = 0; c < d.width; ++c) {
      EXPECT_EQ(got.n_input[c], 400);
      EXPECT_EQ(got.n[c], 360) << "column " << c;  // exactly the outliers go
      EXPECT_NEAR(got.flux[c], 5.0, 0.25);
    }
  }
  const result plain = run(b(), d, stack_method::mean);
  double worst = 0;
  for (float f : plain.flux) worst = std::max(worst, std::abs(f - 5.0));
  EXPECT_GT(worst, 0.5);
  for (double sigma : {1.0, 2.0, 5.0}) expect_matches(run(b(), d, stack_method::clipped_mean, 1, sigma, 5), d, stack_method::clipped_mean, sigma, 5);
}

// The robust path on adversarial columns against the float64 sorted reference, exactly for the
// median and n: all values tied, two tied groups (the even median between them), ties around
// the center, +-inf flux and NaN ivar mixed in (excluded), 1 value, 2 values, a huge range, and
// sigma < 1 where a clipping round would keep nothing (the last survivors stay). Rows go into a
// tile with spare capacity, out of order and with a gap, so the unfilled slots must not count.
TEST_P(Stack, RobustSelectionOnAdversarialColumns) {
  window_data d;
  d.rows = 23;
  d.width = 9;
  for (size_t r = 0; r < d.rows; ++r)
    for (size_t c = 0; c < d.width; ++c) {
      float f = 0, iv = 1;
      switch (c) {
        case 0: f = 2.5f; break;                                  // all tied: MAD 0
        case 1: f = r < 11 ? -1.f : 3.f; iv = 0.5f + float(r); break;  // two groups, 11 and 12
        case 2: f = float(int(r % 5) - 2); break;                 // ties at and around the median
        case 3: f = r % 4 == 0 ? inf_f : r % 4 == 1 ? -inf_f : float(r); break;  // infinities excluded
        case 4: f = float(r) * 0.25f; iv = r % 3 == 0 ? nan_f : 2.f; break;    // NaN ivar excluded
        case 5: f = 7.f; iv = r == 4 ? 3.f : 0.f; break;           // 1 value
        case 6: f = r == 2 ? -1e30f : r == 9 ? 1e30f : 1.f + float(r) * 1e-6f; iv = (r == 2 || r == 9 || r == 5) ? 1.f : 0.f; break;
        case 7: f = r % 2 ? 1e-38f : -3e38f; break;               // a huge range, even count
        default: f = float((r * 7919) % 23) - 11.f; break;        // a permutation of -11..11
      }
      d.flux.push_back(f);
      d.ivar.push_back(iv);
      d.mask.push_back(0);
    }
  int rounds_not_taken = 0;
  for (stack_method m : {stack_method::median, stack_method::clipped_mean})
    for (double sigma : {3.0, 1.0, 0.5, 0.01})
      for (int iterations : {1, 3, 8}) {
        if (m == stack_method::median && (sigma != 3.0 || iterations != 3)) continue;
        SCOPED_TRACE(std::to_string(int(m)) + " sigma " + std::to_string(sigma) + " it " + std::to_string(iterations));
        stack_tile t(b(), d.width, d.rows + 6);
        t.add(d.view(14), 15);  // rows 14..22 at slots 15..23: slot 14 and 24..28 never filled
        t.add(d.view(0, 14), 0);
        result got(d.width);
        t.finish(m, sigma, iterations, got.out());
        for (size_t c = 0; c < d.width; ++c) {
          // A round that would keep nothing (sigma < 1) is not taken (stack.hpp): the reference
          // with the most rounds, up to `iterations`, that leaves values (counted upwards: the
          // reference cannot take a round after an empty one).
          int it = 0;
          while (it < iterations && reference(d, c, m, sigma, it + 1).n > 0) ++it;
          if (reference(d, c, m, sigma, 0).n == 0) it = iterations;  // no values at all
          const ref_pixel want = reference(d, c, m, sigma, it);
          if (it != iterations) {
            EXPECT_LT(sigma, 1.0) << c;
            ++rounds_not_taken;
          }
          const bool ok = got.n[c] == want.n && std::abs(got.flux[c] - want.flux) <= 1.2e-7 * std::abs(want.flux) + 1e-12 * want.sum_abs &&
                          std::abs(got.ivar[c] - want.ivar) <= 1.2e-7 * want.ivar;
          EXPECT_TRUE(ok) << "column " << c << ": n " << got.n[c] << " want " << want.n << ", flux " << got.flux[c]
                          << " want " << want.flux << ", ivar " << got.ivar[c] << " want " << want.ivar;
          EXPECT_EQ(got.n[c], want.n) << c;
          if (m == stack_method::median) {
            EXPECT_EQ(got.flux[c], float(want.flux)) << c;
          }
        }
        EXPECT_EQ(got.n[5], 1);
        EXPECT_EQ(got.flux[5], 7.f);
        EXPECT_EQ(got.n_input[3], 23 - 12);
      }
  EXPECT_GT(rounds_not_taken, 0);  // the case is exercised
}

// A tile filled window by window (any split, spare capacity) gives the one-window result bit
// for bit; the means too (the CPU sums rows in order whatever the windows).
TEST_P(Stack, WindowSplitsAndSpareCapacityChangeNothing) {
  const window_data d = random_window(257, 40, 21, true);
  for (stack_method m : all_methods) {
    const result one = run(b(), d, m, 1);
    for (size_t windows : {size_t(2), size_t(5), size_t(257)}) {
      const result split = run(b(), d, m, windows, 3, 3, windows == 5 ? 100 : 0);
      EXPECT_EQ(split.n, one.n);
      for (size_t c = 0; c < d.width; ++c) {
        if (m == stack_method::median || m == stack_method::clipped_mean || b() == backend::cpu) {
          EXPECT_EQ(split.flux[c], one.flux[c]);
          EXPECT_EQ(split.ivar[c], one.ivar[c]);
        } else {  // CUDA means: chunked partial sums, chunks shift with the windows
          EXPECT_NEAR(split.flux[c], one.flux[c], 1.2e-7 * std::abs(one.flux[c]) + 1e-9);
        }
      }
    }
  }
}

// The tiles of a resampled stack: resample_range gives the whole grid's columns bit for bit,
// observed and rest frame, log and linear grids, ranges at both ends and in the middle.
TEST_P(Stack, ResampleRangeEqualsTheWholeGridsColumns) {
  const window_data d = random_window(7, 400, 31);
  const std::vector<double> shift = {0, 0.01, 0.1, std::log10(1.5), 0.3, nan_f, 0.05};
  for (bool rest : {false, true})
    for (const char* text : {"log:3.5,3.54,1e-4", "lin:3170,3450,1.7", "log:3.45,3.5,3e-4"}) {
      SCOPED_TRACE(std::string(text) + (rest ? " rest" : ""));
      const wavelength_grid g = parse_wavelength_grid(text);
      const size_t n_out = size_t(g.size());
      lattice_batch in;
      in.n_spectra = d.rows;
      in.width = d.width;
      in.lattice_start = 35000;
      in.flux = d.flux.data();
      in.ivar = d.ivar.data();
      in.and_mask = d.mask.data();
      in.log10_1pz = rest ? shift.data() : nullptr;
      std::vector<float> whole_f(d.rows * n_out), whole_iv(whole_f.size());
      resample(b(), in, g, int32_t(bad_bit), {whole_f.data(), whole_iv.data()});
      for (auto [first, count] : {std::pair<int64_t, int64_t>{0, 1}, {0, int64_t(n_out)}, {5, 33}, {int64_t(n_out) - 7, 7}}) {
        std::vector<float> f(d.rows * size_t(count), -1), iv(f.size(), -1);
        resample_range(b(), in, g, first, count, int32_t(bad_bit), {f.data(), iv.data()});
        for (size_t r = 0; r < d.rows; ++r)
          for (int64_t k = 0; k < count; ++k) {
            ASSERT_EQ(float_bits(f[r * size_t(count) + size_t(k)]), float_bits(whole_f[r * n_out + size_t(first + k)]));
            ASSERT_EQ(float_bits(iv[r * size_t(count) + size_t(k)]), float_bits(whole_iv[r * n_out + size_t(first + k)]));
          }
      }
      EXPECT_THROW(resample_range(b(), in, g, int64_t(n_out) - 1, 2, 0, {}), invalid_argument);
    }
}

// A tile reset for a narrower tile gives what a fresh tile gives (no stale slots).
TEST_P(Stack, ResetTileEqualsAFreshOne) {
  const window_data wide = random_window(90, 40, 41), narrow = random_window(90, 17, 42);
  stack_tile t(b(), 40, 100);
  t.add(wide.view(), 5);
  result r1(40), r2(17);
  t.finish(stack_method::median, 3, 3, r1.out());
  t.reset(17);
  t.add(narrow.view(0, 60), 0);  // rows 60..89 of the old tile's slots must read as empty
  t.finish(stack_method::clipped_mean, 3, 3, r2.out());
  stack_tile fresh(b(), 17, 100);
  fresh.add(narrow.view(0, 60), 0);
  result want(17);
  fresh.finish(stack_method::clipped_mean, 3, 3, want.out());
  EXPECT_EQ(r2.n, want.n);
  EXPECT_EQ(r2.flux, want.flux);
  EXPECT_THROW(t.reset(41), invalid_argument);
}

// Rows read in place (stack_tile::add_rows, the CPU lattice path) give the slots a window of the
// same values gives: each row covering only part of the tile (its other columns empty, as an
// aligned window pads them), scaled, unscaled and dropped rows, with and without masks.
TEST(StackRows, InPlaceRowsEqualAWindowOfTheSameValues) {
  const size_t width = 300;  // three column blocks, the last partial
  for (bool scaled : {false, true})
    for (uint32_t mask_bits : {bad_bit, 0u}) {
      SCOPED_TRACE(std::string(scaled ? "scaled" : "unscaled") + (mask_bits ? ", masked" : ", no mask"));
      window_data d = random_window(83, width, 51, scaled);
      // Each row's coverage: [first, last) of the tile; outside it the window holds padding.
      std::vector<std::pair<size_t, size_t>> cover(d.rows);
      std::mt19937 rng(52);
      for (size_t r = 0; r < d.rows; ++r) {
        size_t a = rng() % width, b = rng() % (width + 1);
        if (r % 9 == 0) a = 0, b = width;
        if (r % 13 == 4) b = a;  // no column of the tile
        cover[r] = {std::min(a, b), std::max(a, b)};
        for (size_t c = 0; c < width; ++c)
          if (c < cover[r].first || c >= cover[r].second) {
            d.flux[r * width + c] = nan_f;  // what an aligned window holds where a spectrum has no pixel
            d.ivar[r * width + c] = 0;
            d.mask[r * width + c] = 0;
          }
      }
      std::vector<stack_row> rows(d.rows);
      for (size_t r = 0; r < d.rows; ++r) {
        const auto [a, b] = cover[r];
        rows[r].first = a;
        rows[r].last = b;
        rows[r].flux = d.flux.data() + r * width + a;
        rows[r].ivar = d.ivar.data() + r * width + a;
        rows[r].and_mask = mask_bits ? d.mask.data() + r * width + a : nullptr;
        rows[r].scale = scaled ? d.scale[r] : 1.0;
      }
      for (stack_method m : {stack_method::median, stack_method::clipped_mean}) {
        stack_window w = d.view();
        w.mask_bits = mask_bits;
        stack_tile by_window(backend::cpu, width, d.rows + 5), in_place(backend::cpu, width, d.rows + 5);
        by_window.add(w, 5);
        in_place.add_rows(std::span(rows).first(40), 5, mask_bits);  // two calls, as list windows
        in_place.add_rows(std::span(rows).subspan(40), 45, mask_bits);
        result want(width), got(width);
        by_window.finish(m, 3, 3, want.out());
        in_place.finish(m, 3, 3, got.out());
        EXPECT_EQ(got.n, want.n);
        EXPECT_EQ(got.n_input, want.n_input);
        for (size_t c = 0; c < width; ++c) {
          ASSERT_EQ(float_bits(got.flux[c]), float_bits(want.flux[c])) << c;
          ASSERT_EQ(float_bits(got.ivar[c]), float_bits(want.ivar[c])) << c;
          ASSERT_EQ(float_bits(got.error[c]), float_bits(want.error[c])) << c;
        }
        EXPECT_GT(*std::max_element(got.n.begin(), got.n.end()), 20);
      }
    }
  stack_tile t(backend::cpu, 10, 4);
  stack_row wide;
  wide.last = 11;
  EXPECT_THROW(t.add_rows(std::span(&wide, 1), 0, 0), invalid_argument);  // beyond the tile's columns
  stack_row no_arrays;
  no_arrays.last = 3;
  EXPECT_THROW(t.add_rows(std::span(&no_arrays, 1), 0, 0), invalid_argument);
  EXPECT_THROW(t.add_rows(std::vector<stack_row>(5), 0, 0), invalid_argument);  // beyond capacity
}

// The tile's two ways to build a slot agree: an unscaled row (integer-only path) and a row of
// half the values scaled by 2 (the general double path) give the same slots, since doubling and
// quartering are exact: f * 2 and ivar / 4 in double, rounded to float, are the unscaled row's.
TEST(StackRows, UnscaledAndScaledSlotsAgree) {
  const window_data d = random_window(64, 150, 61);
  window_data half = d;
  for (size_t i = 0; i < d.flux.size(); ++i) {
    half.flux[i] = d.flux[i] * 0.5f;
    half.ivar[i] = d.ivar[i] * 4.0f;
  }
  half.scale.assign(d.rows, 2.0);
  for (stack_method m : {stack_method::median, stack_method::clipped_mean}) {
    const result plain = run(backend::cpu, d, m), scaled = run(backend::cpu, half, m);
    EXPECT_EQ(scaled.n, plain.n);
    for (size_t c = 0; c < d.width; ++c) {
      ASSERT_EQ(float_bits(scaled.flux[c]), float_bits(plain.flux[c])) << c;
      ASSERT_EQ(float_bits(scaled.ivar[c]), float_bits(plain.ivar[c])) << c;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Cpu, Stack, ::testing::Values(backend::cpu), [](const auto&) { return std::string("cpu"); });
INSTANTIATE_TEST_SUITE_P(Cuda, Stack, ::testing::Values(backend::cuda), [](const auto&) { return std::string("cuda"); });

TEST(StackCuda, MatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const window_data d = random_window(1000, 64, 77, true);
  for (stack_method m : all_methods) {
    const result c = run(backend::cpu, d, m, 3), g = run(backend::cuda, d, m, 3);
    EXPECT_EQ(c.n, g.n);
    for (size_t k = 0; k < d.width; ++k) {
      EXPECT_NEAR(g.flux[k], c.flux[k], 1.2e-7 * std::abs(c.flux[k]) + 1e-9) << k;
      EXPECT_NEAR(g.ivar[k], c.ivar[k], 1.2e-7 * c.ivar[k]) << k;
      if (m == stack_method::median) {
        EXPECT_EQ(g.flux[k], c.flux[k]) << k;
      }
    }
  }
}

TEST(StackWithoutDevice, CudaBackendThrowsWithoutADevice) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(stack_accumulator(backend::cuda, 10, stack_method::mean), cuda_error);
  EXPECT_THROW(stack_tile(backend::cuda, 10, 10), cuda_error);
}

TEST(StackKernel, BadWindowsAreInvalidArguments) {
  stack_accumulator acc(backend::cpu, 5, stack_method::mean);
  window_data d = random_window(3, 6, 1);
  EXPECT_THROW(acc.add(d.view()), invalid_argument);  // width 6 on a 5-wide accumulator
  EXPECT_THROW(stack_accumulator(backend::cpu, 5, stack_method::median), invalid_argument);
  stack_tile tile(backend::cpu, 6, 2);
  EXPECT_THROW(tile.add(d.view(), 0), invalid_argument);  // 3 rows, capacity 2
  result r(6);
  EXPECT_THROW(tile.finish(stack_method::mean, 3, 3, r.out()), invalid_argument);
}

// ------------------------------------------------ the pieces the backends share

TEST(StackKeys, OrderKeysSortLikeFloats) {
  std::vector<float> v = {-inf_f, -3e38f, -1.f, -1e-40f, -0.f, 0.f, 1e-45f, 1e-40f, 1.f, 2.5f, 3e38f, inf_f};
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(float_bits(key_value(order_key(v[i]))), float_bits(v[i]));
    if (i > 0) {
      EXPECT_LT(order_key(v[i - 1]), order_key(v[i]));
    }
  }
  EXPECT_LT(order_key(inf_f), empty_key);
}

TEST(StackKeys, RadixSortMatchesStableSort) {
  std::mt19937 rng(8);
  std::normal_distribution<float> g(0.f, 100.f);
  // Kinds of values: spread (every pass runs), ties of few values, and powers of two of both
  // signs (only the top digit differs: the lower passes are skipped; the top pass's two halves
  // must keep equal keys in order across the halves' boundary).
  const float powers[] = {-4.f, -1.f, 0.5f, 1.f, 2.f, 8.f};
  for (int kind = 0; kind < 3; ++kind)
    for (size_t n : {size_t(0), size_t(1), size_t(2), size_t(3), size_t(300), size_t(301), size_t(20000), size_t(20001)}) {
      std::vector<uint64_t> a(n), scratch(n);
      for (size_t i = 0; i < n; ++i) {
        const float v = kind == 0 ? (i % 17 == 0 ? 1.f : g(rng)) : kind == 1 ? float(rng() % 5) : powers[rng() % 6];
        a[i] = (uint64_t(order_key(v)) << 32) | uint32_t(i);
      }
      std::vector<uint64_t> want = a;
      std::stable_sort(want.begin(), want.end(), [](uint64_t x, uint64_t y) { return (x >> 32) < (y >> 32); });
      detail::radix_sort_upper32(a.data(), scratch.data(), n);
      EXPECT_EQ(a, want) << "kind " << kind << ", n " << n;
    }
}

struct vector_sequence {
  const std::vector<float>* x;
  float value(long long i) const { return (*x)[size_t(i)]; }
  float ivar(long long) const { return 1.f; }
};

// The O(log n) MAD (k-th of two sorted deviation runs) against sorting the deviations, on
// sorted runs with ties, sub-ranges and centers on and between values.
TEST(StackKeys, MadBySelectionMatchesSortedDeviations) {
  std::mt19937 rng(12);
  std::uniform_int_distribution<int> small(-6, 6);
  for (int trial = 0; trial < 3000; ++trial) {
    const size_t n = 1 + size_t(trial % 40);
    std::vector<float> x(n);
    for (auto& v : x) v = float(small(rng)) * (trial % 3 == 0 ? 0.5f : 1.37f);
    std::sort(x.begin(), x.end());
    const long long lo = trial % 5 == 0 ? (long long)(n / 4) : 0, hi = (long long)n - (trial % 7 == 0 ? (long long)(n / 5) : 0);
    if (hi <= lo) continue;
    const vector_sequence s{&x};
    std::vector<double> sub(x.begin() + lo, x.begin() + hi);
    const double c = median_of(sub);
    ASSERT_EQ(sorted_median(s, lo, hi), c);
    ASSERT_EQ(sorted_mad(s, lo, hi, c), mad_of(sub, c)) << "trial " << trial;
    const double off = c + 0.3;  // a center that is no value
    ASSERT_EQ(sorted_mad(s, lo, hi, off), mad_of(sub, off)) << "trial " << trial;
  }
}

}  // namespace
}  // namespace specmill
