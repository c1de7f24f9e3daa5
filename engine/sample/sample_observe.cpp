// The sky and the instrument: night-sky spectrum, noise model, masks, summary numbers.
#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "engine/sample/sample_physics.hpp"

namespace specmill::sample {
namespace {

struct sky_line {
  double wave;  // vacuum, A
  double flux;  // integrated, 1e-17 erg/s/cm^2 through one fiber
};

// The same sky lines for every fiber: the bright named lines plus an OH forest whose weaker
// members are drawn once from a fixed seed (positions do not depend on the sample's seed).
const std::vector<sky_line>& sky_lines() {
  static const std::vector<sky_line> lines = [] {
    std::vector<sky_line> v = {
        {4359.6, 40},   {5462.3, 35},   {5578.89, 900}, {5891.58, 90},  {5897.56, 80},
        {6302.05, 250}, {6365.54, 80},  {6865.9, 120},  {6925.1, 90},   {7278.4, 110},
        {7318.3, 140},  {7342.9, 150},  {7371.2, 120},  {7752.8, 180},  {7796.2, 160},
        {7823.6, 170},  {7855.4, 150},  {7915.9, 260},  {7966.8, 200},  {7995.5, 280},
        {8346.9, 420},  {8401.5, 450},  {8432.5, 400},  {8467.6, 350},  {8507.3, 300},
        {8763.7, 380},  {8829.5, 420},  {8888.2, 500},  {8922.1, 480},  {8945.9, 550},
        {8960.6, 450},  {9003.6, 400},  {9378.6, 520},  {9442.6, 600},  {9522.6, 500},
        {9571.6, 480},  {9706.6, 450},  {9794.7, 520},  {9874.8, 480},  {10015.8, 500},
        {10126.9, 450}, {10290.1, 420}};
    rng r(0x5d55a7c0ffeeULL);
    for (double w = 6800; w < 10500; w += r.uniform(8, 30))
      v.push_back({w, r.uniform(10, 60) * (1 + (w - 6800) / 1500)});
    return v;
  }();
  return lines;
}

// Relative throughput of the spectrograph: falls at both ends of the coverage, where real
// SDSS spectra get noisy.
double throughput(double lam, bool legacy) {
  const double blue = 1 / (1 + std::exp(-(lam - (legacy ? 3950 : 3750)) / 110));
  const double red = 1 / (1 + std::exp((lam - (legacy ? 9000 : 9900)) / 180));
  return std::max(0.03, blue * red);
}

}  // namespace

void render_sky(int32_t lattice_start, std::span<const double> lambda, double wdisp, double scale,
                std::span<float> sky, std::span<float> sky_continuum) {
  for (size_t i = 0; i < lambda.size(); ++i) {
    const double l = lambda[i];
    sky_continuum[i] = float(scale * (2.0 + 5.0 * (l - 3600) / 6800));
    sky[i] = sky_continuum[i];
  }
  const double log_l0 = double(lattice_start) * sdss_native_grid.step;
  const double n = double(lambda.size());
  for (const auto& line : sky_lines()) {
    const double s = line.wave * std::numbers::ln10 * sdss_native_grid.step * wdisp;  // instrumental only
    const double p = (std::log10(line.wave) - log_l0) / sdss_native_grid.step, sp = wdisp;
    const size_t a = size_t(std::clamp(std::floor(p - 6 * sp), 0.0, n));
    const size_t b = size_t(std::clamp(std::ceil(p + 6 * sp) + 1, 0.0, n));
    const double norm = scale * line.flux / (s * std::sqrt(2 * std::numbers::pi));
    for (size_t i = a; i < b; ++i) {
      const double x = (lambda[i] - line.wave) / s;
      sky[i] += float(norm * std::exp(-0.5 * x * x));
    }
  }
}

void observe(coadd& c, std::span<const double> lambda, std::span<const float> sky_continuum, bool legacy,
             double exptime, rng& r) {
  const size_t n = c.model.size();  // npix() counts flux, which is filled here
  c.flux.resize(n);
  c.ivar.resize(n);
  c.and_mask.assign(n, 0);
  c.or_mask.assign(n, 0);
  // Variance in (1e-17 flux)^2: read noise + Poisson of sky and object, scaled by the
  // throughput; the gain is set so a 45-min exposure of dark sky gives sigma ~ 1.
  const double depth = r.uniform(0.7, 1.4) * exptime / 2700;
  const double read = 0.5, gain = 0.09;
  const bool zap_5577 = r.uniform() < 0.5;
  for (size_t i = 0; i < n; ++i) {
    const double t = throughput(lambda[i], legacy);
    const double var = (read + gain * (c.sky[i] + std::max(0.0f, c.model[i]))) / (t * t * depth);
    c.ivar[i] = float(1 / var);
    if (c.sky[i] > 6 * sky_continuum[i]) {
      c.and_mask[i] |= mask_brightsky;
      c.or_mask[i] |= mask_brightsky;
      // The core of [OI] 5577 is often rejected outright.
      if (zap_5577 && std::abs(lambda[i] - 5578.89) < 2.5) {
        c.ivar[i] = 0;
        c.and_mask[i] |= mask_fullreject;
        c.or_mask[i] |= mask_fullreject;
      }
    }
  }
  // A few cosmic-ray / bad-column runs rejected in every exposure, and single pixels rejected
  // in some exposures only.
  const int runs = r.uniform() < 0.4 ? r.uniform_int(1, 3) : 0;
  for (int k = 0; k < runs; ++k) {
    const size_t start = size_t(r.uniform_int(0, int32_t(n) - 1)), len = size_t(r.uniform_int(1, 6));
    for (size_t i = start; i < std::min(n, start + len); ++i) {
      c.ivar[i] = 0;
      c.and_mask[i] |= mask_fullreject;
      c.or_mask[i] |= mask_fullreject;
    }
  }
  const int partial = r.uniform_int(0, 8);
  for (int k = 0; k < partial; ++k) c.or_mask[size_t(r.uniform_int(0, int32_t(n) - 1))] |= mask_partialreject;
  if (r.uniform() < 0.1) {  // no data in the last few red pixels on some fibers
    const size_t len = size_t(r.uniform_int(1, 8));
    for (size_t i = n - std::min(n, len); i < n; ++i) {
      c.ivar[i] = 0;
      c.and_mask[i] |= mask_nodata;
      c.or_mask[i] |= mask_nodata;
    }
  }
  for (size_t i = 0; i < n; ++i)
    c.flux[i] = c.ivar[i] > 0 ? float(c.model[i] + r.normal() / std::sqrt(double(c.ivar[i]))) : c.model[i];
}

float sn_median_all(const coadd& c) {
  std::vector<float> sn;
  sn.reserve(c.npix());
  for (size_t i = 0; i < c.npix(); ++i)
    if (c.ivar[i] > 0) sn.push_back(c.flux[i] * std::sqrt(c.ivar[i]));
  if (sn.empty()) return 0;
  auto mid = sn.begin() + ptrdiff_t(sn.size() / 2);
  std::nth_element(sn.begin(), mid, sn.end());
  return *mid;
}

std::array<float, 5> spectro_flux(const coadd& c, std::span<const double> lambda) {
  // f[nmgy] = 1e9 * Int F_l l dl / Int (3631 Jy c / l^2) l dl over each top-hat band.
  static constexpr double edges[6] = {3000, 4000, 5500, 6900, 8400, 10000};
  std::array<float, 5> out{};
  for (int b = 0; b < 5; ++b) {
    double num = 0, den = 0;
    for (size_t i = 1; i < c.npix(); ++i) {
      const double l = lambda[i];
      if (l < edges[b] || l >= edges[b + 1]) continue;
      const double dl = l - lambda[i - 1];
      num += double(c.flux[i]) * 1e-17 * l * dl;
      den += 3631e-23 * 2.99792458e18 / (l * l) * l * dl;
    }
    out[size_t(b)] = den > 0 ? float(1e9 * num / den) : 0.0f;
  }
  return out;
}

}  // namespace specmill::sample
