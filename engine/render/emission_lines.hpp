#pragma once
// Common emission and absorption lines of galaxy, quasar and stellar spectra at vacuum rest
// wavelengths (SDSS wavelengths are vacuum), and where they fall at a redshift: for plots
// and line-window masks in the fronts.
#include <span>
#include <string_view>
#include <vector>

namespace specmill {

enum class line_kind { emission, absorption };

struct spectral_line {
  std::string_view name;  // e.g. "H-alpha", "[O III] 5007", "Ca II K"
  double rest_aa;         // vacuum rest wavelength, Angstrom
  line_kind kind;
};

// The table, sorted by rest wavelength. Sources in emission_lines.cpp.
std::span<const spectral_line> spectral_lines();

// Observed wavelength of a rest wavelength at redshift z: rest * (1 + z).
// Throws invalid_argument unless z is finite and > -1.
double observed_wavelength(double rest_aa, double z);

struct placed_line {
  const spectral_line* line;
  double observed_aa;
};

// The lines whose observed wavelength at redshift z lies in [lo_aa, hi_aa], by wavelength.
// Throws invalid_argument for a bad z or lo_aa > hi_aa.
std::vector<placed_line> lines_in_range(double z, double lo_aa, double hi_aa);

// The table entry of that exact name, or nullptr.
const spectral_line* find_line(std::string_view name);

}  // namespace specmill
