#pragma once
// Target wavelength grids for resampling: log-linear (uniform in log10 Angstrom) or linear
// (uniform in Angstrom), given as start/stop/step and parsed from "log:..." / "lin:..." text.
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/host_device.hpp"

namespace specmill {

inline constexpr double ln10 = 2.302585092994045684017991454684364208;

// 10^x: the Angstrom wavelength of a log10 coordinate. exp(x ln 10) rather than pow(10, x): it
// is cheaper on both backends, and for |x| < 10 it costs at most ~2e-15 relative, far below
// anything resampling can see (its sliver tolerance is 1e-12, see resample.hpp).
SPECMILL_HOST_DEVICE inline double angstrom_from_log10(double x) { return exp(x * ln10); }

// A target wavelength grid: pixel centers start + k*step (k = 0..size()-1, the last center <= stop
// within a relative 1e-9 slack, i.e. <= stop + 1e-9 * (stop - start)), in log10(Angstrom) for
// scale::log and in Angstrom for scale::linear. Pixel edges are midway between centers
// (center +- step/2 in the grid's own coordinate), so pixel k of a log grid spans
// [10^(start + (k - 1/2) step), 10^(start + (k + 1/2) step)] Angstrom. Vacuum wavelengths.
//
// Plain data: it is passed by value to CUDA kernels, whose code calls the SPECMILL_HOST_DEVICE
// members below (size() is host-only).
struct wavelength_grid {
  enum class scale { log, linear };
  scale kind = scale::log;
  double start = 0, stop = 0, step = 0;

  // Number of pixels; 0 for a grid that check_wavelength_grid would reject (step <= 0, NaN...).
  int64_t size() const;

  // In the grid's own coordinate (log10 Angstrom or Angstrom).
  SPECMILL_HOST_DEVICE double center(int64_t k) const { return start + double(k) * step; }
  // Lower edge of pixel k; edge(k + 1) is the upper edge of pixel k, computed by the same
  // expression, so neighbouring pixels share their edge bit for bit (no gaps, no overlaps).
  SPECMILL_HOST_DEVICE double edge(int64_t k) const { return start + (double(k) - 0.5) * step; }

  SPECMILL_HOST_DEVICE double to_angstrom(double coordinate) const {
    return kind == scale::log ? angstrom_from_log10(coordinate) : coordinate;
  }
  SPECMILL_HOST_DEVICE double center_angstrom(int64_t k) const { return to_angstrom(center(k)); }
  SPECMILL_HOST_DEVICE double lower_edge_angstrom(int64_t k) const { return to_angstrom(edge(k)); }
  SPECMILL_HOST_DEVICE double upper_edge_angstrom(int64_t k) const { return lower_edge_angstrom(k + 1); }
  // log10 of lower_edge_angstrom(k): exact for a log grid; -inf (log10(0)) or NaN for a linear
  // grid's edge at or below 0 Angstrom, which callers treat as "below every spectrum".
  SPECMILL_HOST_DEVICE double lower_edge_log10(int64_t k) const {
    return kind == scale::log ? edge(k) : log10(edge(k));
  }
};

inline constexpr int64_t max_wavelength_grid_pixels = 1'000'000;
// Finer steps than this (relative to the wavelength, i.e. a resolving power above 10^8) are
// rejected: resampling ignores overlaps below 1e-12 of the wavelength as rounding slivers,
// which must stay negligible against every pixel width.
inline constexpr double min_relative_step = 1e-8;

// "log:3.55,4.0,1e-4" (log10 Angstrom) or "lin:3600,9000,1.5" (Angstrom); blanks around the
// numbers are allowed. Throws invalid_argument, with the text and the expected form, for: a
// wrong prefix, not exactly 3 numbers, non-finite numbers, step <= 0, stop < start, a log grid
// whose start/stop look like Angstrom (> 10: it suggests the log10 values), wavelengths <= 0 for
// linear, a step finer than min_relative_step, or more than max_wavelength_grid_pixels pixels.
wavelength_grid parse_wavelength_grid(std::string_view text);

// The checks of parse_wavelength_grid on a grid built in code; throws invalid_argument.
void check_wavelength_grid(const wavelength_grid& grid);

// The text form parse_wavelength_grid reads back to the same grid (shortest round-trip numbers).
std::string to_string(const wavelength_grid& grid);

}  // namespace specmill
