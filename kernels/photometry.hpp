#pragma once
// Synthetic broadband photometry of spectra on a native lattice (SDSS log10, DESI linear; AB maggies,
// photon-counting definition), on both backends. docs/photometry.md explains the conventions;
// in short:
//
//   maggies = Int f_lambda R lambda dlambda / Int (3631 Jy * c / lambda^2) R lambda dlambda
//
// integrated exactly over each lattice pixel (edges (k -+ 0.5) * step, in dex or A): the response R,
// linear between its tabulated points, is integrated against lambda (numerator) and 1/lambda
// (normalisation) across the pixel, with the spectrum's f_lambda constant across it. Those
// integrals depend only on the lattice index, so each band becomes a table of per-pixel weights
// once (band_weights) and a spectrum's photometry is a weighted sum over its pixels:
//
//   maggies = sum_good a_k f_j / sum_good b_k,   sigma^2 = sum_good a_k^2 / ivar_j / (sum_good b_k)^2
//
// Masked pixels (ivar <= 0, NaN/Inf flux or ivar, or a selected and_mask bit) are left out of
// both sums: the band is renormalised over the good pixels, which is the same as filling the
// masked ones with the band's weighted mean f_nu. Bands the spectrum does not cover, or covers
// with too many masked pixels, give NaN and a flag (photometry_flag).
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/good_pixel.hpp"
#include "core/host_device.hpp"
#include "core/native_grid.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

// Flag bits of a band_flux. Any flag makes maggies and maggies_err NaN.
enum photometry_flag : int32_t {
  // More than max_uncovered_fraction of the band's weight (its integral of R/lambda) lies
  // outside the spectrum's pixels.
  photometry_not_covered = 1,
  // More than max_masked_fraction of the covered weight falls on masked pixels (all-masked
  // bands included).
  photometry_too_masked = 2,
};

struct photometry_params {
  // 0.5%: the g band's blue tail below a legacy spectrum's ~3800 A start (0.15% of its weight)
  // passes; the u band on any SDSS spectrum (>= 44% missing) and z on BOSS spectra (0.6-0.9%
  // past their 10,320-10,400 A end) do not.
  double max_uncovered_fraction = 0.005;
  // 10%: enough masked weight for the renormalisation to be visibly model-dependent.
  double max_masked_fraction = 0.10;
  // Pixels whose and_mask has any of these bits count as masked (0: ivar alone decides, as
  // the SDSS pipeline's own SPECTROFLUX does). Needs photometry_input::and_mask.
  uint32_t and_mask_bits = 0;
};

// One band's response as per-lattice-pixel weights (host memory). Pixel lattice_start + j has
// weights flux_weight[j] = 1e-17 / (c * 3631e-23) * Int R lambda dlambda (so that flux in SDSS
// units times it is in maggies times norm units) and norm_weight[j] = Int R / lambda dlambda.
struct band_weights {
  std::string name;
  int32_t lattice_start = 0;
  std::vector<double> flux_weight;
  std::vector<double> norm_weight;
  double norm_total = 0;  // sum of norm_weight: the whole curve's Int R / lambda dlambda
};

// Tabulates a response (wavelength in Angstrom, strictly increasing, response >= 0, linear
// between points and zero outside) on the lattice `grid` (the store's native grid: log10, as
// SDSS, or linear, as DESI; pixel edges at index -+ 0.5 in the lattice's coordinate). The table
// spans the pixels where the response is not zero. Throws invalid_argument for a curve that
// breaks those rules, and for an explicit grid (no lattice).
band_weights make_band_weights(std::string name, std::span<const double> wavelength_aa,
                               std::span<const double> response, const native_grid& grid = sdss_native_grid);

// Spectra as rows of flux/ivar/and_mask, pixel 0 of spectrum i at lattice index
// lattice_start[i]. Two layouts:
// - CSR (ends null): spectrum i has pixels [offsets[i], offsets[i+1]);
// - rows with gaps (ends set): spectrum i has pixels [offsets[i], ends[i]). This is an aligned
//   window (engine/pipeline/window_pipeline): row i starts at i * width, and the spectrum's own
//   pixels sit inside it with padding around them that is never read.
struct photometry_input {
  size_t n_spectra = 0;
  const int64_t* offsets = nullptr;        // CSR: n_spectra + 1, non-decreasing; else n_spectra
  const int32_t* lattice_start = nullptr;  // n_spectra
  const float* flux = nullptr;             // 1e-17 erg/s/cm^2/A
  const float* ivar = nullptr;
  const int32_t* and_mask = nullptr;       // may be null when params.and_mask_bits == 0
  const int64_t* ends = nullptr;           // n_spectra, ends[i] >= offsets[i]; null: CSR

  SPECMILL_HOST_DEVICE int64_t end_of(size_t spectrum) const {
    return ends ? ends[spectrum] : offsets[spectrum + 1];
  }
};

// One (spectrum, band) result, in maggies (1 maggie = 3631 Jy).
struct band_flux {
  double maggies = 0;
  double maggies_err = 0;
  int32_t flag = 0;  // photometry_flag bits
};

// The bands laid end to end, as the kernels read them. Pointers are host or device memory.
struct band_table_view {
  size_t n_bands = 0;
  const int64_t* offsets = nullptr;       // n_bands + 1 into the weight arrays
  const int32_t* lattice_start = nullptr; // n_bands
  const double* flux_weight = nullptr;
  const double* norm_weight = nullptr;
  const double* norm_total = nullptr;     // n_bands
};

// Host-side owner of the concatenated tables.
class band_tables {
 public:
  band_tables() = default;
  explicit band_tables(const std::vector<band_weights>& bands);
  size_t size() const { return names_.size(); }
  const std::string& name(size_t k) const { return names_[k]; }
  band_table_view view() const;

  // The arrays behind view(), for uploads.
  const std::vector<int64_t>& offsets() const { return offsets_; }
  const std::vector<int32_t>& lattice_starts() const { return lattice_start_; }
  const std::vector<double>& flux_weights() const { return flux_weight_; }
  const std::vector<double>& norm_weights() const { return norm_weight_; }
  const std::vector<double>& norm_totals() const { return norm_total_; }

 private:
  std::vector<std::string> names_;
  std::vector<int64_t> offsets_{0};
  std::vector<int32_t> lattice_start_;
  std::vector<double> flux_weight_, norm_weight_, norm_total_;
};

// ---------------------------------------------------------------- the shared per-pixel math

// Partial sums of one (spectrum, band), in double whatever the input precision.
struct photometry_sums {
  double flux = 0;      // sum_good a_k f_j
  double norm = 0;      // sum_good b_k
  double variance = 0;  // sum_good a_k^2 / ivar_j
  double covered = 0;   // sum over all the spectrum's pixels of b_k, masked or not
  SPECMILL_HOST_DEVICE photometry_sums& operator+=(const photometry_sums& o) {
    flux += o.flux;
    norm += o.norm;
    variance += o.variance;
    covered += o.covered;
    return *this;
  }
};
SPECMILL_HOST_DEVICE inline photometry_sums operator+(photometry_sums a, const photometry_sums& b) { return a += b; }

// The pixels a spectrum and a band share: `count` pixels from flux index `pixel` and weight
// index `weight`.
struct band_overlap {
  int64_t pixel = 0, weight = 0, count = 0;
};

SPECMILL_HOST_DEVICE inline band_overlap overlap_of(const photometry_input& in, size_t spectrum,
                                                    const band_table_view& bands, size_t band) {
  const int64_t p0 = in.offsets[spectrum], npix = in.end_of(spectrum) - p0;
  const int64_t s0 = in.lattice_start[spectrum];
  const int64_t w0 = bands.offsets[band], nw = bands.offsets[band + 1] - w0;
  const int64_t b0 = bands.lattice_start[band];
  const int64_t lo = s0 > b0 ? s0 : b0;
  const int64_t hi = (s0 + npix) < (b0 + nw) ? (s0 + npix) : (b0 + nw);
  band_overlap o;
  o.count = hi > lo ? hi - lo : 0;
  o.pixel = p0 + (lo - s0);
  o.weight = w0 + (lo - b0);
  return o;
}

// One pixel's contribution: the functor both backends call, pixel by pixel.
struct photometry_pixel_op {
  const float* flux;
  const float* ivar;
  const int32_t* and_mask;  // null: not consulted
  uint32_t and_mask_bits;
  const double* flux_weight;
  const double* norm_weight;

  SPECMILL_HOST_DEVICE photometry_sums operator()(int64_t pixel, int64_t weight) const {
    const double a = flux_weight[weight], b = norm_weight[weight];
    const float f = flux[pixel], iv = ivar[pixel];
    const bool good = good_pixel(f, iv, and_mask ? uint32_t(and_mask[pixel]) : 0u, and_mask_bits);
    // Selects rather than a branch (a masked pixel's NaN or infinite terms are computed and
    // dropped): no divergence within a warp, and no mispredicted branches on the CPU.
    photometry_sums s;
    s.covered = b;
    s.flux = good ? a * double(f) : 0.0;
    s.norm = good ? b : 0.0;
    s.variance = good ? a * a / double(iv) : 0.0;
    return s;
  }
};

// Sums -> result, with the flags. Shared by both backends so they flag identically.
SPECMILL_HOST_DEVICE inline band_flux finish_band(const photometry_sums& s, double norm_total,
                                                  const photometry_params& p) {
  band_flux r;
  const double uncovered = norm_total > 0 ? 1.0 - s.covered / norm_total : 1.0;
  if (!(uncovered <= p.max_uncovered_fraction)) r.flag |= photometry_not_covered;
  const double masked = s.covered > 0 ? 1.0 - s.norm / s.covered : 0.0;
  if (!(masked <= p.max_masked_fraction) || (s.covered > 0 && !(s.norm > 0))) r.flag |= photometry_too_masked;
  if (r.flag) {
    r.maggies = r.maggies_err = NAN;
  } else {
    r.maggies = s.flux / s.norm;
    r.maggies_err = std::sqrt(s.variance) / s.norm;
  }
  return r;
}

// ---------------------------------------------------------------- entry points

// Photometry of every spectrum in every band: out[i * bands.size() + k] for spectrum i, band k.
// backend::cpu: TBB over spectra, each band's sum in pixel order.
// backend::cuda: `in` and `out` are HOST pointers, staged through device memory (one copy in,
//   kernel, one copy out); returns when `out` is written. CSR layout only (invalid_argument
//   when `in.ends` is set): the run-long form is engine/photometry's window pipeline. Throws cuda_error without CUDA or
//   without a device (also for n_spectra == 0 in a build without CUDA).
// The backends should agree to ~1e-13 relative (the same double terms summed in another
// order); tests/kernels/photometry_test.cpp checks 1e-12 where a GPU is present.
void synthetic_photometry(backend b, const photometry_input& in, const band_tables& bands,
                          const photometry_params& params, band_flux* out);

// One spectrum, on the calling thread: out[k] for band k, each band summed in pixel order. The
// CPU backend above runs exactly this per spectrum, so the results are the same bits. For callers
// that hold each spectrum's pixels in place (engine/photometry reads them straight from the
// block files' mappings, with no window copy). and_mask may be null when params.and_mask_bits == 0;
// npix 0 gives every band "not covered".
void photometry_spectrum_cpu(const float* flux, const float* ivar, const int32_t* and_mask, int64_t npix,
                             int32_t lattice_start, const band_table_view& bands, const photometry_params& params,
                             band_flux* out);

// Device-resident form: every pointer in `in`, `bands` and `out` is device memory; `in.offsets`
// is read on the device only. Queued on `stream`; returns without waiting.
void synthetic_photometry_device(const photometry_input& in, const band_table_view& bands,
                                 const photometry_params& params, band_flux* out,
                                 cuda_stream_view stream = {});

}  // namespace specmill
