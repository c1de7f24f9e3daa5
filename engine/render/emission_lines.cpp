#include "engine/render/emission_lines.hpp"

#include <array>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace specmill {
namespace {

using enum line_kind;

// Vacuum rest wavelengths (Angstrom). Sources:
//  * the SDSS spectral-line table ("Table of Spectral Lines Used in SDSS", vacuum wavelengths,
//    classic.sdss.org/dr7/algorithms/linestable.html), which most entries copy with its digits;
//  * the idlspec2d pipeline's emission-line list as written in HDU 3 (SPZLINE, LINEWAVE) of the
//    BOSS spec files, for lines the SDSS table lacks: [Ne III] 3869, He II 4686, He I 5876,
//    [Ar III] 7135 (rounded to 0.01 A; tests/engine/render/emission_lines_test.cpp checks the shared
//    entries against a real file);
//  * Ly-alpha: 1215.67 (NIST; also the pipeline's LINEWAVE). The SDSS table's 1215.24 is off.
//  * C IV: 1549.06, the oscillator-strength-weighted centroid of the 1548.20/1550.77 doublet
//    (Vanden Berk et al. 2001, AJ 122, 549, Table 2); the SDSS table gives the unweighted 1549.48.
// Not included: the SDSS table's "N I 6529.03", whose identification is doubtful.
constexpr std::array<spectral_line, 40> table = {{
    {"O VI 1033", 1033.82, emission},
    {"Ly-alpha", 1215.67, emission},
    {"N V 1240", 1240.81, emission},
    {"O I 1305", 1305.53, emission},
    {"C II 1335", 1335.31, emission},
    {"Si IV + O IV] 1400", 1399.8, emission},
    {"C IV 1549", 1549.06, emission},
    {"He II 1640", 1640.4, emission},
    {"C III] 1908", 1908.734, emission},
    {"Mg II 2799", 2799.117, emission},
    {"[Ne V] 3346", 3346.79, emission},
    {"[Ne V] 3426", 3426.85, emission},
    {"[O II] 3726", 3727.092, emission},
    {"[O II] 3729", 3729.875, emission},
    {"[Ne III] 3869", 3869.86, emission},
    {"He I 3889", 3889.0, emission},
    {"Ca II K", 3934.777, absorption},
    {"Ca II H", 3969.588, absorption},
    {"H-delta", 4102.89, emission},
    {"G band", 4305.61, absorption},
    {"H-gamma", 4341.68, emission},
    {"[O III] 4363", 4364.436, emission},
    {"He II 4686", 4686.99, emission},
    {"H-beta", 4862.68, emission},
    {"[O III] 4959", 4960.295, emission},
    {"[O III] 5007", 5008.240, emission},
    {"Mg b", 5176.7, absorption},
    {"He I 5876", 5877.31, emission},
    {"Na D", 5895.6, absorption},
    {"[O I] 6300", 6302.046, emission},
    {"[O I] 6363", 6365.536, emission},
    {"[N II] 6548", 6549.86, emission},
    {"H-alpha", 6564.61, emission},
    {"[N II] 6583", 6585.27, emission},
    {"[S II] 6716", 6718.29, emission},
    {"[S II] 6731", 6732.67, emission},
    {"[Ar III] 7135", 7137.76, emission},
    {"Ca II 8500", 8500.36, absorption},
    {"Ca II 8544", 8544.44, absorption},
    {"Ca II 8664", 8664.52, absorption},
}};

void check_z(double z) {
  SPECMILL_EXPECTS(std::isfinite(z) && z > -1.0, "redshift must be finite and > -1, got " + std::to_string(z));
}

}  // namespace

std::span<const spectral_line> spectral_lines() { return table; }

double observed_wavelength(double rest_aa, double z) {
  check_z(z);
  return rest_aa * (1.0 + z);
}

std::vector<placed_line> lines_in_range(double z, double lo_aa, double hi_aa) {
  check_z(z);
  SPECMILL_EXPECTS(!(lo_aa > hi_aa), "wavelength range is empty: " + std::to_string(lo_aa) + " > " + std::to_string(hi_aa));
  std::vector<placed_line> out;
  for (const auto& l : table) {
    const double obs = l.rest_aa * (1.0 + z);
    if (obs >= lo_aa && obs <= hi_aa) out.push_back({&l, obs});
  }
  return out;  // the table is sorted, and (1 + z) > 0 keeps the order
}

const spectral_line* find_line(std::string_view name) {
  for (const auto& l : table)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace specmill
