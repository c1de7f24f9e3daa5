#pragma once
// resample: flux-conserving resampling (pixel-overlap integration in wavelength) of spectra on
// a native lattice (log10 or linear, core/native_grid.hpp) onto any target wavelength_grid, with ivar propagated, masked
// pixels excluded and an optional per-spectrum shift to the rest frame. The per-pixel math is
// resample_pixel_op below; resample.cpp runs it under TBB, resample.cu in a CUDA kernel.
//
// Conventions (each is tested in tests/kernels/resample_test.cpp):
//
// * Geometry. Input pixel j of a row covers observed wavelengths
//   [10^((L + j - 1/2) s), 10^((L + j + 1/2) s)] Angstrom on a log10 lattice of step s (SDSS:
//   1e-4), [(L + j - 1/2) s, (L + j + 1/2) s] Angstrom on a linear one (DESI: 0.8), L =
//   lattice_start: the pixel edges of core/native_grid. With
//   log10_1pz the row is moved to its rest frame first: every wavelength is divided by (1+z)
//   (log10_1pz is subtracted in log space), and the target grid is read as rest-frame Angstrom.
//   Because the input is uniform in its lattice coordinate, the input pixels under a target pixel are found by
//   arithmetic, not search; all sums are in double, results are stored as float.
//
// * Flux. f_lambda is per Angstrom. o_jk = overlap in Angstrom (of the frame the grid is in) of
//   input pixel j with target pixel k. Over the GOOD input pixels j (ivar > 0 and finite, flux
//   finite, (and_mask & mask_bits) == 0):
//       flux_k = (1+z) * sum_j f_j o_jk / C_k,   C_k = sum_j o_jk (the good coverage)
//       ivar_k = C_k^2 / sum_j (o_jk^2 / ivar_j) / (1+z)^2
//   i.e. the overlap-weighted mean, whose variance is sum o^2 var / (sum o)^2. Where the good
//   pixels cover target pixels completely, sum_k flux_k dlambda_k equals sum_j f_j dlambda_j
//   over the same wavelengths: the integral is conserved (to float rounding, ~1e-7).
//
// * Rest frame: the factor (1+z) makes the output a density per REST-frame Angstrom with the
//   integral conserved across the frame change, integral f_rest dlambda_rest = integral f_obs
//   dlambda_obs (the luminosity-density convention: a line keeps its flux in erg/s/cm^2). ivar
//   scales by 1/(1+z)^2 with it. Without log10_1pz (or where it is 0) the factor is 1. A row
//   whose log10_1pz is not finite (unknown z, z <= -1) cannot be placed: all its pixels get
//   flux 0, ivar 0, and_mask 0, coverage 0.
//
// * Partial coverage. A target pixel only partly covered by good input pixels (a masked or
//   zero-ivar pixel inside it, or the spectrum's end or its padding inside it) gets the mean over
//   its good part with the ivar of that mean, NOT reduced for the missing part: a masked pixel
//   neither biases nor hides its neighbours. A target pixel with no good coverage gets flux 0 and
//   ivar 0. The optional `coverage` output (C_k / target pixel width, 0..1) says how much was
//   covered, so a caller who wants partial pixels down-weighted multiplies ivar by it, and one
//   who wants them dropped tests coverage < 1 - 1e-6.
//
// * and_mask out = bitwise OR of the and_mask of every input pixel overlapping the target pixel,
//   good or not (an excluded pixel's bits say why something is missing). 0 without an input mask.
//
// * Slivers. Overlaps shorter than 1e-12 of the target pixel's upper-edge wavelength count as
//   none. Edges meant to coincide (a target grid equal to the lattice, or its rest-frame twin)
//   differ by ~1e-15 after rounding; without this, the neighbour's sliver would OR its mask bits
//   in. Rounding slivers are ~1e-15 of the wavelength, so the threshold has a 1000x margin; a
//   real overlap it drops is under 1e-8 of an SDSS lattice pixel (2.3e-4 of the wavelength)
//   and under 1e-4 of the narrowest pixel check_wavelength_grid allows (1e-8), and it only
//   moves that much weight between two neighbours sharing the edge.
#include <cstddef>
#include <cstdint>

#include "core/good_pixel.hpp"
#include "core/host_device.hpp"
#include "core/native_grid.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "core/wavelength_grid.hpp"

namespace specmill {

inline constexpr double resample_sliver = 1e-12;  // relative to the wavelength, see above

// n spectra on a native lattice as dense rows (row-major [n_spectra][width]); column j of
// every row is lattice pixel lattice_start + j of `grid` (log10 or linear; make_resample_op
// refuses an explicit grid, which is no lattice). Padding pixels have ivar 0.
struct lattice_batch {
  size_t n_spectra = 0, width = 0;
  int32_t lattice_start = 0;
  const float* flux = nullptr;
  const float* ivar = nullptr;
  const int32_t* and_mask = nullptr;   // may be null: no mask
  const double* log10_1pz = nullptr;   // per row log10(1+z) for a rest-frame shift; null = observed frame
  native_grid grid = sdss_native_grid;  // the store's native grid (a lattice); last, so
                                        // positional initialisers written before it still work
};

// Row-major [n_spectra][grid.size()]. Every pointer may be null: that column is not wanted.
struct resampled_batch {
  float* flux = nullptr;
  float* ivar = nullptr;
  int32_t* and_mask = nullptr;
  float* coverage = nullptr;  // good coverage / target pixel width, in [0, 1] (+ rounding)
};

namespace detail {
// Comparisons instead of isfinite: one spelling for g++ and nvcc, false for NaN.
SPECMILL_HOST_DEVICE inline bool finite(float x) { return x >= -3.402823466e38f && x <= 3.402823466e38f; }
SPECMILL_HOST_DEVICE inline bool finite(double x) {
  return x >= -1.7976931348623157e308 && x <= 1.7976931348623157e308;
}
SPECMILL_HOST_DEVICE inline double min_d(double a, double b) { return a < b ? a : b; }
SPECMILL_HOST_DEVICE inline double max_d(double a, double b) { return a > b ? a : b; }
}  // namespace detail

// Target pixel k of one row: everything above, for one output pixel. Both backends call this.
//
// Every wavelength edge it needs is a pure function of (grid, k) or (lattice_start, j, z), so it
// can come from exp() on the spot (the CUDA kernel: FP64 is cheap there and it needs no
// workspace) or from tables built once per call (the TBB path: each exp costs ~20 ns on a CPU,
// five of them per pixel dwarf the rest). The tables hold exactly what the on-the-spot
// expressions return, up to ~1e-16 relative where a rest-frame edge is table / (1+z).
struct resample_pixel_op {
  lattice_batch in;
  wavelength_grid grid;
  int64_t n_out = 0;  // output columns: grid.size() (which device code cannot call) or a range's width
  int32_t mask_bits = 0;
  resampled_batch out;
  // Output column k is grid pixel first + k (resample_range; 0 for the whole grid). Every edge
  // is computed from the grid index, so a range gives exactly the whole grid's columns.
  int64_t first = 0;
  // Optional tables, all null or all set (see resample_edge_tables in resample.cpp):
  const double* target_edges = nullptr;        // [n_out + 1] grid.lower_edge_angstrom(first + k)
  const double* target_edges_log10 = nullptr;  // [n_out + 1] grid.lower_edge_log10(first + k)
  const double* lattice_edges = nullptr;       // [width + 1] observed lower edge of pixel j
  const double* one_plus_z = nullptr;          // [n_spectra] 10^log10_1pz (with log10_1pz only)

  // k: output column (0..n_out); the edge is that of grid pixel first + k.
  SPECMILL_HOST_DEVICE double target_edge(int64_t k) const {
    return target_edges ? target_edges[k] : grid.lower_edge_angstrom(first + k);
  }
  SPECMILL_HOST_DEVICE double target_edge_log10(int64_t k) const {
    return target_edges_log10 ? target_edges_log10[k] : grid.lower_edge_log10(first + k);
  }
  SPECMILL_HOST_DEVICE double row_one_plus_z(size_t row, double shift) const {
    if (shift == 0) return 1.0;
    return one_plus_z ? one_plus_z[row] : angstrom_from_log10(shift);
  }
  // Wavelength (Angstrom, in the row's frame) of pixel j's lower edge: one expression for both
  // sides of an edge, so neighbouring input pixels tile without gaps or overlaps.
  SPECMILL_HOST_DEVICE double input_edge(int64_t j, double shift, double one_plus_z_row) const {
    // Observed frame: no division (divisions are a good part of this functor's CPU time).
    if (lattice_edges) return one_plus_z_row == 1.0 ? lattice_edges[j] : lattice_edges[j] / one_plus_z_row;
    const double c = (double(in.lattice_start + j) - 0.5) * in.grid.step;
    if (!in.grid.is_log_lattice()) return one_plus_z_row == 1.0 ? c : c / one_plus_z_row;
    return angstrom_from_log10(c - shift);
  }
  // The input pixel (possibly outside the row) whose span holds target edge k in the row's
  // frame, as a double: floor(u + 1/2) with u the edge's lattice coordinate less lattice_start.
  // On a log10 lattice u comes from the log10 edge plus the shift (no exp); on a linear one
  // from the edge in Angstrom times (1+z). A linear grid's edge at <= 0 Angstrom has log10 -inf
  // or NaN, which the caller clamps as "before pixel 0".
  SPECMILL_HOST_DEVICE double input_pixel_under(int64_t k, double shift, double one_plus_z_row) const {
    const double base = 0.5 - double(in.lattice_start);
    if (!in.grid.is_log_lattice()) return floor(target_edge(k) * one_plus_z_row * in.grid.inv_step + base);
    return floor((target_edge_log10(k) + shift) * in.grid.inv_step + base);
  }

  // The row's log10(1+z) (0 in the observed frame) and its 1+z (1 where the shift is not finite:
  // such a row is not placed, see pixel()).
  SPECMILL_HOST_DEVICE double row_shift(size_t row) const { return in.log10_1pz ? in.log10_1pz[row] : 0.0; }
  SPECMILL_HOST_DEVICE double row_scale(size_t row, double shift) const {
    return detail::finite(shift) ? row_one_plus_z(row, shift) : 1.0;
  }

  SPECMILL_HOST_DEVICE void operator()(size_t row, int64_t k) const {
    const double shift = row_shift(row), scale = row_scale(row, shift);
    pixel(row, k, shift, scale, computed_edges{this, shift, scale});
  }

  // Input edges for pixel(): input_edge on the spot, or (the CPU loop) from a run of them
  // computed once for many target pixels. Both give input_edge's bits: one expression.
  struct computed_edges {
    const resample_pixel_op* op;
    double shift, scale;
    SPECMILL_HOST_DEVICE double operator()(int64_t j) const { return op->input_edge(j, shift, scale); }
  };

  // Target pixel k of `row` given the row's shift and scale (row_shift, row_scale), reading input
  // edge j as edge(j) == input_edge(j, shift, scale).
  template <class EdgeOf>
  SPECMILL_HOST_DEVICE void pixel(size_t row, int64_t k, double shift, double scale, const EdgeOf& edge) const {
    double covered = 0, flux_sum = 0, var_sum = 0;
    int32_t mask = 0;
    const double lo = target_edge(k), hi = target_edge(k + 1);
    if (detail::finite(shift)) {
      // Input pixel j spans lattice coordinate u in [j - 1/2, j + 1/2), u = observed loglam /
      // step - L (log10 lattice) or observed Angstrom / step - L (linear lattice), so
      // floor(u + 1/2) is the pixel under an edge. Clamped in double first.
      double j0 = input_pixel_under(k, shift, scale);
      double j1 = input_pixel_under(k + 1, shift, scale);
      if (!(j0 >= 0)) j0 = 0;
      if (j1 > double(in.width) - 1) j1 = double(in.width) - 1;
      if (j1 >= j0) {  // false for NaN, for an empty row and for grids off either end
        const size_t row_offset = row * in.width;
        const float* f = in.flux + row_offset;
        const float* iv = in.ivar + row_offset;
        const int32_t* m = in.and_mask ? in.and_mask + row_offset : nullptr;
        const double sliver = resample_sliver * hi;
        // Off-by-one j0/j1 from rounding at an edge only add or drop a sliver-sized overlap.
        double a = edge(int64_t(j0));
        for (int64_t j = int64_t(j0); j <= int64_t(j1); ++j) {
          const double b = edge(j + 1);
          const double o = detail::min_d(b, hi) - detail::max_d(a, lo);
          a = b;
          if (!(o > sliver)) continue;
          const int32_t pixel_mask = m ? m[j] : 0;
          mask |= pixel_mask;
          const float fj = f[j], ivj = iv[j];
          if (good_pixel(fj, ivj, uint32_t(pixel_mask), uint32_t(mask_bits))) {
            covered += o;
            flux_sum += o * double(fj);
            var_sum += o * o / double(ivj);
          }
        }
      }
    }
    float flux_k = 0, ivar_k = 0;
    if (covered > 0) {
      flux_k = float(flux_sum / covered * scale);
      ivar_k = float(covered * covered / (var_sum * (scale * scale)));
    }
    const size_t i = row * size_t(n_out) + size_t(k);
    if (out.flux) out.flux[i] = flux_k;
    if (out.ivar) out.ivar[i] = ivar_k;
    if (out.and_mask) out.and_mask[i] = mask;
    if (out.coverage) out.coverage[i] = float(covered / (hi - lo));
  }
};

// Resamples every row of `in` onto `grid` (see the conventions above); `out` arrays hold
// in.n_spectra * grid.size() elements and must not overlap the inputs.
// backend::cpu: host pointers, TBB over rows and chunks of target pixels.
// backend::cuda: host pointers staged through device buffers; returns when `out` is written.
// Throws invalid_argument for a grid check_wavelength_grid rejects or missing input arrays,
// cuda_error for the cuda backend without CUDA compiled in (whatever the size) or a device.
void resample(backend b, const lattice_batch& in, const wavelength_grid& grid, int32_t mask_bits,
              const resampled_batch& out);

// Device-resident form: every pointer in `in` and `out` is a device pointer; the kernel is
// queued on `stream` and the call returns without waiting. Throws as above.
void resample_device(const lattice_batch& in, const wavelength_grid& grid, int32_t mask_bits,
                     const resampled_batch& out, cuda_stream_view stream = {});

// Grid pixels [first, first + count) only (count < 0: to the grid's end): `out` arrays hold
// in.n_spectra * count elements, column k being grid pixel first + k, bit for bit what
// resample() gives in that column (the stack's pixel tiles use it). invalid_argument for a
// range outside the grid.
void resample_range(backend b, const lattice_batch& in, const wavelength_grid& grid, int64_t first,
                    int64_t count, int32_t mask_bits, const resampled_batch& out);
void resample_range_device(const lattice_batch& in, const wavelength_grid& grid, int64_t first,
                           int64_t count, int32_t mask_bits, const resampled_batch& out,
                           cuda_stream_view stream = {});

namespace detail {
// One output pixel (row i / n_out, column i % n_out) per index: what the device runs through
// the launch shell. Why a thread per output pixel rather than a warp per row: neighbouring
// threads then handle neighbouring target pixels of one row, so they read neighbouring input
// pixels (coalesced, and the same cache lines for the pixels two target pixels share) and write
// consecutive outputs; the work per pixel is about the same across a row.
struct resample_index_op {
  resample_pixel_op op;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const size_t n_out = size_t(op.n_out);
    op(i / n_out, int64_t(i % n_out));
  }
};

// The edge tables of one call, laid end to end in one array: what resample_pixel_op would
// otherwise compute with exp() for every pixel, each entry by the same expression it uses. Index
// i fills one entry: target edges [0, n_out], their log10 [0, n_out], the observed lattice edges
// [0, width], then 1+z per row (rest frame only). Both backends run it (TBB over host vectors,
// the device into stream-ordered scratch), so their tables cannot drift apart.
struct resample_edge_table_op {
  resample_pixel_op op;  // without tables
  double* tables;

  SPECMILL_HOST_DEVICE size_t n_target() const { return size_t(op.n_out) + 1; }
  SPECMILL_HOST_DEVICE size_t n_lattice() const { return op.in.width + 1; }
  SPECMILL_HOST_DEVICE size_t n_rows() const { return op.in.log10_1pz ? op.in.n_spectra : 0; }
  SPECMILL_HOST_DEVICE size_t size() const { return 2 * n_target() + n_lattice() + n_rows(); }

  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    if (i < n_target()) {
      tables[i] = op.grid.lower_edge_angstrom(op.first + int64_t(i));
      tables[n_target() + i] = op.grid.lower_edge_log10(op.first + int64_t(i));
      return;
    }
    i -= n_target();
    if (i < n_lattice()) {
      tables[2 * n_target() + i] = op.input_edge(int64_t(i), 0.0, 1.0);
      return;
    }
    i -= n_lattice();
    const double shift = op.in.log10_1pz[i];
    tables[2 * n_target() + n_lattice() + i] = detail::finite(shift) ? op.row_one_plus_z(i, shift) : 0.0;
  }
  // Indices to run: the target entries fill both of their tables at once.
  SPECMILL_HOST_DEVICE size_t indices() const { return n_target() + n_lattice() + n_rows(); }

  // `op` reading the filled tables.
  resample_pixel_op attach() const {
    resample_pixel_op tabled = op;
    tabled.target_edges = tables;
    tabled.target_edges_log10 = tables + n_target();
    tabled.lattice_edges = tables + 2 * n_target();
    tabled.one_plus_z = n_rows() ? tables + 2 * n_target() + n_lattice() : nullptr;
    return tabled;
  }
};

// Validates the arguments (host-side, shared by both backends) and builds the functor, without
// edge tables (every edge from exp() on the spot, as on the device).
resample_pixel_op make_resample_op(const lattice_batch& in, const wavelength_grid& grid,
                                   int32_t mask_bits, const resampled_batch& out);
// The same for grid pixels [first, first + count) (count < 0: to the grid's end).
resample_pixel_op make_resample_op(const lattice_batch& in, const wavelength_grid& grid, int64_t first,
                                   int64_t count, int32_t mask_bits, const resampled_batch& out);
// The device form (device pointers in `op`): the edge tables built on the device in
// stream-ordered scratch, then the pixels, both queued on `stream` (resample.cu; CUDA builds).
void resample_device_tabled(const resample_pixel_op& op, cuda_stream_view stream);
}  // namespace detail

}  // namespace specmill
