#pragma once
// The float64 reference the photometry tests compare against, written independently of
// kernels/photometry.cpp: the response is linearly interpolated here and integrated over each
// lattice pixel with a fine midpoint rule (split at the curve's points, cells <= 0.005 A), and
// every (spectrum, band) is summed in one plain loop. Also the CSR batches the tests build.
#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <utility>
#include <vector>

#include "io/filters/filter_curve.hpp"
#include "kernels/flux_units.hpp"
#include "kernels/photometry.hpp"

namespace specmill::test {

inline constexpr double flux_weight_scale = 1e-17 / (2.99792458e18 * 3631e-23);

inline double response_at(const filter_curve& c, double x) {
  const auto& w = c.wavelength;
  if (x <= w.front() || x >= w.back()) return 0.0;
  const size_t j = size_t(std::upper_bound(w.begin(), w.end(), x) - w.begin()) - 1;
  return c.response[j] + (c.response[j + 1] - c.response[j]) * (x - w[j]) / (w[j + 1] - w[j]);
}

// Int over [x0, x1] of R(x) x dx and of R(x) / x dx: split at the curve's points (R has kinks
// there), then a midpoint rule of cells <= 0.005 A (>= 16 a piece) on each smooth piece.
inline std::pair<double, double> integrate_curve(const filter_curve& c, double x0, double x1) {
  if (!(x1 > x0)) return {0.0, 0.0};
  std::vector<double> cuts = {x0};
  for (double w : c.wavelength)
    if (w > x0 && w < x1) cuts.push_back(w);
  cuts.push_back(x1);
  double num = 0, norm = 0;
  for (size_t s = 0; s + 1 < cuts.size(); ++s) {
    const int cells = std::max(16, int((cuts[s + 1] - cuts[s]) / 0.005));
    const double h = (cuts[s + 1] - cuts[s]) / cells;
    for (int q = 0; q < cells; ++q) {
      const double x = cuts[s] + (q + 0.5) * h;
      const double r = response_at(c, x);
      num += r * x * h;
      norm += r / x * h;
    }
  }
  return {num, norm};
}

// Per-lattice-pixel weights of one curve: index -> (flux weight, norm weight). linear_step 0:
// the SDSS lattice (pixel k spans 10^((k -+ 1/2) 1e-4) A); else a linear lattice of that step
// (pixel k spans (k -+ 1/2) linear_step A, as DESI's 0.8).
inline std::map<int64_t, std::pair<double, double>> reference_weights(const filter_curve& c, double linear_step = 0) {
  std::map<int64_t, std::pair<double, double>> out;
  auto index_of = [&](double w) { return linear_step > 0 ? w / linear_step : std::log10(w) * 1e4; };
  auto edge = [&](double u) { return linear_step > 0 ? u * linear_step : std::pow(10.0, u * 1e-4); };
  const int64_t lo = int64_t(std::floor(index_of(c.wavelength.front()) + 0.5));
  const int64_t hi = int64_t(std::floor(index_of(c.wavelength.back()) + 0.5));
  for (int64_t k = lo; k <= hi; ++k) {
    const double x0 = edge(double(k) - 0.5), x1 = edge(double(k) + 0.5);
    const auto [a, b] = integrate_curve(c, std::max(x0, c.wavelength.front()), std::min(x1, c.wavelength.back()));
    out[k] = {a * flux_weight_scale, b};
  }
  return out;
}

struct csr_batch {
  std::vector<int64_t> offsets{0};
  std::vector<int32_t> lattice_start;
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask;

  size_t n() const { return lattice_start.size(); }
  photometry_input input() const {
    return {n(), offsets.data(), lattice_start.data(), flux.data(), ivar.data(), and_mask.data()};
  }
  void add_pixel(float f, float iv) {
    flux.push_back(f);
    ivar.push_back(iv);
    and_mask.push_back(0);
  }
  void close_spectrum(int32_t start) {
    lattice_start.push_back(start);
    offsets.push_back(int64_t(flux.size()));
  }
  // A flat f_nu spectrum: f_lambda at each pixel centre 10^(k * 1e-4).
  void add_flat_fnu(int32_t start, int npix, double fnu_ujy, float iv) {
    for (int j = 0; j < npix; ++j)
      add_pixel(float(microjansky_to_flambda(fnu_ujy, std::pow(10.0, (start + j) * 1e-4))), iv);
    close_spectrum(start);
  }
  // A smooth continuum with a few emission lines and noise; a pixel is masked (ivar 0) with
  // probability mask_prob.
  void add_random(std::mt19937& rng, int32_t start, int npix, double mask_prob = 0.02) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::normal_distribution<double> noise(0.0, 1.0);
    const double level = 1.0 + 20.0 * u(rng), slope = -1.5 + 3.0 * u(rng), line_at = 4000 + 4000 * u(rng);
    for (int j = 0; j < npix; ++j) {
      const double lam = std::pow(10.0, (start + j) * 1e-4);
      const double f = level * std::pow(lam / 5000.0, slope) + 3.0 * level * std::exp(-0.5 * std::pow((lam - line_at) / 8.0, 2));
      const float iv = float(0.5 + 1.5 * u(rng)) / float(level);
      add_pixel(float(f + noise(rng) / std::sqrt(iv)), u(rng) < mask_prob ? 0.f : iv);
    }
    close_spectrum(start);
  }
};

inline std::vector<band_flux> reference_photometry(const csr_batch& b, const std::vector<filter_curve>& curves,
                                                   const photometry_params& p, double linear_step = 0) {
  std::vector<std::map<int64_t, std::pair<double, double>>> weights;
  std::vector<double> totals;
  for (const auto& c : curves) {
    weights.push_back(reference_weights(c, linear_step));
    double t = 0;
    for (const auto& [k, ab] : weights.back()) t += ab.second;
    totals.push_back(t);
  }
  std::vector<band_flux> out;
  for (size_t i = 0; i < b.n(); ++i) {
    for (size_t k = 0; k < curves.size(); ++k) {
      double num = 0, norm = 0, var = 0, covered = 0;
      for (int64_t px = b.offsets[i]; px < b.offsets[i + 1]; ++px) {
        const auto it = weights[k].find(b.lattice_start[i] + (px - b.offsets[i]));
        if (it == weights[k].end()) continue;
        const auto [a, w] = it->second;
        covered += w;
        const float f = b.flux[size_t(px)], iv = b.ivar[size_t(px)];
        const bool bit = (uint32_t(b.and_mask[size_t(px)]) & p.and_mask_bits) != 0;
        if (!(iv > 0) || std::isinf(iv) || std::isnan(f) || std::isinf(f) || bit) continue;
        num += a * f;
        norm += w;
        var += a * a / iv;
      }
      band_flux r;
      if (1.0 - covered / totals[k] > p.max_uncovered_fraction) r.flag |= photometry_not_covered;
      if (covered > 0 && (1.0 - norm / covered > p.max_masked_fraction || norm == 0)) r.flag |= photometry_too_masked;
      const double nan = std::numeric_limits<double>::quiet_NaN();
      r.maggies = r.flag ? nan : num / norm;
      r.maggies_err = r.flag ? nan : std::sqrt(var) / norm;
      out.push_back(r);
    }
  }
  return out;
}

}  // namespace specmill::test
