#include "engine/sample/sample_physics.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

namespace specmill::sample {

// --------------------------------------------------------------------- random numbers
namespace {
uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

rng::rng(uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}
uint64_t rng::next() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}
double rng::uniform() { return double(next() >> 11) * 0x1.0p-53; }
double rng::uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
int32_t rng::uniform_int(int32_t lo, int32_t hi) {
  const uint64_t span = uint64_t(int64_t(hi) - lo + 1);
  return static_cast<int32_t>(lo + int64_t(next() % span));  // modulo bias < 2^-40 here
}
double rng::normal() {  // Marsaglia polar method
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u, v, s;
  do {
    u = 2 * uniform() - 1;
    v = 2 * uniform() - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  const double f = std::sqrt(-2 * std::log(s) / s);
  spare_ = v * f;
  has_spare_ = true;
  return u * f;
}

uint64_t mix_seed(uint64_t seed, uint64_t index) {
  uint64_t x = seed ^ (index * 0xd1342543de82ef95ULL);
  splitmix64(x);
  return splitmix64(x);
}

namespace {
constexpr double c_kms = 299792.458;
constexpr double ln10 = std::numbers::ln10;

// Adds a Gaussian of integrated flux `area` (flux * A) or, with area < 0, absorbs.
// Only pixels within 6 sigma are touched: the lines are narrow and the spectra long.
struct line_painter {
  int32_t lattice_start;
  std::span<const double> lambda;

  // [first, last) pixel window around observed wavelength lc with sigma s (A).
  std::pair<size_t, size_t> window(double lc, double s) const {
    const double p = std::log10(lc) / sdss_native_grid.step - lattice_start;
    const double sp = s / (lc * ln10 * sdss_native_grid.step);
    const double lo = std::floor(p - 6 * sp), hi = std::ceil(p + 6 * sp) + 1;
    const double n = double(lambda.size());
    return {size_t(std::clamp(lo, 0.0, n)), size_t(std::clamp(hi, 0.0, n))};
  }
  void emission(std::span<float> out, double lc, double s, double area) const {
    const auto [a, b] = window(lc, s);
    const double norm = area / (s * std::sqrt(2 * std::numbers::pi));
    for (size_t i = a; i < b; ++i) {
      const double x = (lambda[i] - lc) / s;
      out[i] += float(norm * std::exp(-0.5 * x * x));
    }
  }
  // Multiplies by (1 - depth * gaussian): absorption lines and the forest's optical depth.
  void absorption(std::span<float> out, double lc, double s, double depth) const {
    const auto [a, b] = window(lc, s);
    for (size_t i = a; i < b; ++i) {
      const double x = (lambda[i] - lc) / s;
      out[i] *= float(1 - depth * std::exp(-0.5 * x * x));
    }
  }
};

// Sigma in A of a line at observed wavelength lc with intrinsic velocity dispersion sigma_v
// (km/s) seen through the instrument's wdisp (pixels of 1e-4 dex = 69 km/s).
double line_sigma(double lc, double sigma_v, double wdisp) {
  const double instr_v = wdisp * c_kms * ln10 * sdss_native_grid.step;
  return lc * std::hypot(sigma_v, instr_v) / c_kms;
}

// f_lambda in 1e-17 erg/s/cm^2/A of an AB magnitude at wavelength lam (A).
double ab_flux(double mag, double lam) {
  return std::pow(10.0, -0.4 * (mag + 48.6)) * 2.99792458e18 / (lam * lam) * 1e17;
}

// Scales `model` so that its mean over observed 6000-6300 A (the r band core, covered by
// both eras) matches the object's r magnitude.
void normalise_r(std::span<float> model, std::span<const double> lambda, double mag_r) {
  double sum = 0;
  int n = 0;
  for (size_t i = 0; i < lambda.size(); ++i)
    if (lambda[i] > 6000 && lambda[i] < 6300) sum += model[i], ++n;
  if (n == 0 || sum <= 0) return;
  const float k = float(ab_flux(mag_r, 6150) / (sum / n));
  for (auto& v : model) v *= k;
}

std::string star_subclass(double t) {
  struct band { double t_hot; char type; };
  static constexpr band bands[] = {{30000, 'O'}, {10000, 'B'}, {7500, 'A'}, {6000, 'F'},
                                   {5200, 'G'}, {3700, 'K'}, {2400, 'M'}};
  for (size_t i = 1; i < std::size(bands); ++i)
    if (t >= bands[i].t_hot) {
      const double f = (bands[i - 1].t_hot - t) / (bands[i - 1].t_hot - bands[i].t_hot);
      return std::string(1, bands[i].type) + std::to_string(std::clamp(int(f * 10), 0, 9));
    }
  return "M9";
}
}  // namespace

// --------------------------------------------------------------------- objects
object_params draw_object(rng& r, bool legacy) {
  object_params p;
  const double u = r.uniform();
  if (u < 0.55) {
    p.cls = object_class::galaxy;
    p.z = legacy ? (r.uniform() < 0.85 ? r.uniform(0.01, 0.25) : r.uniform(0.25, 0.5))
                 : (r.uniform() < 0.2 ? r.uniform(0.05, 0.4) : r.uniform(0.4, 0.7));
    p.mag_r = legacy ? r.uniform(15.5, 17.8) : r.uniform(18.5, 20.5);
  } else if (u < 0.85) {
    p.cls = object_class::qso;
    const bool high_z = r.uniform() < (legacy ? 0.2 : 0.7);
    p.z = high_z ? r.uniform(2.1, 4.5) : r.uniform(0.1, 2.1);
    p.mag_r = legacy ? r.uniform(16.5, 19.5) : r.uniform(19.0, 21.8);
    p.subclass = r.uniform() < 0.8 ? "BROADLINE" : "";
  } else {
    p.cls = object_class::star;
    // Many more cool stars than hot ones among SDSS spectra.
    p.temperature = std::exp(r.uniform(std::log(3500.0), std::log(30000.0)) * 0.5 +
                             r.uniform(std::log(3500.0), std::log(12000.0)) * 0.5);
    p.z = r.normal() * 1.5e-4;  // |v| of a few tens of km/s
    p.z = std::clamp(p.z, -9.5e-4, 9.5e-4);
    p.mag_r = r.uniform(15.0, 20.0);
    p.subclass = star_subclass(p.temperature);
  }
  return p;
}

namespace {
void render_galaxy(const object_params& p, const line_painter& lp, double wdisp, rng& r, std::span<float> m,
                   std::string& subclass) {
  const double zf = 1 + p.z, f_old = r.uniform(0.2, 1.0), d4000 = 1.1 + 1.0 * f_old;
  for (size_t i = 0; i < m.size(); ++i) {
    const double lr = lp.lambda[i] / zf;
    const double old_pop = std::pow(lr / 5500, 0.6), young = std::pow(lr / 5500, -1.3);
    const double brk = 1 / d4000 + (1 - 1 / d4000) * 0.5 * (1 + std::tanh((lr - 4000) / 40));
    m[i] = float((f_old * old_pop + (1 - f_old) * young) * brk);
  }
  const double sv = r.uniform(80, 250);
  struct absorber { double wave, depth, extra_sigma; };
  const absorber metals[] = {{3934.78, 0.45, 0}, {3969.59, 0.40, 0}, {4305.0, 0.15, 12},
                             {5176.7, 0.2, 8},   {5270.0, 0.08, 4},  {5895.6, 0.15, 3}};
  for (const auto& a : metals)
    lp.absorption(m, a.wave * zf, std::hypot(line_sigma(a.wave * zf, sv, wdisp), a.extra_sigma * zf),
                  a.depth * f_old);
  const double balmer[] = {4102.89, 4341.68, 4862.68, 6564.61};
  for (double w : balmer) lp.absorption(m, w * zf, line_sigma(w * zf, sv, wdisp) + 6 * zf, 0.12 * (1.1 - f_old));

  // Emission: EW(Halpha) sets the scale; the other lines follow typical SDSS ratios.
  const double ew_ha = (1 - f_old) * r.uniform(0, 80) + (r.uniform() < 0.1 ? r.uniform(20, 100) : 0);
  if (ew_ha < 1) return;
  const bool agn = r.uniform() < 0.12;
  auto cont_at = [&](double wr) {  // continuum level at rest wavelength wr (interp. on pixels)
    const double lo = wr * zf, l0 = lp.lambda.front(), l1 = lp.lambda.back();
    if (lo <= l0 || lo >= l1) return double(m[lo <= l0 ? 0 : m.size() - 1]);
    const size_t i = size_t(std::log10(lo / l0) / sdss_native_grid.step);
    return double(m[std::min(i, m.size() - 1)]);
  };
  const double f_ha = ew_ha * cont_at(6564.61) * zf;  // observed EW = rest EW * (1+z)
  const double decrement = 2.86 * r.uniform(1.0, 1.6), f_hb = f_ha / decrement;
  const double n2 = agn ? r.uniform(0.7, 1.6) : r.uniform(0.2, 0.55);
  const double o3 = agn ? std::pow(10, r.uniform(0.4, 1.1)) : std::pow(10, r.uniform(-0.6, 0.6));
  const double ev = r.uniform(40, 150) * (agn ? 2 : 1);
  struct emitter { double wave, flux; };
  const emitter lines[] = {{6564.61, f_ha},          {4862.68, f_hb},         {4341.68, 0.47 * f_hb},
                           {4102.89, 0.26 * f_hb},   {5008.24, o3 * f_hb},    {4960.29, o3 * f_hb / 2.98},
                           {6585.27, n2 * f_ha},     {6549.86, n2 * f_ha / 2.95},
                           {3727.09, 0.8 * r.uniform(1, 3) * f_hb},       {3729.88, r.uniform(1, 3) * f_hb},
                           {6718.29, 0.14 * f_ha},   {6732.67, 0.10 * f_ha}, {6302.05, 0.05 * f_ha}};
  for (const auto& e : lines) lp.emission(m, e.wave * zf, line_sigma(e.wave * zf, ev, wdisp), e.flux);
  subclass = agn ? "AGN" : ew_ha > 50 ? "STARBURST" : "STARFORMING";
}

void render_qso(const object_params& p, const line_painter& lp, double wdisp, rng& r, std::span<float> m) {
  const double zf = 1 + p.z, alpha = r.uniform(-1.8, -1.2);
  for (size_t i = 0; i < m.size(); ++i) m[i] = float(std::pow(lp.lambda[i] / zf / 2000, alpha));
  const double fwhm = r.uniform(2500, 7000), sv = fwhm / 2.3548;
  struct broad { double wave, ew; };  // rest-frame equivalent widths, A
  const broad lines[] = {{1215.67, r.uniform(50, 120)}, {1240.81, r.uniform(5, 25)}, {1399.8, r.uniform(5, 15)},
                         {1549.48, r.uniform(20, 60)},  {1908.73, r.uniform(10, 30)}, {2800.32, r.uniform(20, 50)},
                         {4341.68, r.uniform(10, 25)},  {4862.68, r.uniform(40, 90)}, {6564.61, r.uniform(150, 350)}};
  std::vector<float> cont(m.begin(), m.end());
  const double l0 = lp.lambda.front();
  for (const auto& b : lines) {
    const double lc = b.wave * zf;
    if (lc < lp.lambda.front() - 200 || lc > lp.lambda.back() + 200) continue;
    const size_t i = size_t(std::clamp(std::log10(lc / l0) / sdss_native_grid.step, 0.0, double(m.size() - 1)));
    lp.emission(m, lc, line_sigma(lc, sv, wdisp), b.ew * zf * cont[i]);
  }
  // Narrow [OIII] from the host.
  lp.emission(m, 5008.24 * zf, line_sigma(5008.24 * zf, 300, wdisp), r.uniform(5, 25) * zf *
              std::pow(5008.24 / 2000, alpha));

  // Lyman-alpha forest: Gaussian absorbers blueward of Lya whose mean optical depth follows
  // tau_eff = 0.0018 (1+z)^3.92 (Faucher-Giguere et al. 2008); Lyman-limit cut below 912 A.
  const double lya = 1215.67 * zf, lyl = 911.75 * zf, lls = r.uniform(0.05, 0.4);
  for (size_t i = 0; i < m.size() && lp.lambda[i] < lyl; ++i) m[i] *= float(lls);
  const size_t forest_end = size_t(std::clamp(std::log10(lya / l0) / sdss_native_grid.step, 0.0, double(m.size())));
  constexpr double per_pixel = 0.3, width_pix = 1.5;
  const size_t n_abs = size_t(double(forest_end) * per_pixel);
  for (size_t k = 0; k < n_abs; ++k) {
    const size_t i = size_t(r.uniform() * double(forest_end));
    const double za = lp.lambda[i] / 1215.67 - 1;
    const double tau_eff = 0.0018 * std::pow(1 + za, 3.92);
    const double tau_mean = 1.6 * tau_eff / (per_pixel * width_pix * std::sqrt(2 * std::numbers::pi));
    const double tau = -std::log(1 - r.uniform()) * tau_mean;
    const double s = lp.lambda[i] * ln10 * sdss_native_grid.step * width_pix;
    lp.absorption(m, lp.lambda[i], s, 1 - std::exp(-tau));
  }
}

void render_star(const object_params& p, const line_painter& lp, double wdisp, std::span<float> m) {
  const double zf = 1 + p.z, t = p.temperature;
  for (size_t i = 0; i < m.size(); ++i) {
    const double l = lp.lambda[i] / zf;
    m[i] = float(std::pow(l / 5000, -5) / std::expm1(1.4388e8 / (l * t)));
  }
  // Balmer lines peak near A0 (9500 K); metal lines grow towards cool stars.
  const double h = 0.7 * std::exp(-std::pow((t - 9500) / 4500, 2));
  const double metal = std::clamp((7000 - t) / 3000, 0.05, 1.0);
  const double balmer[] = {6564.61, 4862.68, 4341.68, 4102.89, 3971.20, 3890.15, 3836.47};
  for (double w : balmer) lp.absorption(m, w * zf, line_sigma(w * zf, 50, wdisp) + 4 + 20 * h, h + 0.1);
  struct absorber { double wave, depth, width; };
  const absorber metals[] = {{3934.78, 0.7, 3}, {3969.59, 0.6, 3}, {4227.9, 0.3, 2}, {4305, 0.3, 10},
                             {5176.7, 0.35, 6}, {5895.6, 0.4, 3}, {8500.4, 0.3, 3}, {8544.4, 0.35, 3},
                             {8664.5, 0.3, 3}};
  for (const auto& a : metals)
    lp.absorption(m, a.wave * zf, line_sigma(a.wave * zf, 20, wdisp) + a.width, a.depth * metal);
  if (t < 4000) {  // TiO band heads of M dwarfs: sharp drop, slow recovery to the red
    const double depth = std::clamp((4000 - t) / 600, 0.2, 0.7);
    for (double head : {4955.0, 5167.0, 5448.0, 6159.0, 7054.0})
      for (size_t i = 0; i < m.size(); ++i) {
        const double d = lp.lambda[i] / zf - head;
        if (d > 0 && d < 600) m[i] *= float(1 - depth * std::exp(-d / 150));
      }
  }
}
}  // namespace

void render_object(object_params& p, int32_t lattice_start, std::span<const double> lambda, double wdisp,
                   rng& r, std::span<float> model) {
  const line_painter lp{lattice_start, lambda};
  std::string subclass = p.subclass;
  switch (p.cls) {
    case object_class::galaxy: render_galaxy(p, lp, wdisp, r, model, subclass); break;
    case object_class::qso: render_qso(p, lp, wdisp, r, model); break;
    case object_class::star: render_star(p, lp, wdisp, model); break;
  }
  normalise_r(model, lambda, p.mag_r);
  p.subclass = subclass;  // galaxies learn their subclass from their emission lines
}

}  // namespace specmill::sample
