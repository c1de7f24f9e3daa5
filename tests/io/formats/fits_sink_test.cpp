// The fits sink: binary tables through io/fits, to a file and to a stream (the same bytes: a
// stream gets the staged file), read back through fits_file.
#include <gtest/gtest.h>

#include <cstdlib>

#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::fits_values;
using test_support::fits_vla_length;

// Writes the file and the stream, checks they are the same bytes, returns the file's path
// (inside `dir`).
fs::path file_and_stream(const table_data& d, const temp_dir& dir) {
  const fs::path p = dir / "out.fits";
  const std::string file = write_file(output_format::fits, d, p);
  EXPECT_EQ(file, write_stream(output_format::fits, d));
  EXPECT_EQ(file.size() % 2880, 0u);
  expect_only(dir.path(), {"out.fits"});
  return p;
}

std::vector<std::string> column_names(fits_file& f) {
  std::vector<std::string> out;
  for (const auto& c : f.columns()) out.push_back(c.name);
  return out;
}

TEST(FitsSink, RaggedRowPerFoundItemWithVariableLengthColumns) {
  temp_dir dir;
  const table_data d = ragged_case();
  fits_file f = fits_file::open_read(file_and_stream(d, dir));
  f.move_to(1);
  EXPECT_EQ(f.key_string("EXTNAME"), "SPECTRA");
  EXPECT_EQ(f.key_string("CONTEXT"), "sdss_dr16");
  EXPECT_EQ(column_names(f), (std::vector<std::string>{"SPECOBJID", "PLATE", "MJD", "FIBERID", "NPIX", "flux", "and_mask"}));
  EXPECT_EQ(f.key_string("TFORM6"), "1PE(4)");
  EXPECT_EQ(f.key_string("TFORM7"), "1PJ(4)");
  ASSERT_EQ(f.rows(), 4);  // items 1 and 4 have no pixels
  const auto flux = d.column<float>(0);
  const auto mask = d.column<int32_t>(1);
  long long row = 0;
  for (size_t i = 0; i < d.schema.rows(); ++i) {
    if (!d.schema.found[i]) continue;
    ++row;
    const long long npix = d.schema.offsets[i + 1] - d.schema.offsets[i];
    EXPECT_EQ(fits_values<unsigned long long>(f, 1, row, 1)[0], d.schema.specobjid[i]);
    EXPECT_EQ(fits_values<int>(f, 2, row, 1)[0], d.schema.plate[i]);
    EXPECT_EQ(fits_values<int>(f, 4, row, 1)[0], d.schema.fiberid[i]);
    EXPECT_EQ(fits_values<int>(f, 5, row, 1)[0], npix);
    ASSERT_EQ(fits_vla_length(f, 6, row), npix);
    const auto got = fits_values<float>(f, 6, row, npix);
    EXPECT_EQ(std::memcmp(got.data(), &flux[size_t(d.schema.offsets[i])], size_t(npix) * 4), 0);
    const auto got_mask = fits_values<int>(f, 7, row, npix);
    EXPECT_TRUE(std::equal(got_mask.begin(), got_mask.end(), mask.begin() + d.schema.offsets[i]));
  }
}

TEST(FitsSink, DenseVectorsThenGridTable) {
  temp_dir dir;
  const table_data d = dense_case();
  fits_file f = fits_file::open_read(file_and_stream(d, dir));
  EXPECT_EQ(f.hdu_count(), 3);
  f.move_to(1);
  EXPECT_EQ(column_names(f), (std::vector<std::string>{"SPECOBJID", "FOUND", "FLUX", "IVAR", "AND_MASK"}));
  EXPECT_EQ(f.key_string("TFORM3"), "4E");
  EXPECT_EQ(f.key_string("GRID"), "lattice 35500+4 (loglam = index * 1e-4)");
  ASSERT_EQ(f.rows(), 3);
  const auto ivar = d.column<float>(1);
  for (long long r = 0; r < 3; ++r) {
    EXPECT_EQ(fits_values<unsigned long long>(f, 1, r + 1, 1)[0], d.schema.specobjid[size_t(r)]);
    EXPECT_EQ(fits_values<char>(f, 2, r + 1, 1)[0] != 0, d.schema.found[size_t(r)] != 0);
    const auto got = fits_values<float>(f, 4, r + 1, 4);
    EXPECT_EQ(std::memcmp(got.data(), &ivar[size_t(r) * 4], 16), 0);
  }
  f.move_to(2);
  EXPECT_EQ(f.key_string("EXTNAME"), "GRID");
  EXPECT_EQ(column_names(f), (std::vector<std::string>{"LOGLAM", "WAVELENGTH"}));
  EXPECT_EQ(f.key_string("TUNIT2"), "Angstrom");
  EXPECT_FALSE(f.key_string("TUNIT1"));
  EXPECT_EQ(fits_values<double>(f, 2, 1, 4), d.schema.wavelength);
}

TEST(FitsSink, TableWithMetadataKeywords) {
  temp_dir dir;
  table_data d = table_case();
  const std::string long_text(150, 'x');  // past one card: CONTINUE cards
  d.schema.metadata.push_back({"grid", long_text, "GRID", "wavelength grid"});
  fits_file f = fits_file::open_read(file_and_stream(d, dir));
  f.move_to(1);
  EXPECT_EQ(f.key_string("EXTNAME"), "STACK");
  EXPECT_EQ(column_names(f), (std::vector<std::string>{"WAVELENGTH", "FLUX", "N"}));
  EXPECT_EQ(f.key_string("TFORM1"), "1D");
  EXPECT_EQ(f.key_string("TUNIT1"), "Angstrom");
  EXPECT_EQ(f.key_string("METHOD"), "median");
  EXPECT_EQ(f.key_double("SIGMA"), 3.0);
  EXPECT_EQ(f.key_long("NUSED"), 10);
  EXPECT_FALSE(f.key_long("TILES"));  // no header_key: not a keyword
  char* text = nullptr;
  int status = 0;
  fits_read_key_longstr(native(f), "GRID", &text, nullptr, &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(std::string(text), long_text);
  std::free(text);
  EXPECT_EQ(fits_values<double>(f, 1, 1, 5), d.column<double>(0));
  EXPECT_EQ(fits_values<int>(f, 3, 1, 5), d.column<int32_t>(2));
}

TEST(FitsSink, ZeroRows) {
  temp_dir dir;
  {
    fits_file f = fits_file::open_read(file_and_stream(ragged_case(0), dir));
    f.move_to(1);
    EXPECT_EQ(f.rows(), 0);
  }
  fs::remove(dir / "out.fits");
  fits_file f = fits_file::open_read(file_and_stream(dense_case(0), dir));
  f.move_to(1);
  EXPECT_EQ(f.rows(), 0);
  f.move_to(2);
  EXPECT_EQ(f.rows(), 4);  // the grid is there all the same
}

TEST(FitsSink, AbandonedLeavesNoFile) {
  expect_abandon_leaves_nothing(output_format::fits, ragged_case());
  expect_abandon_leaves_nothing(output_format::fits, dense_case());
  expect_abandon_keeps_older_file(output_format::fits, ragged_case());
}

TEST(FitsSink, StreamErrorsPropagateAndTheStagedFileGoes) {
  temp_dir tmp;
  scoped_tmpdir in(tmp.path());
  expect_stream_error_propagates(output_format::fits, dense_case());
  expect_only(tmp.path(), {});
}

TEST(FitsSink, RaggedNeedsTheItemsKeys) {
  table_data d = ragged_case();
  d.schema.plate.clear();
  d.schema.mjd.clear();
  d.schema.fiberid.clear();
  temp_dir dir;
  EXPECT_THROW(begin_table(output_format::fits, d.schema, output_target(dir / "x.fits")), invalid_argument);
  expect_only(dir.path(), {});
}

}  // namespace
}  // namespace specmill::test
