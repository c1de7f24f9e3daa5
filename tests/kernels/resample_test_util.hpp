#pragma once
// Test data and the independent float64 reference for tests/kernels/resample_test.cpp. The
// reference shares no code with kernels/resample.*: pow(10, x) edges, rest-frame edges as
// observed / (1+z), every (input, target) pixel pair visited.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "kernels/resample.hpp"

namespace specmill::resample_test {

inline constexpr int32_t bad_bits = (1 << 3) | (1 << 4);  // what the tests exclude

struct batch_data {
  size_t n = 0, width = 0;
  int32_t lattice_start = 0;
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask;
  std::vector<double> shift;  // log10(1+z) per row, always sized n
  bool rest_frame = false;    // pass shift to the kernel (else log10_1pz = null)
  native_grid grid = sdss_native_grid;  // the lattice the rows are on (DESI: linear_lattice(0.8))

  lattice_batch view() const {
    return lattice_batch{n, width, lattice_start, flux.data(), ivar.data(), and_mask.data(),
                         rest_frame ? shift.data() : nullptr, grid};
  }
  double row_shift(size_t r) const { return rest_frame ? shift[r] : 0.0; }
};

inline batch_data empty_batch(size_t n, size_t width, int32_t lattice_start, double z, double z_jitter,
                              std::mt19937& rng) {
  batch_data b;
  b.n = n;
  b.width = width;
  b.lattice_start = lattice_start;
  b.flux.assign(n * width, 0.f);
  b.ivar.assign(n * width, 0.f);
  b.and_mask.assign(n * width, 0);
  b.rest_frame = z != 0 || z_jitter != 0;
  std::uniform_real_distribution<double> u(-1, 1);
  for (size_t r = 0; r < n; ++r) b.shift.push_back(std::log10(1 + z + z_jitter * u(rng)));
  return b;
}

// Noisy rows around 0 or 10 with an emission line, zero-ivar padding at both ends (pad), and
// ~11% bad pixels of every kind: masked by bad_bits, masked by another bit (still good), zero,
// NaN and inf ivar, NaN and inf flux.
inline batch_data random_batch(size_t n, size_t width, int32_t lattice_start, unsigned seed, double z,
                               double z_jitter, bool pad = true) {
  std::mt19937 rng(seed);
  batch_data b = empty_batch(n, width, lattice_start, z, z_jitter, rng);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> noise(0, 3);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  for (size_t r = 0; r < n; ++r) {
    const double level = r % 2 ? 0.0 : 10.0;
    const size_t lead = pad ? rng() % (width / 5 + 1) : 0, trail = pad ? rng() % (width / 5 + 1) : 0;
    for (size_t j = lead; j + trail < width; ++j) {
      const size_t i = r * width + j;
      const double line = (double(j) - double(width) / 2) / 3;
      b.flux[i] = float(level + noise(rng) + 20 * std::exp(-line * line));
      b.ivar[i] = float(0.1 + 10 * u(rng));
      const double p = u(rng);
      if (p < 0.03) b.and_mask[i] = 1 << 3;
      else if (p < 0.06) b.and_mask[i] = 1 << 9;
      else if (p < 0.08) b.ivar[i] = 0;
      else if (p < 0.09) b.flux[i] = nan;
      else if (p < 0.10) b.ivar[i] = nan;
      else if (p < 0.105) b.ivar[i] = inf;
      else if (p < 0.11) b.flux[i] = -inf;
    }
  }
  return b;
}

// Positive, all pixels good, no padding: for conservation. Row r has z + 0.001 r.
inline batch_data smooth_batch(size_t n, size_t width, int32_t lattice_start, double z) {
  std::mt19937 rng(42);
  batch_data b = empty_batch(n, width, lattice_start, z, 0, rng);
  std::uniform_real_distribution<double> u(0, 1);
  for (size_t r = 0; r < n; ++r) {
    if (b.rest_frame) b.shift[r] = std::log10(1 + z + 0.001 * double(r));
    for (size_t j = 0; j < width; ++j) {
      const double line = (double(j) - 200) / 4;
      b.flux[r * width + j] = float(10 + 3 * std::sin(double(j) / 5.3) + 5 * std::exp(-line * line) + u(rng));
      b.ivar[r * width + j] = float(0.5 + u(rng));
    }
  }
  return b;
}

inline batch_data constant_batch(size_t n, size_t width, int32_t lattice_start, float value, double z) {
  std::mt19937 rng(1);
  batch_data b = empty_batch(n, width, lattice_start, z, 0, rng);
  for (size_t i = 0; i < n * width; ++i) {
    b.flux[i] = value;
    b.ivar[i] = 1.f + float(i % 7) * 0.5f;
  }
  return b;
}

inline bool good(const batch_data& b, size_t i, int32_t bits) {
  return b.ivar[i] > 0 && std::isfinite(b.ivar[i]) && std::isfinite(b.flux[i]) && (b.and_mask[i] & bits) == 0;
}

// Observed-frame Angstrom edges of the lattice pixels of `b`: edge j is pixel j's lower edge.
inline std::vector<double> observed_edges(const batch_data& b) {
  std::vector<double> e(b.width + 1);
  const bool log = b.grid.kind == grid_kind::log10_lattice;
  for (size_t j = 0; j <= b.width; ++j) {
    const double c = (b.lattice_start + double(j) - 0.5) * (log ? 1e-4 : b.grid.step);
    e[j] = log ? std::pow(10.0, c) : c;
  }
  return e;
}

inline double overlap(double a0, double a1, double b0, double b1) {
  return std::max(0.0, std::min(a1, b1) - std::max(a0, b0));
}

// Integral of row r's good flux over observed wavelengths [lo, hi].
inline double input_integral(const batch_data& b, size_t r, double lo, double hi) {
  const std::vector<double> e = observed_edges(b);
  double sum = 0;
  for (size_t j = 0; j < b.width; ++j)
    if (good(b, r * b.width + j, bad_bits)) sum += double(b.flux[r * b.width + j]) * overlap(e[j], e[j + 1], lo, hi);
  return sum;
}

struct result {
  std::vector<float> flux, ivar, coverage;
  std::vector<int32_t> and_mask;
};

inline result run(backend be, const batch_data& in, const wavelength_grid& g, int32_t bits) {
  const size_t n_out = in.n * size_t(g.size());
  result r;  // sentinels: a pixel the kernel forgets shows up
  r.flux.assign(n_out, -7.f);
  r.ivar.assign(n_out, -7.f);
  r.coverage.assign(n_out, -7.f);
  r.and_mask.assign(n_out, -7);
  resample(be, in.view(), g, bits, resampled_batch{r.flux.data(), r.ivar.data(), r.and_mask.data(), r.coverage.data()});
  return r;
}

struct reference_result {
  std::vector<double> flux, ivar, coverage, mean_abs;  // mean_abs: the same mean of |f|
  std::vector<int32_t> and_mask;
};

inline reference_result reference(const batch_data& in, const wavelength_grid& g, int32_t bits) {
  const size_t n_out = size_t(g.size());
  reference_result out;
  out.flux.assign(in.n * n_out, 0);
  out.ivar = out.coverage = out.mean_abs = out.flux;
  out.and_mask.assign(in.n * n_out, 0);
  const bool log = g.kind == wavelength_grid::scale::log;
  const std::vector<double> observed = observed_edges(in);
  for (size_t r = 0; r < in.n; ++r) {
    const double one_plus_z = std::pow(10.0, in.row_shift(r));
    if (!std::isfinite(one_plus_z)) continue;
    std::vector<double> e(observed);
    for (double& x : e) x /= one_plus_z;
    for (size_t k = 0; k < n_out; ++k) {
      const double lo_c = g.start + (double(k) - 0.5) * g.step, hi_c = g.start + (double(k) + 0.5) * g.step;
      const double lo = log ? std::pow(10.0, lo_c) : lo_c, hi = log ? std::pow(10.0, hi_c) : hi_c;
      double covered = 0, flux = 0, abs_flux = 0, var = 0;
      int32_t mask = 0;
      for (size_t j = 0; j < in.width; ++j) {
        const double o = overlap(e[j], e[j + 1], lo, hi);
        // Rounding slivers where edges coincide (the kernel's convention, resample.hpp).
        if (o <= 1e-8 * std::min(hi - lo, e[j + 1] - e[j])) continue;
        const size_t i = r * in.width + j;
        mask |= in.and_mask[i];
        if (!good(in, i, bits)) continue;
        covered += o;
        flux += o * in.flux[i];
        abs_flux += o * std::abs(in.flux[i]);
        var += o * o / in.ivar[i];
      }
      const size_t i = r * n_out + k;
      out.and_mask[i] = mask;
      out.coverage[i] = covered / (hi - lo);
      if (covered > 0) {
        out.flux[i] = flux / covered * one_plus_z;
        out.mean_abs[i] = abs_flux / covered * one_plus_z;
        out.ivar[i] = covered * covered / var / (one_plus_z * one_plus_z);
      }
    }
  }
  return out;
}

// A target grid placed relative to a batch's rest-frame coverage: `step` in the grid's own
// coordinate, the first center `offset` steps past the natural position. inside: every target
// pixel lies within every row; otherwise the grid runs 3% past the union of the rows at each end.
struct grid_spec {
  std::string name;
  wavelength_grid::scale kind;
  double step, offset;

  wavelength_grid around(const batch_data& in, bool inside) const {
    double union_lo = 1e300, union_hi = -1e300, inter_lo = -1e300, inter_hi = 1e300;
    for (size_t r = 0; r < in.n; ++r) {
      const double s = in.row_shift(r);
      if (!std::isfinite(s)) continue;
      double lo = (in.lattice_start - 0.5) * 1e-4 - s, hi = lo + double(in.width) * 1e-4;
      if (in.grid.kind == grid_kind::linear_lattice) {  // the rows' rest-frame span in log10 A
        lo = std::log10((in.lattice_start - 0.5) * in.grid.step / std::pow(10.0, s));
        hi = std::log10((in.lattice_start + double(in.width) - 0.5) * in.grid.step / std::pow(10.0, s));
      }
      union_lo = std::min(union_lo, lo);
      union_hi = std::max(union_hi, hi);
      inter_lo = std::max(inter_lo, lo);
      inter_hi = std::min(inter_hi, hi);
    }
    const double margin = 0.03 * (union_hi - union_lo);
    double a = inside ? inter_lo : union_lo - margin, b = inside ? inter_hi : union_hi + margin;
    if (kind == wavelength_grid::scale::linear) {
      a = std::pow(10.0, a);
      b = std::pow(10.0, b);
    }
    // inside: the last upper edge (last center + step/2) stays below b despite size()'s slack.
    const double start = a + (0.5 + offset) * step;
    const double stop = inside ? b - (0.5 + 1e-6) * step : b;
    return wavelength_grid{kind, start, std::max(start, stop), step};
  }
};

inline std::vector<grid_spec> test_grids() {
  using s = wavelength_grid::scale;
  return {{"log same step, offset 0.37", s::log, 1e-4, 0.37},
          {"log 2.5x coarser", s::log, 2.5e-4, 0.1},
          {"log 2.5x finer", s::log, 0.4e-4, 0.73},
          {"log 10x coarser, aligned", s::log, 10e-4, 0.0},
          {"linear 1.5 A", s::linear, 1.5, 0.21},
          {"linear 0.3 A", s::linear, 0.3, 0.5},
          {"linear 7 A", s::linear, 7.0, 0.9}};
}

}  // namespace specmill::resample_test
