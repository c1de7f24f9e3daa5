#pragma once
// The wavelength grid of a store's native pixels: where pixel index i sits in wavelength.
//
//   log10 lattice  (SDSS/BOSS coadds): log10(lambda / A) = i * step, step 1e-4;
//   linear lattice (DESI cameras b/r/z): lambda / A = i * step, step 0.8;
//   explicit       a list of pixel-centre wavelengths (Angstrom, ascending), pixel i = entry i.
//
// A lattice runs through index 0, so every spectrum on it is a lattice_start and a pixel count,
// and two spectra on the same lattice share pixels without resampling (what align, cutout and
// the stack's observed frame rely on). Pixel edges are midway between centres in the grid's own
// coordinate: pixel i of a lattice spans [(i - 1/2) step, (i + 1/2) step].
//
// This is the descriptor of the data as stored; core/wavelength_grid.hpp is the target grid of
// resampling (start/stop/step chosen by the user). Plain data: passed by value to CUDA kernels,
// whose code calls the SPECMILL_HOST_DEVICE members. An explicit grid does not own its
// wavelengths (the caller keeps them alive; on a device they must be device memory).
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/host_device.hpp"

namespace specmill {

enum class grid_kind : int32_t { log10_lattice = 0, linear_lattice = 1, explicit_list = 2 };

// A half-open range of pixel indices [first, first + count).
struct index_range {
  int64_t first = 0;
  int64_t count = 0;
  SPECMILL_HOST_DEVICE int64_t end() const { return first + count; }
  SPECMILL_HOST_DEVICE bool empty() const { return count <= 0; }
};

// A closed wavelength interval [lo, hi] in Angstrom (empty when hi < lo).
struct wavelength_span {
  double lo = 0;
  double hi = 0;
  SPECMILL_HOST_DEVICE bool empty() const { return !(hi >= lo); }
};

struct native_grid {
  grid_kind kind = grid_kind::log10_lattice;
  double step = 1e-4;        // lattices: log10(A) or A between neighbouring pixels
  double inv_step = 1e4;     // 1 / step, kept so device code multiplies (1 / 1e-4 == 1e4 exactly)
  const double* wavelengths = nullptr;  // explicit: pixel centres in Angstrom, ascending
  int64_t n_wavelengths = 0;            // explicit: entries of `wavelengths`

  SPECMILL_HOST_DEVICE bool is_log_lattice() const { return kind == grid_kind::log10_lattice; }
  SPECMILL_HOST_DEVICE bool is_lattice() const { return kind != grid_kind::explicit_list; }

  // Pixel i in the grid's own coordinate: log10(A) for the log lattice, A otherwise. For the
  // log lattice this is double(i) * step, the expression the SDSS files' loglam was made by,
  // and angstrom() is pow(10, that), as the engine has always computed lattice wavelengths.
  SPECMILL_HOST_DEVICE double coordinate(int64_t i) const {
    return kind == grid_kind::explicit_list ? wavelengths[i] : double(i) * step;
  }
  SPECMILL_HOST_DEVICE double angstrom(int64_t i) const {
    return kind == grid_kind::log10_lattice ? pow(10.0, coordinate(i)) : coordinate(i);
  }
  SPECMILL_HOST_DEVICE double loglam(int64_t i) const {
    return kind == grid_kind::log10_lattice ? coordinate(i) : log10(coordinate(i));
  }
  // Lower edge of pixel i in Angstrom; lower_edge_angstrom(i + 1) is its upper edge (the same
  // expression, so neighbours share edges bit for bit). An explicit grid's outer edges mirror
  // the nearest inner one.
  SPECMILL_HOST_DEVICE double lower_edge_angstrom(int64_t i) const {
    if (kind == grid_kind::explicit_list) return explicit_edge(i);
    const double c = (double(i) - 0.5) * step;
    return kind == grid_kind::log10_lattice ? pow(10.0, c) : c;
  }
  // The (fractional) index whose centre is at `angstrom`: the inverse of angstrom(i). Below an
  // explicit grid's first centre it is < 0, above its last > n - 1 (linear extrapolation).
  SPECMILL_HOST_DEVICE double index_at(double angstrom_) const {
    switch (kind) {
      case grid_kind::log10_lattice: return log10(angstrom_) * inv_step;
      case grid_kind::linear_lattice: return angstrom_ * inv_step;
      default: return explicit_index(angstrom_);
    }
  }
  // The pixel whose [lower, upper) edges hold `angstrom` (nearest centre).
  SPECMILL_HOST_DEVICE int64_t pixel_at(double angstrom_) const {
    return int64_t(floor(index_at(angstrom_) + 0.5));
  }
  // Wavelengths covered by pixels [r.first, r.end()): from the lower edge of the first to the
  // upper edge of the last. Empty for an empty range.
  SPECMILL_HOST_DEVICE wavelength_span span(index_range r) const {
    if (r.empty()) return {1, 0};
    return {lower_edge_angstrom(r.first), lower_edge_angstrom(r.end())};
  }
  // Pixels whose centres lie in [s.lo, s.hi] (count 0 when none do). A relative 1e-9 pixel of
  // slack keeps a centre that rounding puts a hair outside the span.
  SPECMILL_HOST_DEVICE index_range pixels_in(wavelength_span s) const {
    if (s.empty() || !(s.lo > 0)) return {0, 0};
    const double first = ceil(index_at(s.lo) - 1e-9), last = floor(index_at(s.hi) + 1e-9);
    if (!(last >= first) || !(first > -9e18) || !(last < 9e18)) return {0, 0};
    index_range r{int64_t(first), int64_t(last) - int64_t(first) + 1};
    if (kind == grid_kind::explicit_list) {
      const int64_t lo = r.first > 0 ? r.first : 0, hi = r.end() < n_wavelengths ? r.end() : n_wavelengths;
      r = {lo, hi > lo ? hi - lo : 0};
    }
    return r;
  }

 private:
  // Midway between centres; beyond the ends, the end pair's spacing continues.
  SPECMILL_HOST_DEVICE double explicit_edge(int64_t i) const {
    const int64_t n = n_wavelengths;
    const double* w = wavelengths;
    if (n == 1) return w[0] + (double(i) - 0.5);  // one pixel: 1 A wide
    if (i <= 0) return w[0] + (double(i) - 0.5) * (w[1] - w[0]);
    if (i >= n) return w[n - 1] + (double(i - n) + 0.5) * (w[n - 1] - w[n - 2]);
    return 0.5 * (w[i - 1] + w[i]);
  }
  // Binary search for the centres around `a`, then linear interpolation between them (linear
  // extrapolation from the end pair outside the grid).
  SPECMILL_HOST_DEVICE double explicit_index(double a) const {
    const int64_t n = n_wavelengths;
    const double* w = wavelengths;
    if (n == 1) return a - w[0];
    int64_t lo = 0, hi = n - 1;
    if (a < w[0]) {
      hi = 1;
    } else if (a >= w[n - 1]) {
      lo = n - 2;
    } else {
      while (hi - lo > 1) {  // w[lo] <= a < w[hi]
        const int64_t mid = lo + (hi - lo) / 2;
        if (w[mid] <= a) lo = mid; else hi = mid;
      }
    }
    hi = lo + 1;
    return double(lo) + (a - w[lo]) / (w[hi] - w[lo]);
  }
};
// The lattice every SDSS/BOSS coadd is on, and what a store without a grid attribute holds.
inline constexpr native_grid sdss_native_grid{grid_kind::log10_lattice, 1e-4, 1e4, nullptr, 0};
static_assert(1.0 / 1e-4 == 1e4, "inv_step of the SDSS lattice must be exact");

// Lattice grids with inv_step = 1 / step; throw invalid_argument for a step that is not a
// finite number > 0 (log10: also < 1, a step of a decade or more is no spectrum).
native_grid log10_lattice(double step);
native_grid linear_lattice(double step);
// An explicit grid over `n` ascending, finite, positive wavelengths (not copied: the array must
// outlive the grid). invalid_argument for n < 1 or a wavelength that breaks the order.
native_grid explicit_grid(const double* wavelengths, int64_t n);

// Same kind and step (explicit: same wavelengths, compared by value).
bool same_grid(const native_grid& a, const native_grid& b);

// Intersection and containment of index ranges on one grid.
SPECMILL_HOST_DEVICE inline index_range intersect(index_range a, index_range b) {
  const int64_t lo = a.first > b.first ? a.first : b.first;
  const int64_t hi = a.end() < b.end() ? a.end() : b.end();
  return {lo, hi > lo ? hi - lo : 0};
}
SPECMILL_HOST_DEVICE inline bool contains(index_range outer, index_range inner) {
  return inner.empty() || (inner.first >= outer.first && inner.end() <= outer.end());
}
SPECMILL_HOST_DEVICE inline wavelength_span intersect(wavelength_span a, wavelength_span b) {
  return {a.lo > b.lo ? a.lo : b.lo, a.hi < b.hi ? a.hi : b.hi};
}
SPECMILL_HOST_DEVICE inline bool contains(wavelength_span outer, wavelength_span inner) {
  return inner.empty() || (inner.lo >= outer.lo && inner.hi <= outer.hi);
}

// Text form, for store attributes and configuration: "log10:1e-4", "linear:0.8", "explicit"
// (an explicit grid's wavelengths are stored beside the text, never in it). to_string writes
// the shortest form that parses back to the same step.
std::string to_string(const native_grid& grid);
// Reads the forms above (blanks around the text and the step are allowed). Throws
// invalid_argument naming the text and the expected form for an unknown kind, a missing or
// malformed step, or a step that log10_lattice/linear_lattice reject. parse("explicit") gives
// an explicit grid with no wavelengths yet: the caller attaches them.
native_grid parse_native_grid(std::string_view text);

// The index rule in words, for output headers: "loglam = index * 1e-4" (the SDSS lattice, as
// outputs have always said), "loglam = index * 2e-05", "lambda = index * 0.8 A", "explicit".
std::string describe_lattice(const native_grid& grid);

// Throws invalid_argument "<operation> works on log10 lattices only (this store's grid is
// linear:0.8)" unless `grid` is a log10 lattice: for operations whose math is written for the
// SDSS-style lattice, so that they refuse other grids rather than compute a wrong answer.
void require_log10_lattice(const native_grid& grid, std::string_view operation);

}  // namespace specmill
