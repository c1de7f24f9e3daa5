#include "engine/pipeline/lattice_window.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace specmill {

// pow(10, loglam) on the log lattice, as before the grid descriptor: bit-exact wavelengths.
double lattice_window::wavelength(int64_t j) const {
  return grid.is_log_lattice() ? std::pow(10.0, loglam(j)) : grid.angstrom(start + j);
}

double lattice_window::reported_loglam(int64_t j) const {
  return grid.is_log_lattice() ? double(start + j) / grid.inv_step : grid.loglam(start + j);
}

int32_t lattice_window::index_of_loglam(double loglam, const native_grid& grid) {
  return int32_t(grid.is_log_lattice() ? std::lround(loglam * grid.inv_step) : grid.pixel_at(std::pow(10.0, loglam)));
}

lattice_window list_span(std::span<const resolved_id> ids, const native_grid& grid) {
  int32_t lo = std::numeric_limits<int32_t>::max(), hi = std::numeric_limits<int32_t>::min();
  for (const auto& r : ids) {
    if (!r.has_pixels()) continue;
    const spectrum_location loc = r.location();
    lo = std::min(lo, loc.lattice_start);
    hi = std::max(hi, loc.lattice_start + loc.npix);
  }
  if (lo > hi) throw not_found("none of the " + std::to_string(ids.size()) + " IDs has pixel data");
  return {lo, int64_t(hi) - lo, grid};
}

namespace {

// One number at the front of `text`, advancing past it; false when there is none.
bool take_number(std::string_view& text, double& v) {
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr == text.data()) return false;
  text.remove_prefix(size_t(ptr - text.data()));
  return true;
}

}  // namespace

wavelength_range parse_wavelength_range(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "'";
  const std::string form = " (expected A-B in Angstrom, e.g. 6500-7200)";
  std::string_view rest = text;
  wavelength_range r;
  SPECMILL_EXPECTS(!rest.empty() && rest.front() != '-', "bad wavelength range " + quoted + form +
                                                             (rest.empty() ? "" : ": wavelengths must be positive"));
  SPECMILL_EXPECTS(take_number(rest, r.lo), "bad wavelength range " + quoted + form);
  SPECMILL_EXPECTS(!rest.empty() && rest.front() == '-', "bad wavelength range " + quoted + form);
  rest.remove_prefix(1);
  SPECMILL_EXPECTS(!rest.empty() && rest.front() != '-', "bad wavelength range " + quoted + form +
                                                             (rest.empty() ? "" : ": wavelengths must be positive"));
  SPECMILL_EXPECTS(take_number(rest, r.hi) && rest.empty(), "bad wavelength range " + quoted + form);
  SPECMILL_EXPECTS(std::isfinite(r.lo) && std::isfinite(r.hi) && r.lo > 0 && r.hi > 0,
                   "bad wavelength range " + quoted + ": wavelengths must be positive and finite");
  SPECMILL_EXPECTS(r.hi > r.lo, "bad wavelength range " + quoted + ": the end must be above the start");
  SPECMILL_EXPECTS(r.hi <= 1e6, "bad wavelength range " + quoted + ": beyond 1e6 Angstrom");
  return r;
}

lattice_window cutout_window(wavelength_range r, const native_grid& grid) {
  SPECMILL_EXPECTS(grid.is_lattice(), "a cutout needs a lattice grid, not " + to_string(grid));
  constexpr double slack = 1e-7;  // in pixels
  // Divided by the step as before the descriptor (bit-exact windows on the SDSS lattice).
  const double lo = grid.is_log_lattice() ? std::log10(r.lo) : r.lo, hi = grid.is_log_lattice() ? std::log10(r.hi) : r.hi;
  const double first = std::ceil(lo / grid.step - slack);
  const double last = std::floor(hi / grid.step + slack);
  SPECMILL_EXPECTS(last >= first, "wavelength range " + std::to_string(r.lo) + "-" + std::to_string(r.hi) +
                                      " contains no lattice pixel (pixels are " + to_string(grid) + " apart)");
  return {int32_t(first), int64_t(last - first) + 1, grid};
}

std::optional<lattice_window> overlap(const lattice_window& a, const lattice_window& b) {
  const int64_t lo = std::max<int64_t>(a.start, b.start), hi = std::min<int64_t>(a.end(), b.end());
  if (hi <= lo) return std::nullopt;
  SPECMILL_EXPECTS(same_grid(a.grid, b.grid), "overlap of windows on different grids");
  return lattice_window{int32_t(lo), hi - lo, a.grid};
}

}  // namespace specmill
