#pragma once
// calibrate: one smooth multiplier per spectrum, m(x) = sum_k c_k T_k(x) (Chebyshev, degree <= 2;
// x the wavelength mapped linearly onto [-1, 1] from the spectrum's first to its last pixel),
// fitted so that the synthetic photometry (kernels/photometry.hpp, the same per-pixel weights)
// of m * flux matches target fluxes, then applied: flux * m, ivar / m^2 (0 where m <= 0).
// Photometry is linear in the flux, so the fit is weighted least squares on a bands x
// (degree + 1) design whose column k is the photometry of T_k * flux; rows weighted by 1/err of
// the target, or 1/target (fractional residuals) when it has no error. A band takes part when
// it has a positive target, the spectrum covers it (photometry flags clear) and both its
// synthetic S/N and the target's (when an error is given) reach min_snr. This is what
// clients/python/specmill/calibrate.py does per spectrum; here one call does a whole batch,
// one spectrum per index on either backend.
#include <cmath>
#include <cstdint>

#include "core/host_device.hpp"
#include "core/native_grid.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/photometry.hpp"

namespace specmill {

inline constexpr int calibrate_max_bands = 8;
inline constexpr int calibrate_max_terms = 3;  // degree <= 2

enum calibrate_status : int32_t {
  calibrate_ok = 0,
  calibrate_too_few_bands = 1,  // fewer usable bands than terms: spectrum copied unchanged, m = 1
  calibrate_singular = 2,       // the design had no solution (a flux of zeros): copied unchanged
};

struct calibrate_params {
  int degree = -1;  // -1: as many terms as usable bands allow, up to 2
  double min_snr = 3.0;
  photometry_params photometry;
};

// Targets, n_spectra x n_bands row-major, nanomaggies; NaN: no target. err may be null (no
// errors at all) or NaN per entry.
struct calibrate_targets {
  const double* nanomaggies = nullptr;
  const double* err = nullptr;
};

// Outputs: flux and ivar in the input's layout (CSR), and per spectrum the coefficients
// (calibrate_max_terms each, unused terms 0), the bands used (bit k: band k) and a status.
struct calibrate_output {
  float* flux = nullptr;
  float* ivar = nullptr;
  double* coefficients = nullptr;
  int32_t* bands_used = nullptr;
  int32_t* status = nullptr;
};

namespace detail {

SPECMILL_HOST_DEVICE inline void chebyshev_terms(double x, double* t) {
  t[0] = 1.0;
  t[1] = x;
  t[2] = 2.0 * x * x - 1.0;
}

// Solves the (n x n, n <= 3) symmetric system m c = v by Gaussian elimination with partial
// pivoting; false when it is singular.
SPECMILL_HOST_DEVICE inline bool solve_small(int n, double m[calibrate_max_terms][calibrate_max_terms], double* v,
                                             double* c) {
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (fabs(m[r][col]) > fabs(m[piv][col])) piv = r;
    if (!(fabs(m[piv][col]) > 0.0)) return false;
    if (piv != col) {
      for (int k = 0; k < n; ++k) {
        const double t = m[col][k];
        m[col][k] = m[piv][k];
        m[piv][k] = t;
      }
      const double t = v[col];
      v[col] = v[piv];
      v[piv] = t;
    }
    for (int r = col + 1; r < n; ++r) {
      const double f = m[r][col] / m[col][col];
      for (int k = col; k < n; ++k) m[r][k] -= f * m[col][k];
      v[r] -= f * v[col];
    }
  }
  for (int r = n - 1; r >= 0; --r) {
    double s = v[r];
    for (int k = r + 1; k < n; ++k) s -= m[r][k] * c[k];
    c[r] = s / m[r][r];
  }
  return true;
}

// One spectrum: design (photometry of T_k * flux per band), fit, apply.
struct calibrate_spectrum_op {
  photometry_input in;
  band_table_view bands;
  native_grid grid;
  calibrate_targets targets;
  calibrate_params params;
  calibrate_output out;

  SPECMILL_HOST_DEVICE double x_of(int64_t lattice, int64_t first, int64_t last) const {
    const double lo = grid.angstrom(first), hi = grid.angstrom(last);
    return hi > lo ? 2.0 * (grid.angstrom(lattice) - lo) / (hi - lo) - 1.0 : 0.0;
  }

  SPECMILL_HOST_DEVICE void operator()(size_t s) const {
    const int64_t p0 = in.offsets[s], p1 = in.end_of(s), npix = p1 - p0;
    const int64_t first = in.lattice_start[s], last = first + (npix > 0 ? npix - 1 : 0);
    const size_t nb = bands.n_bands;
    double design[calibrate_max_bands][calibrate_max_terms];
    double weight[calibrate_max_bands], target[calibrate_max_bands];
    int used = 0;
    int32_t mask = 0;
    const photometry_pixel_op pix{in.flux, in.ivar, in.and_mask, params.photometry.and_mask_bits,
                                  bands.flux_weight, bands.norm_weight};
    for (size_t b = 0; b < nb && b < size_t(calibrate_max_bands); ++b) {
      const double t = targets.nanomaggies[s * nb + b];
      const double te = targets.err ? targets.err[s * nb + b] : NAN;
      if (!(t > 0.0)) continue;
      const band_overlap o = overlap_of(in, s, bands, b);
      photometry_sums sums;
      double col[calibrate_max_terms] = {0.0, 0.0, 0.0};
      for (int64_t j = 0; j < o.count; ++j) {
        const photometry_sums one = pix(o.pixel + j, o.weight + j);
        sums += one;
        double tk[calibrate_max_terms];
        chebyshev_terms(x_of(first + (o.pixel + j - p0), first, last), tk);
        for (int k = 0; k < calibrate_max_terms; ++k) col[k] += one.flux * tk[k];
      }
      const band_flux f = finish_band(sums, bands.norm_total[b], params.photometry);
      if (f.flag != 0 || !(f.maggies_err > 0.0) || f.maggies / f.maggies_err < params.min_snr) continue;
      if (te > 0.0 && t / te < params.min_snr) continue;
      for (int k = 0; k < calibrate_max_terms; ++k) design[used][k] = 1e9 * col[k] / sums.norm;
      weight[used] = te > 0.0 ? 1.0 / te : 1.0 / t;
      target[used] = t;
      mask |= int32_t(1) << b;
      ++used;
    }
    int terms = params.degree < 0 ? (used < calibrate_max_terms ? used : calibrate_max_terms) : params.degree + 1;
    double c[calibrate_max_terms] = {1.0, 0.0, 0.0};
    int32_t status = calibrate_ok;
    if (terms < 1 || used < terms) {
      status = calibrate_too_few_bands;
    } else {
      double ata[calibrate_max_terms][calibrate_max_terms] = {};
      double atb[calibrate_max_terms] = {};
      for (int r = 0; r < used; ++r) {
        const double w2 = weight[r] * weight[r];
        for (int i = 0; i < terms; ++i) {
          atb[i] += w2 * design[r][i] * target[r];
          for (int k = 0; k < terms; ++k) ata[i][k] += w2 * design[r][i] * design[r][k];
        }
      }
      double sol[calibrate_max_terms] = {0.0, 0.0, 0.0};
      if (solve_small(terms, ata, atb, sol)) {
        for (int k = 0; k < calibrate_max_terms; ++k) c[k] = k < terms ? sol[k] : 0.0;
      } else {
        status = calibrate_singular;
      }
    }
    if (status != calibrate_ok) mask = 0;
    for (int64_t p = p0; p < p1; ++p) {
      double tk[calibrate_max_terms];
      chebyshev_terms(x_of(first + (p - p0), first, last), tk);
      const double m = c[0] * tk[0] + c[1] * tk[1] + c[2] * tk[2];
      out.flux[p] = float(double(in.flux[p]) * m);
      out.ivar[p] = m > 0.0 ? float(double(in.ivar[p]) / (m * m)) : 0.0f;
    }
    for (int k = 0; k < calibrate_max_terms; ++k) out.coefficients[s * calibrate_max_terms + k] = c[k];
    out.bands_used[s] = mask;
    out.status[s] = status;
  }
};

}  // namespace detail

// Calibrates in.n_spectra CSR spectra (host memory). backend::cuda stages the arrays through
// device memory (inputs up, outputs back) and returns when the outputs are written; throws
// cuda_error without CUDA. invalid_argument for more than calibrate_max_bands bands, a degree
// above 2 or a grid that is not a log10 lattice (the band weights need one).
void calibrate_spectra(backend b, const photometry_input& in, const band_tables& bands, const native_grid& grid,
                       const calibrate_targets& targets, const calibrate_params& params, const calibrate_output& out);

// The device-resident form: every pointer (in, bands, targets, out) is device memory; queued on
// `stream`, returns without waiting.
void calibrate_spectra_device(const photometry_input& in, const band_table_view& bands, const native_grid& grid,
                              const calibrate_targets& targets, const calibrate_params& params,
                              const calibrate_output& out, cuda_stream_view stream = {});

}  // namespace specmill
