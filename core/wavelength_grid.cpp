// Parsing and validation of target wavelength grids (wavelength_grid.hpp).
#include "core/wavelength_grid.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "core/error.hpp"
#include "core/text.hpp"

namespace specmill {
namespace {

constexpr std::string_view expected_form =
    "expected log:START,STOP,STEP (log10 Angstrom, e.g. log:3.55,4.0,1e-4) or "
    "lin:START,STOP,STEP (Angstrom, e.g. lin:3600,9000,1.5)";

[[noreturn]] void reject(std::string_view text, std::string_view why) {
  reject_text("wavelength grid", text, why, expected_form);
}

// to_chars' own form ("1e-04"): to_string(grid) has always printed it so.
std::string shortest(double x) { return shortest_number(x); }

std::string fixed4(double x) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x, std::chars_format::fixed, 4);
  return std::string(buf, res.ptr);
}

// As a real number: no int64 overflow for absurd grids. The 1e-9 slack keeps
// "log:3.55,4.0,1e-4" at 4501 pixels although (4.0 - 3.55) / 1e-4 is 4499.999999999... in double.
double pixel_count(const wavelength_grid& g) {
  return std::floor((g.stop - g.start) / g.step * (1 + 1e-9)) + 1;
}

// The checks shared by parsing and check_wavelength_grid; `text` is what the messages quote.
void check(const wavelength_grid& g, std::string_view text) {
  const bool log = g.kind == wavelength_grid::scale::log;
  if (!std::isfinite(g.start) || !std::isfinite(g.stop) || !std::isfinite(g.step))
    reject(text, "START, STOP and STEP must be finite numbers");
  if (!(g.step > 0)) reject(text, "STEP must be > 0");
  if (g.stop < g.start) reject(text, "STOP must be >= START");
  if (log && (g.start > 10 || g.stop > 10)) {
    // 10^10 Angstrom is a metre: these are Angstrom, not their log10.
    std::string why = "log grid takes log10(Angstrom); did you mean log:";
    why += fixed4(std::log10(std::max(g.start, 1e-300)));
    why += ',';
    why += fixed4(std::log10(std::max(g.stop, 1e-300)));
    why += ",1e-4?";
    reject(text, why);
  }
  if (!log && !(g.start > 0)) reject(text, "linear grid wavelengths must be > 0 Angstrom");
  // Relative pixel width at its narrowest: at STOP for a linear grid, everywhere for a log one.
  const double relative_step = log ? g.step * ln10 : g.step / g.stop;
  if (relative_step < min_relative_step)
    reject(text, "STEP is finer than 1e-8 of the wavelength (resolving power above 10^8)");
  if (pixel_count(g) > double(max_wavelength_grid_pixels))
    reject(text, "more than 1,000,000 pixels");
}

}  // namespace

int64_t wavelength_grid::size() const {
  if (!std::isfinite(start) || !std::isfinite(stop) || !(step > 0) || !std::isfinite(step) ||
      stop < start)
    return 0;
  const double n = pixel_count(*this);  // capped: absurd unchecked grids must not overflow
  return n < 9e18 ? int64_t(n) : int64_t(9e18);
}

void check_wavelength_grid(const wavelength_grid& grid) { check(grid, to_string(grid)); }

wavelength_grid parse_wavelength_grid(std::string_view text) {
  const std::string_view t = trim_blanks(text);
  if (t.empty()) reject(text, "empty");
  wavelength_grid g;
  if (t.substr(0, 4) == "log:")
    g.kind = wavelength_grid::scale::log;
  else if (t.substr(0, 4) == "lin:")
    g.kind = wavelength_grid::scale::linear;
  else
    reject(text, "it must start with 'log:' or 'lin:'");

  std::vector<std::string_view> fields;
  std::string_view rest = t.substr(4);
  for (;;) {
    const size_t comma = rest.find(',');
    fields.push_back(trim_blanks(rest.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (fields.size() != 3) {
    const size_t got = fields.size() == 1 && fields[0].empty() ? 0 : fields.size();
    reject(text, "it needs exactly 3 numbers START,STOP,STEP, got " + std::to_string(got));
  }
  double values[3];
  for (int i = 0; i < 3; ++i) {
    const std::string_view f = fields[size_t(i)];
    // from_chars takes no leading '+'; accept it as people write "+1e-4" now and then.
    const std::string_view digits = !f.empty() && f.front() == '+' ? f.substr(1) : f;
    const auto res = std::from_chars(digits.data(), digits.data() + digits.size(), values[i]);
    if (f.empty()) reject(text, "a number is missing");
    if (res.ec == std::errc::result_out_of_range) {
      std::string why = "'";
      why += f;
      why += "' is out of the range of a double";
      reject(text, why);
    }
    if (res.ec != std::errc() || res.ptr != digits.data() + digits.size()) {
      std::string why = "'";
      why += f;
      why += "' is not a number";
      reject(text, why);
    }
  }
  g.start = values[0];
  g.stop = values[1];
  g.step = values[2];
  check(g, text);
  return g;
}

std::string to_string(const wavelength_grid& grid) {
  std::string s = grid.kind == wavelength_grid::scale::log ? "log:" : "lin:";
  s += shortest(grid.start);
  s += ',';
  s += shortest(grid.stop);
  s += ',';
  s += shortest(grid.step);
  return s;
}

}  // namespace specmill
