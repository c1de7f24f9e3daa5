// Band tables, the CPU backend of synthetic photometry and the backend dispatch (the CUDA side is
// photometry.cu, or its stand-in photometry_nocuda.cpp in builds without CUDA).
#include "kernels/photometry.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/flux_units.hpp"

namespace specmill {
namespace {

// Flux in SDSS units times this times Int R lambda dlambda, over Int R / lambda dlambda, is in
// maggies: 1e-17 / (c * 3631 Jy).
constexpr double flux_weight_scale = sdss_flux_unit_cgs / (speed_of_light_aa_per_s * ab_zero_point_jy * jansky_cgs);

// On a log10 lattice log10(lambda / A) = index * step, on a linear one lambda / A = index *
// step; pixel k spans the indices k - 0.5 to k + 0.5 (make_band_weights refuses other grids).
// The log10 expressions are the ones the SDSS tables were always made with.
double lattice_wavelength(double index, const native_grid& g) {
  return g.is_log_lattice() ? std::pow(10.0, index * g.step) : index * g.step;
}

int64_t lattice_index_of(double wavelength_aa, const native_grid& g) {
  const double u = g.is_log_lattice() ? std::log10(wavelength_aa) / g.step : wavelength_aa / g.step;
  return int64_t(std::floor(u + 0.5));
}

// Int over [u0, u1] of R(x) * x (first) and R(x) / x (second), R linear on the interval with
// R(u0) = r0, R(u1) = r1. Three-point Gauss-Legendre: exact for R * x (degree 2); for R / x on
// an interval of a few Angstrom at thousands of Angstrom its error is ~(h/x)^6, far below
// double rounding.
std::pair<double, double> integrate_linear(double u0, double u1, double r0, double r1) {
  const double h = u1 - u0, m = 0.5 * (u0 + u1);
  const double d = 0.5 * h * std::sqrt(0.6);
  const double xs[3] = {m - d, m, m + d};
  const double ws[3] = {5.0 / 9.0, 8.0 / 9.0, 5.0 / 9.0};
  double num = 0, norm = 0;
  for (int q = 0; q < 3; ++q) {
    const double r = r0 + (r1 - r0) * (xs[q] - u0) / h;
    num += ws[q] * r * xs[q];
    norm += ws[q] * r / xs[q];
  }
  return {0.5 * h * num, 0.5 * h * norm};
}

void check_curve(const std::string& name, std::span<const double> w, std::span<const double> r) {
  SPECMILL_EXPECTS(w.size() == r.size(), "filter " + name + ": wavelength and response lengths differ");
  SPECMILL_EXPECTS(w.size() >= 2, "filter " + name + ": needs at least 2 points");
  bool positive = false;
  for (size_t i = 0; i < w.size(); ++i) {
    SPECMILL_EXPECTS(std::isfinite(w[i]) && w[i] > 0, "filter " + name + ": wavelengths must be finite and > 0");
    SPECMILL_EXPECTS(std::isfinite(r[i]) && r[i] >= 0, "filter " + name + ": responses must be finite and >= 0");
    SPECMILL_EXPECTS(i == 0 || w[i] > w[i - 1], "filter " + name + ": wavelengths must increase strictly");
    positive = positive || r[i] > 0;
  }
  SPECMILL_EXPECTS(positive, "filter " + name + ": the response is zero everywhere");
}

// Spectra per TBB task: a spectrum's five bands are ~10^4 multiply-adds, so a few spectra a
// task amortise the scheduling.
constexpr size_t grain_spectra = 4;

void photometry_cpu(const photometry_input& in, const band_table_view& bands, const photometry_params& params,
                    band_flux* out) {
  const size_t nb = bands.n_bands;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, in.n_spectra, grain_spectra), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t i = r.begin(); i != r.end(); ++i) {
      const int64_t p0 = in.offsets[i];
      photometry_spectrum_cpu(in.flux + p0, in.ivar + p0, in.and_mask ? in.and_mask + p0 : nullptr, in.end_of(i) - p0,
                              in.lattice_start[i], bands, params, out + i * nb);
    }
  });
}

template <class T>
device_buffer upload(const T* host, size_t n) {
  return device_buffer::from_host(std::span<const T>(host, n));
}

void photometry_cuda_staged(const photometry_input& in, const band_tables& bands, const photometry_params& params,
                            band_flux* out) {
  require_cuda_compiled();
  SPECMILL_EXPECTS(in.ends == nullptr, "photometry: the staged cuda form takes CSR input (ends must be null)");
  if (in.n_spectra == 0 || bands.size() == 0) return;
  const size_t npix = size_t(in.offsets[in.n_spectra]);
  device_buffer offsets = upload(in.offsets, in.n_spectra + 1);
  device_buffer starts = upload(in.lattice_start, in.n_spectra);
  device_buffer flux = upload(in.flux, npix);
  device_buffer ivar = upload(in.ivar, npix);
  device_buffer mask = params.and_mask_bits ? upload(in.and_mask, npix) : device_buffer();
  device_buffer b_offsets = upload(bands.offsets().data(), bands.offsets().size());
  device_buffer b_starts = upload(bands.lattice_starts().data(), bands.size());
  device_buffer b_flux = upload(bands.flux_weights().data(), bands.flux_weights().size());
  device_buffer b_norm = upload(bands.norm_weights().data(), bands.norm_weights().size());
  device_buffer b_total = upload(bands.norm_totals().data(), bands.size());
  device_buffer results(in.n_spectra * bands.size() * sizeof(band_flux));

  photometry_input d_in{in.n_spectra,       offsets.data<int64_t>(), starts.data<int32_t>(),
                        flux.data<float>(), ivar.data<float>(),      mask.data<int32_t>()};
  band_table_view d_bands{bands.size(),           b_offsets.data<int64_t>(), b_starts.data<int32_t>(),
                          b_flux.data<double>(), b_norm.data<double>(),     b_total.data<double>()};
  synthetic_photometry_device(d_in, d_bands, params, results.data<band_flux>());
  results.copy_to_host(out, results.size());  // synchronous on the default stream: waits for the kernel
}

}  // namespace

band_weights make_band_weights(std::string name, std::span<const double> w, std::span<const double> r,
                               const native_grid& grid) {
  SPECMILL_EXPECTS(grid.is_lattice(), "synthetic photometry works on log10 or linear lattices only (this store's grid is " +
                                          to_string(grid) + ")");
  check_curve(name, w, r);
  const size_t n = w.size();
  // The interpolant is non-zero strictly between the points around the first and last
  // non-zero responses.
  size_t first = 0, last = n - 1;
  while (r[first] == 0) ++first;
  while (r[last] == 0) --last;
  const double lo = w[first > 0 ? first - 1 : 0], hi = w[last + 1 < n ? last + 1 : n - 1];
  const int64_t k_lo = lattice_index_of(lo, grid), k_hi = lattice_index_of(hi, grid);
  SPECMILL_EXPECTS(k_lo > INT32_MIN / 2 && k_hi < INT32_MAX / 2, "filter " + name + ": wavelengths out of range");

  band_weights b;
  b.name = std::move(name);
  for (int64_t k = k_lo; k <= k_hi; ++k) {
    const double x0 = std::max(lattice_wavelength(double(k) - 0.5, grid), lo);
    const double x1 = std::min(lattice_wavelength(double(k) + 0.5, grid), hi);
    double num = 0, norm = 0;
    // Segments [w[j], w[j+1]] that meet [x0, x1]: the response is linear on each.
    size_t j = size_t(std::upper_bound(w.begin(), w.end(), x0) - w.begin());
    j = j > 0 ? j - 1 : 0;
    for (; j + 1 < n && w[j] < x1; ++j) {
      const double u0 = std::max(x0, w[j]), u1 = std::min(x1, w[j + 1]);
      if (!(u1 > u0)) continue;
      const double slope = (r[j + 1] - r[j]) / (w[j + 1] - w[j]);
      const auto [a, c] = integrate_linear(u0, u1, r[j] + slope * (u0 - w[j]), r[j] + slope * (u1 - w[j]));
      num += a;
      norm += c;
    }
    if (b.flux_weight.empty()) {
      if (num == 0 && norm == 0) continue;  // leading pixels outside the support
      b.lattice_start = int32_t(k);
    }
    b.flux_weight.push_back(num * flux_weight_scale);
    b.norm_weight.push_back(norm);
  }
  while (!b.norm_weight.empty() && b.norm_weight.back() == 0 && b.flux_weight.back() == 0) {
    b.norm_weight.pop_back();
    b.flux_weight.pop_back();
  }
  for (double v : b.norm_weight) b.norm_total += v;
  SPECMILL_EXPECTS(b.norm_total > 0, "filter " + b.name + ": no weight on the lattice");
  return b;
}

band_tables::band_tables(const std::vector<band_weights>& bands) {
  for (const auto& b : bands) {
    names_.push_back(b.name);
    lattice_start_.push_back(b.lattice_start);
    flux_weight_.insert(flux_weight_.end(), b.flux_weight.begin(), b.flux_weight.end());
    norm_weight_.insert(norm_weight_.end(), b.norm_weight.begin(), b.norm_weight.end());
    offsets_.push_back(int64_t(flux_weight_.size()));
    norm_total_.push_back(b.norm_total);
  }
}

band_table_view band_tables::view() const {
  return {size(), offsets_.data(), lattice_start_.data(), flux_weight_.data(), norm_weight_.data(), norm_total_.data()};
}

void photometry_spectrum_cpu(const float* flux, const float* ivar, const int32_t* and_mask, int64_t npix,
                             int32_t lattice_start, const band_table_view& bands, const photometry_params& params,
                             band_flux* out) {
  const int64_t begin = 0;
  const photometry_input one{1, &begin, &lattice_start, flux, ivar, and_mask, &npix};
  const photometry_pixel_op op{flux, ivar, params.and_mask_bits ? and_mask : nullptr, params.and_mask_bits,
                               bands.flux_weight, bands.norm_weight};
  for (size_t k = 0; k < bands.n_bands; ++k) {
    const band_overlap o = overlap_of(one, 0, bands, k);
    // One chain of double adds in pixel order. Eight interleaved partial sums were tried
    // (bench/RESULTS.md): no gain measurable on this machine, so the simple order stays.
    photometry_sums s;
    for (int64_t j = 0; j < o.count; ++j) s += op(o.pixel + j, o.weight + j);
    out[k] = finish_band(s, bands.norm_total[k], params);
  }
}

void synthetic_photometry(backend b, const photometry_input& in, const band_tables& bands,
                          const photometry_params& params, band_flux* out) {
  SPECMILL_EXPECTS(!params.and_mask_bits || in.and_mask || in.n_spectra == 0,
                   "photometry: and_mask_bits set but no and_mask given");
  if (b == backend::cuda)
    photometry_cuda_staged(in, bands, params, out);
  else
    photometry_cpu(in, bands.view(), params, out);
}

}  // namespace specmill
