// Construction, comparison and the text form of native grids (native_grid.hpp).
#include "core/native_grid.hpp"

#include <charconv>
#include <cmath>

#include "core/error.hpp"
#include "core/text.hpp"

namespace specmill {
namespace {

constexpr std::string_view expected_form =
    "expected log10:STEP (log10 Angstrom, e.g. log10:1e-4), linear:STEP (Angstrom, e.g. "
    "linear:0.8) or explicit";

[[noreturn]] void reject(std::string_view text, std::string_view why) {
  reject_text("native grid", text, why, expected_form);
}

// Shortest round-trip form, with the exponent as people write it: "1e-4", not to_chars' "1e-04".
std::string shortest(double x) { return shortest_number(x, true); }

void check_step(double step, bool log) {
  SPECMILL_EXPECTS(std::isfinite(step) && step > 0,
                   "a native grid's step must be a finite number > 0, got " + shortest(step));
  SPECMILL_EXPECTS(!log || step < 1, "a log10 lattice's step must be < 1 (a decade), got " + shortest(step));
}

}  // namespace

native_grid log10_lattice(double step) {
  check_step(step, true);
  return {grid_kind::log10_lattice, step, 1.0 / step, nullptr, 0};
}

native_grid linear_lattice(double step) {
  check_step(step, false);
  return {grid_kind::linear_lattice, step, 1.0 / step, nullptr, 0};
}

native_grid explicit_grid(const double* wavelengths, int64_t n) {
  SPECMILL_EXPECTS(wavelengths && n >= 1, "an explicit grid needs at least one wavelength");
  for (int64_t i = 0; i < n; ++i) {
    SPECMILL_EXPECTS(std::isfinite(wavelengths[i]) && wavelengths[i] > 0,
                     "explicit grid wavelength " + std::to_string(i) + " is not a finite number > 0");
    SPECMILL_EXPECTS(i == 0 || wavelengths[i] > wavelengths[i - 1],
                     "explicit grid wavelengths must ascend strictly (entry " + std::to_string(i) + ")");
  }
  native_grid g;
  g.kind = grid_kind::explicit_list;
  g.step = 0;
  g.inv_step = 0;
  g.wavelengths = wavelengths;
  g.n_wavelengths = n;
  return g;
}

bool same_grid(const native_grid& a, const native_grid& b) {
  if (a.kind != b.kind) return false;
  if (a.kind != grid_kind::explicit_list) return a.step == b.step;
  if (a.n_wavelengths != b.n_wavelengths) return false;
  for (int64_t i = 0; i < a.n_wavelengths; ++i)
    if (a.wavelengths[i] != b.wavelengths[i]) return false;
  return true;
}

std::string to_string(const native_grid& grid) {
  switch (grid.kind) {
    case grid_kind::log10_lattice: return "log10:" + shortest(grid.step);
    case grid_kind::linear_lattice: return "linear:" + shortest(grid.step);
    case grid_kind::explicit_list: return "explicit";
  }
  return "unknown";
}

native_grid parse_native_grid(std::string_view text) {
  const std::string_view t = trim_blanks(text);
  if (t.empty()) reject(text, "empty");
  if (t == "explicit") {
    native_grid g;
    g.kind = grid_kind::explicit_list;
    g.step = g.inv_step = 0;
    return g;
  }
  const size_t colon = t.find(':');
  if (colon == std::string_view::npos) reject(text, "no ':' between the kind and the step");
  const std::string_view kind = trim_blanks(t.substr(0, colon)), number = trim_blanks(t.substr(colon + 1));
  const bool log = kind == "log10";
  if (!log && kind != "linear") reject(text, "the kind must be 'log10' or 'linear'");
  if (number.empty()) reject(text, "the step is missing");
  double step = 0;
  const auto res = std::from_chars(number.data(), number.data() + number.size(), step);
  if (res.ec != std::errc() || res.ptr != number.data() + number.size()) reject(text, "the step is not a number");
  if (!std::isfinite(step) || !(step > 0)) reject(text, "the step must be a finite number > 0");
  if (log && !(step < 1)) reject(text, "a log10 step must be < 1");
  return log ? log10_lattice(step) : linear_lattice(step);
}

std::string describe_lattice(const native_grid& grid) {
  if (same_grid(grid, sdss_native_grid)) return "loglam = index * 1e-4";
  switch (grid.kind) {
    case grid_kind::log10_lattice: return "loglam = index * " + shortest(grid.step);
    case grid_kind::linear_lattice: return "lambda = index * " + shortest(grid.step) + " A";
    case grid_kind::explicit_list: break;
  }
  return "explicit";
}

void require_log10_lattice(const native_grid& grid, std::string_view operation) {
  if (grid.is_log_lattice()) return;
  std::string msg(operation);
  msg += " works on log10 lattices only (this store's grid is ";
  msg += to_string(grid);
  msg += ")";
  throw invalid_argument(msg);
}

}  // namespace specmill
