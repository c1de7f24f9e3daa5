// fits_file: the RAII CFITSIO handle, its error reporting and its column/keyword helpers.
#include "io/fits/fits_file.hpp"

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "common/spec_patch.hpp"
#include "core/error.hpp"
#include "io/fits/fits_test_util.hpp"

namespace specmill {
namespace {

using test::real_spectrum;
using test::temp_dir;

TEST(fits_file, open_missing_file_throws_fits_error_naming_it) {
  temp_dir dir;
  const auto path = dir / "absent.fits";
  try {
    (void)fits_file::open_read(path);
    FAIL() << "opened a missing file";
  } catch (const fits_error& e) {
    EXPECT_NE(e.status, 0);
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CFITSIO status"), std::string::npos) << e.what();
  }
}

TEST(fits_file, fits_check_passes_zero_and_throws_otherwise) {
  EXPECT_NO_THROW(fits_check(0, "x.fits", "nothing"));
  try {
    fits_check(END_OF_FILE, "x.fits", "reading");
    FAIL();
  } catch (const fits_error& e) {
    EXPECT_EQ(e.status, END_OF_FILE);
    const std::string what = e.what();
    EXPECT_NE(what.find("reading: 'x.fits'"), std::string::npos) << what;
    EXPECT_NE(what.find("107"), std::string::npos) << what;
  }
}

TEST(fits_file, hdus_rows_and_columns_of_a_lite_file) {
  fits_file f = fits_file::open_read(real_spectrum("3655-55240-0002"));
  EXPECT_EQ(f.hdu_count(), 4);
  EXPECT_EQ(f.current_hdu(), 0);
  f.move_to(1);
  EXPECT_EQ(f.current_hdu(), 1);
  EXPECT_EQ(f.hdu_type(), BINARY_TBL);
  EXPECT_EQ(f.rows(), 4622);
  EXPECT_EQ(f.row_bytes(), 32);
  // Upper-case names in this file; lookups are case-insensitive.
  EXPECT_EQ(f.column_index("flux"), 1);
  EXPECT_EQ(f.column_index("LogLam"), 2);
  EXPECT_EQ(f.column_index("model"), 8);
  EXPECT_EQ(f.column_index("nope"), std::nullopt);
  EXPECT_EQ(f.column_index("flu"), std::nullopt);  // exact, no prefix match
  const auto& cols = f.columns();
  ASSERT_EQ(cols.size(), 8u);
  EXPECT_EQ(cols[3].name, "AND_MASK");
  EXPECT_EQ(cols[3].typecode, TINT32BIT);
  EXPECT_EQ(cols[3].offset, 12);
  EXPECT_EQ(cols[7].offset, 28);
  EXPECT_EQ(cols[0].typecode, TFLOAT);
  EXPECT_TRUE(cols[0].identity_scaling());
  f.move_to(2);
  EXPECT_EQ(f.rows(), 1);
  const fits_column* id = f.find_column("specobjid");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->typecode, TLONGLONG);
  EXPECT_EQ(id->zero, 9223372036854775808.0);
  EXPECT_EQ(f.columns().size(), 236u);
  // Offsets add up to the row width, so each column's offset is known.
  EXPECT_GE(f.columns().back().offset, 0);
  EXPECT_EQ(f.columns().back().offset + f.columns().back().bytes, f.row_bytes());
  EXPECT_THROW(f.move_to(9), fits_error);
  EXPECT_THROW(f.move_to(-1), invalid_argument);
}

TEST(fits_file, keywords_typed_and_optional) {
  fits_file f = fits_file::open_read(real_spectrum("0266-51602-0013"));
  EXPECT_EQ(f.key_long("PLATEID"), 266);
  EXPECT_EQ(f.key_long("MJD"), 51602);
  EXPECT_DOUBLE_EQ(f.key_double("COEFF1").value(), 1e-4);
  EXPECT_EQ(f.key_string("TELESCOP"), "SDSS 2.5-M");
  EXPECT_EQ(f.key_bool("VACUUM"), true);
  EXPECT_EQ(f.key_string("SPEC_ID"), "    299492975510054912");  // leading blanks kept
  EXPECT_EQ(f.key_string("RUN2D"), std::nullopt);                 // legacy: not in the header
  EXPECT_EQ(f.key_long("NO_SUCH"), std::nullopt);
  EXPECT_THROW(f.key_long("TELESCOP"), fits_error);  // a string is not an integer
  // An absent key leaves nothing on CFITSIO's error stack for the next error to inherit.
  char line[FLEN_ERRMSG];
  EXPECT_EQ(fits_read_errmsg(line), 0);
}

TEST(fits_file, move_transfers_ownership) {
  fits_file a = fits_file::open_read(real_spectrum("3657-55244-0552"));
  fitsfile* raw = native(a);
  fits_file b = std::move(a);
  EXPECT_EQ(native(b), raw);
  EXPECT_EQ(native(a), nullptr);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  fits_file c = fits_file::open_read(real_spectrum("3655-55240-0002"));
  c = std::move(b);  // closes c's old handle
  EXPECT_EQ(native(c), raw);
  c.move_to(1);
  EXPECT_EQ(c.rows(), 4619);
  c.close();
  EXPECT_EQ(native(c), nullptr);
  EXPECT_NO_THROW(c.close());  // closing twice is harmless
  EXPECT_THROW(c.rows(), invalid_argument);
}

TEST(fits_file, create_writes_a_file_that_reads_back_and_overwrites) {
  temp_dir dir;
  const auto path = dir / "made.fits";
  for (long long value : {1, 2}) {  // the second round must replace the first file
    fits_file f = fits_file::create(path);
    int status = 0;
    fits_create_img(native(f), BYTE_IMG, 0, nullptr, &status);
    fits_write_key(native(f), TLONGLONG, "ANSWER", &value, nullptr, &status);
    const char* names[] = {"a"};
    const char* forms[] = {"J"};
    fits_create_tbl(native(f), BINARY_TBL, 3, 1, const_cast<char**>(names), const_cast<char**>(forms), nullptr,
                    "T", &status);
    f.check(status, "write");
    f.close();
    fits_file r = fits_file::open_read(path);
    EXPECT_EQ(r.key_long("ANSWER"), value);
    EXPECT_EQ(r.hdu_count(), 2);
    r.move_to(1);
    EXPECT_EQ(r.rows(), 3);
    EXPECT_EQ(r.column_index("A"), 1);
  }
}

TEST(fits_file, create_in_missing_directory_throws_fits_error) {
  temp_dir dir;
  EXPECT_THROW(fits_file::create(dir / "no" / "such" / "dir.fits"), fits_error);
}

TEST(fits_file, columns_of_a_non_table_hdu_throw) {
  fits_file f = fits_file::open_read(real_spectrum("3655-55240-0002"));
  EXPECT_THROW(f.columns(), fits_error);  // primary HDU is an image
}

// open_memory_view reads the caller's bytes in place (ingest's buffer): no copy is made, and
// the file reads as it does from disk; open_memory keeps a copy of its own.
TEST(fits_file, memory_view_reads_the_callers_bytes_in_place) {
  const std::string s = test_support::slurp(real_spectrum("3655-55240-0002"));
  const std::vector<unsigned char> bytes(s.begin(), s.end());
  fits_file view = fits_file::open_memory_view(bytes, "view.fits");
  EXPECT_EQ(view.memory_bytes().data(), bytes.data());
  EXPECT_EQ(view.memory_bytes().size(), bytes.size());
  fits_file copy = fits_file::open_memory(bytes.data(), bytes.size(), "copy.fits");
  EXPECT_NE(copy.memory_bytes().data(), bytes.data());
  EXPECT_TRUE(fits_file::open_read(real_spectrum("3655-55240-0002")).memory_bytes().empty());
  fits_file disk = fits_file::open_read(real_spectrum("3655-55240-0002"));
  for (int hdu : {1, 2, 3}) {
    view.move_to(hdu);
    disk.move_to(hdu);
    EXPECT_EQ(view.rows(), disk.rows());
    EXPECT_EQ(view.hdu_address().data_end, disk.hdu_address().data_end);
  }
  EXPECT_EQ(view.file_bytes(), disk.file_bytes());
  EXPECT_THROW((void)fits_file::open_memory_view(std::span(bytes).first(bytes.size() - 1), "cut.fits"), fits_error);
}

}  // namespace
}  // namespace specmill
