// Filter curves: the shipped SDSS tables, user files in both formats, name resolution, and
// malformed files, each of which must raise data_error naming the file and line.
#include "io/filters/filter_curve.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

#include "common/temp_dir.hpp"
#include "core/error.hpp"

namespace specmill {
namespace {

using test_support::temp_dir;

std::filesystem::path write(const temp_dir& d, const std::string& name, const std::string& text) {
  const auto p = d / name;
  std::ofstream(p) << text;
  return p;
}

// Expects data_error whose message names the file and contains `needle` (e.g. ":7:").
void expect_malformed(const std::filesystem::path& p, const std::string& needle) {
  try {
    (void)read_filter_curve(p);
    ADD_FAILURE() << "no exception for " << p;
  } catch (const data_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(p.string()), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << "'" << needle << "' not in: " << what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << p << ": " << e.what();
  }
}

const char* ecsv_header =
    "# %ECSV 1.0\n"
    "# ---\n"
    "# datatype:\n"
    "# - {name: wavelength, unit: Angstrom, datatype: float64}\n"
    "# - {name: response, datatype: float64}\n"
    "# meta: !!omap\n"
    "# - {band_name: x}\n";

TEST(FilterCurve, ShippedSdssCurves) {
  const auto names = shipped_filter_names();
  // 10 SDSS curves (with and without atmosphere) and DECam g, r, z for DESI.
  ASSERT_EQ(names.size(), 13u);
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const auto& n) { return n.rfind("sdss2010", 0) == 0; }), 10);
  EXPECT_EQ(std::count_if(names.begin(), names.end(), [](const auto& n) { return n.rfind("decam2014-", 0) == 0; }), 3);
  const filter_curve r = load_filter("sdss2010-r");
  EXPECT_EQ(r.name, "sdss2010-r");
  ASSERT_EQ(r.wavelength.size(), 86u);
  EXPECT_EQ(r.wavelength.front(), 5379.0);
  EXPECT_EQ(r.response.front(), 0.0);
  EXPECT_EQ(r.wavelength[1], 5380.0);
  EXPECT_DOUBLE_EQ(r.response[1], 0.00017114);
  EXPECT_EQ(r.wavelength.back(), 7041.0);
  for (const auto& n : names) {
    const auto f = load_filter(n);
    EXPECT_GE(f.wavelength.size(), 80u) << n;
    EXPECT_GT(*std::max_element(f.response.begin(), f.response.end()), 0.08) << n;
  }
  const auto all = load_filters("sdss2010-u, sdss2010-g,sdss2010-r,sdss2010-i,sdss2010-z");
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[4].name, "sdss2010-z");
  EXPECT_EQ(all[4].wavelength.size(), 174u);
}

TEST(FilterCurve, EcsvVariants) {
  temp_dir d;
  // Columns in another order, a declared unit of nm, extra columns, a comma delimiter.
  auto p = write(d, "nm.ecsv",
                 "# %ECSV 1.0\n# ---\n# delimiter: ','\n# datatype:\n"
                 "# - {name: response, datatype: float64}\n"
                 "# - {name: wavelength, unit: nm, datatype: float64}\n# - {name: note, datatype: string}\n"
                 "response,wavelength,note\n0.0,500,a\n0.5,501.5,b\n0.0,503,c\n");
  const auto f = read_filter_curve(p);
  EXPECT_EQ(f.name, "nm");
  ASSERT_EQ(f.wavelength.size(), 3u);
  EXPECT_DOUBLE_EQ(f.wavelength[1], 5015.0);
  EXPECT_DOUBLE_EQ(f.response[1], 0.5);
  EXPECT_EQ(read_filter_curve(p, "custom").name, "custom");
}

TEST(FilterCurve, TwoColumnText) {
  temp_dir d;
  const auto p = write(d, "band.txt", "# my band\n\n4000 0   # edge\n4100\t0.3\n  4200 0.5 extra\n4300 0\n");
  const auto f = read_filter_curve(p);
  EXPECT_EQ(f.name, "band");
  ASSERT_EQ(f.wavelength.size(), 4u);
  EXPECT_EQ(f.wavelength[2], 4200.0);
  EXPECT_EQ(f.response[1], 0.3);
  // A path (it has a '/' or a '.') goes to the file, not to the shipped curves.
  EXPECT_EQ(load_filter(p.string()).wavelength.size(), 4u);
}

TEST(FilterCurve, MalformedFiles) {
  temp_dir d;
  expect_malformed(write(d, "empty.txt", ""), "at least 2 points");
  expect_malformed(write(d, "one.txt", "5000 0.5\n"), "at least 2 points");
  expect_malformed(write(d, "word.txt", "5000 0.1\n5010 abc\n"), ":2:");
  expect_malformed(write(d, "half.txt", "5000 0.1\n5010 0.2\n5020\n"), ":3:");
  expect_malformed(write(d, "trunc.txt", "5000 0.1\n5010 0.2\n50"), ":3:");  // cut mid-file: 1 field
  expect_malformed(write(d, "decr.txt", "5000 0.1\n5010 0.2\n5005 0.3\n"), ":3: wavelengths must increase");
  expect_malformed(write(d, "dup.txt", "5000 0.1\n5000 0.2\n"), ":2:");
  expect_malformed(write(d, "neg.txt", "5000 0.1\n5010 -0.2\n"), ":2: negative");
  expect_malformed(write(d, "nan.txt", "5000 0.1\n5010 nan\n"), ":2:");
  expect_malformed(write(d, "inf.txt", "5000 0.1\ninf 0.2\n"), ":2:");
  expect_malformed(write(d, "zero.txt", "5000 0\n5010 0\n"), "zero everywhere");
  expect_malformed(write(d, "header.txt", "wavelength response\n5000 0.1\n5010 0.2\n"), ":1:");
  expect_malformed(write(d, "nohead.ecsv", std::string(ecsv_header)), "no column header");
  expect_malformed(write(d, "norows.ecsv", std::string(ecsv_header) + "wavelength response\n"), "at least 2 points");
  expect_malformed(write(d, "nocol.ecsv", std::string(ecsv_header) + "wavelength throughput\n5000 0.1\n5010 0.2\n"),
                   "no 'response' column");
  expect_malformed(write(d, "short.ecsv", std::string(ecsv_header) + "wavelength response\n5000 0.1\n5010\n"), ":10:");
  expect_malformed(write(d, "unit.ecsv",
                         "# %ECSV 1.0\n# ---\n# datatype:\n# - {name: wavelength, unit: Hz, datatype: float64}\n"
                         "wavelength response\n1 0\n2 1\n"),
                   "unsupported wavelength unit");
}

TEST(FilterCurve, NamesAndMissingFiles) {
  EXPECT_THROW(read_filter_curve("/nonexistent/x.ecsv"), not_found);
  EXPECT_THROW(load_filter("./nonexistent.ecsv"), not_found);
  try {
    (void)load_filter("sdss2010-q");
    ADD_FAILURE() << "no exception";
  } catch (const not_found& e) {
    EXPECT_NE(std::string(e.what()).find("sdss2010-r"), std::string::npos) << e.what();  // lists the known ones
  }
  EXPECT_THROW(load_filters(""), invalid_argument);
  EXPECT_THROW(load_filters("sdss2010-r,,sdss2010-g"), invalid_argument);
  EXPECT_THROW(load_filters("sdss2010-r,sdss2010-r"), invalid_argument);
}

TEST(FilterCurve, DataDirFromEnvironment) {
  temp_dir d;
  std::filesystem::create_directories(d / "filters");
  write(d, "filters/mine.ecsv", std::string(ecsv_header) + "wavelength response\n5000 0\n5010 1\n5020 0\n");
  const char* old = std::getenv("SPECMILL_DATA_DIR");
  const std::string saved = old ? old : "";
  ::setenv("SPECMILL_DATA_DIR", d.path().c_str(), 1);
  EXPECT_EQ(filter_data_dir(), d / "filters");
  EXPECT_EQ(load_filter("mine").wavelength.size(), 3u);
  EXPECT_THROW(load_filter("sdss2010-r"), not_found);
  if (old)
    ::setenv("SPECMILL_DATA_DIR", saved.c_str(), 1);
  else
    ::unsetenv("SPECMILL_DATA_DIR");
  EXPECT_EQ(load_filter("sdss2010-r").wavelength.size(), 86u);
}

}  // namespace
}  // namespace specmill
