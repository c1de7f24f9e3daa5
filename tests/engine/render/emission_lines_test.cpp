// The line table: sorted, redshifted as rest * (1 + z), range selection, and the shared entries
// checked against the SDSS pipeline's own emission-line list (HDU 3 LINEWAVE, vacuum) of a
// real BOSS file, within the 0.01 A our table rounds to.
#include "engine/render/emission_lines.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;

TEST(EmissionLines, TableIsSortedAndNamed) {
  const auto lines = spectral_lines();
  ASSERT_GE(lines.size(), 30u);
  for (size_t i = 1; i < lines.size(); ++i) EXPECT_LT(lines[i - 1].rest_aa, lines[i].rest_aa) << lines[i].name;
  ASSERT_NE(find_line("H-alpha"), nullptr);
  EXPECT_DOUBLE_EQ(find_line("H-alpha")->rest_aa, 6564.61);
  EXPECT_DOUBLE_EQ(find_line("Ly-alpha")->rest_aa, 1215.67);
  EXPECT_DOUBLE_EQ(find_line("C IV 1549")->rest_aa, 1549.06);
  EXPECT_DOUBLE_EQ(find_line("[O III] 5007")->rest_aa, 5008.24);
  EXPECT_EQ(find_line("Ca II K")->kind, line_kind::absorption);
  EXPECT_EQ(find_line("nonsense"), nullptr);
}

TEST(EmissionLines, PlacedAtARedshift) {
  EXPECT_DOUBLE_EQ(observed_wavelength(6564.61, 0.1), 6564.61 * 1.1);
  EXPECT_DOUBLE_EQ(observed_wavelength(1215.67, 0.0), 1215.67);
  EXPECT_THROW(observed_wavelength(1215.67, -1.0), invalid_argument);
  EXPECT_THROW(observed_wavelength(1215.67, NAN), invalid_argument);

  // A z = 2.355 quasar (spec-3655-55240-0002) on a BOSS spectrum, 3560-10320 A: Ly-alpha to
  // Mg II, not H-beta.
  const auto in = lines_in_range(2.355238, 3560.0, 10320.0);
  std::map<std::string, double> seen;
  for (const auto& p : in) seen[std::string(p.line->name)] = p.observed_aa;
  EXPECT_NEAR(seen.at("Ly-alpha"), 1215.67 * 3.355238, 1e-9);
  EXPECT_TRUE(seen.count("C IV 1549") && seen.count("C III] 1908") && seen.count("Mg II 2799"));
  EXPECT_FALSE(seen.count("H-beta"));
  for (size_t i = 1; i < in.size(); ++i) EXPECT_LT(in[i - 1].observed_aa, in[i].observed_aa);
  for (const auto& p : in) EXPECT_TRUE(p.observed_aa >= 3560.0 && p.observed_aa <= 10320.0);

  EXPECT_TRUE(lines_in_range(0.0, 100.0, 200.0).empty());
  EXPECT_EQ(lines_in_range(0.0, 6564.61, 6564.61).size(), 1u);  // inclusive bounds
  EXPECT_EQ(lines_in_range(0.0, 0.0, 1e6).size(), spectral_lines().size());
  EXPECT_THROW(lines_in_range(0.1, 5000.0, 4000.0), invalid_argument);
}

TEST(EmissionLines, MatchThePipelineLineListOfARealFile) {
  // Our name -> the pipeline's LINENAME.
  const std::map<std::string, std::string> names = {
      {"Ly-alpha", "Ly_alpha"},        {"N V 1240", "N_V 1240"},        {"C III] 1908", "C_III] 1908"},
      {"[O II] 3726", "[O_II] 3725"},  {"[O II] 3729", "[O_II] 3727"},  {"[Ne III] 3869", "[Ne_III] 3868"},
      {"H-delta", "H_delta"},          {"H-gamma", "H_gamma"},          {"[O III] 4363", "[O_III] 4363"},
      {"He II 4686", "He_II 4685"},    {"H-beta", "H_beta"},            {"[O III] 4959", "[O_III] 4959"},
      {"[O III] 5007", "[O_III] 5007"}, {"He I 5876", "He_I 5876"},     {"[O I] 6300", "[O_I] 6300"},
      {"[O I] 6363", "[O_I] 6363"},    {"[N II] 6548", "[N_II] 6548"},  {"H-alpha", "H_alpha"},
      {"[N II] 6583", "[N_II] 6583"},  {"[S II] 6716", "[S_II] 6716"},  {"[S II] 6731", "[S_II] 6730"},
      {"[Ar III] 7135", "[Ar_III] 7135"}};
  fits_file f = fits_file::open_read(test::shared_spectra() / "spec-3655-55240-0002.fits");
  f.move_to(3);
  const int name_col = *f.column_index("LINENAME"), wave_col = *f.column_index("LINEWAVE");
  std::map<std::string, double> pipeline;
  for (long row = 1; row <= f.rows(); ++row) {
    char buf[32] = {0};
    char* p = buf;
    double w = 0;
    int status = 0, anynul = 0;
    fits_read_col(native(f), TSTRING, name_col, row, 1, 1, nullptr, &p, &anynul, &status);
    fits_read_col(native(f), TDOUBLE, wave_col, row, 1, 1, nullptr, &w, &anynul, &status);
    f.check(status, "reading SPZLINE");
    std::string name(buf);
    name.erase(name.find_last_not_of(' ') + 1);
    pipeline[name] = w;
  }
  for (const auto& [ours, theirs] : names) {
    ASSERT_NE(find_line(ours), nullptr) << ours;
    ASSERT_TRUE(pipeline.count(theirs)) << theirs;
    EXPECT_NEAR(find_line(ours)->rest_aa, pipeline[theirs], 0.01) << ours;
  }
}
