#pragma once
// Output grids on a store's native lattice (core/native_grid.hpp; SDSS: loglam = index * 1e-4,
// vacuum Angstrom): the span of an ID list (what align uses, and the listSpan call) and the
// window of a cutout. Index arithmetic only, so they serve any lattice.
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "engine/pipeline/id_list.hpp"
#include "core/spectrum.hpp"

namespace specmill {

// Lattice indices [start, start + width) of `grid`: output column j is lattice index start + j.
struct lattice_window {
  int32_t start = 0;
  int64_t width = 0;
  native_grid grid = sdss_native_grid;  // the lattice the indices count on
  int32_t end() const { return int32_t(start + width); }
  double loglam(int64_t j) const { return grid.loglam(start + j); }  // log10 Angstrom
  double wavelength(int64_t j) const;                                // Angstrom
  // loglam of column j for JSON (listSpan's w0/w1): on a log lattice index / (1 / step),
  // divided rather than multiplied so that it is the lattice value's shortest form (3.557, not
  // 3.5570000000000004); log10 of the wavelength on other grids.
  double reported_loglam(int64_t j) const;
  // The lattice index at a loglam given as reported_loglam gives it (rounded to the nearest).
  static int32_t index_of_loglam(double loglam, const native_grid& grid);
};

// The list's global min and max over the spectra that have pixels (the original service's
// align span), on the store's grid. Throws not_found when none has pixels.
lattice_window list_span(std::span<const resolved_id> ids, const native_grid& grid);

// A wavelength interval in Angstrom (vacuum), lo < hi.
struct wavelength_range {
  double lo = 0, hi = 0;
};

// "A-B" in Angstrom, e.g. "6500-7200" or "6.5e3-7.2e3". invalid_argument naming the text for
// anything else: a missing part, extra text, a non-number, a negative or zero wavelength,
// B <= A ("7200-6500"), or a value beyond 1e6 A.
wavelength_range parse_wavelength_range(std::string_view text);

// The lattice pixels whose centers lie in [lo, hi] (both ends included, to 1e-7 pixel so that a
// bound typed as a pixel's printed center includes it). invalid_argument when no pixel center
// falls inside. `grid` must be a lattice (invalid_argument otherwise).
lattice_window cutout_window(wavelength_range r, const native_grid& grid);

// The lattice pixels two windows share; nullopt when they share none.
std::optional<lattice_window> overlap(const lattice_window& a, const lattice_window& b);

}  // namespace specmill
