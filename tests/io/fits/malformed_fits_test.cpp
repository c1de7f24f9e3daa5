// Broken and inconsistent inputs: each must raise the right specmill exception type with a
// message naming the file, never crash or return a spectrum that lies.
#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/sdss_catalog_reader.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace specmill {
namespace {

using test::expect_read_throws;
using test::temp_dir;

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

void truncate_copy(const std::filesystem::path& from, const std::filesystem::path& to, int64_t size) {
  std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing);
  std::filesystem::resize_file(to, uintmax_t(size));
}

TEST(malformed_fits, text_file_is_fits_error) {
  temp_dir dir;
  const auto path = dir / "spec-not-fits.fits";
  write_bytes(path, "PLATE,MJD,FIBERID\n3655,55240,2\n");
  expect_read_throws<fits_error>(path);
}

TEST(malformed_fits, empty_file_is_fits_error) {
  temp_dir dir;
  const auto path = dir / "spec-empty.fits";
  write_bytes(path, "");
  expect_read_throws<fits_error>(path);
}

TEST(malformed_fits, missing_file_is_fits_error) {
  temp_dir dir;
  expect_read_throws<fits_error>(dir / "spec-does-not-exist.fits");
}

TEST(malformed_fits, truncated_files_are_fits_errors) {
  temp_dir dir;
  for (const char* stem : {"3655-55240-0002", "0266-51602-0013"}) {
    const auto real = test::real_spectrum(stem);
    fits_file f = fits_file::open_read(real);
    f.move_to(1);
    const auto coadd = f.hdu_address();
    f.move_to(2);
    const auto meta = f.hdu_address();
    const int64_t cuts[] = {
        100,                                            // inside the primary header
        coadd.header_start + 1000,                      // inside the COADD header
        coadd.data_start + 7,                           // first COADD row
        (coadd.data_start + coadd.data_end) / 2,        // middle of the COADD data
        coadd.data_end - 1,                             // last COADD byte
        meta.header_start + 2880 + 17,                  // inside the HDU 2 header
        meta.data_start + 100,                          // inside the HDU 2 row
    };
    for (int64_t cut : cuts) {
      SCOPED_TRACE(std::string(stem) + " cut at " + std::to_string(cut));
      const auto path = dir / ("spec-cut-" + std::to_string(cut) + ".fits");
      truncate_copy(real, path, cut);
      expect_read_throws<fits_error>(path);
    }
  }
}

// fuzz/fuzz_sdss_spec_reader: CFITSIO's memory driver read past the end of a truncated buffer
// (a heap-buffer-overflow under ASan at the first seed cut to 32768 bytes). A file in memory
// must read as it does on disk, and every cut, on a record boundary or not, is a fits_error.
TEST(malformed_fits, truncated_in_memory_files_are_fits_errors) {
  for (const char* stem : {"3655-55240-0002", "0266-51602-0013"}) {
    const auto real = test::real_spectrum(stem);
    std::ifstream in(real, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const sdss_spectrum whole = read_sdss_spectrum(bytes.data(), bytes.size(), real);
    EXPECT_EQ(whole.data.npix(), read_sdss_spectrum(real).data.npix());
    EXPECT_EQ(whole.meta.specobjid, read_sdss_spectrum(real).meta.specobjid);

    fits_file f = fits_file::open_read(real);
    f.move_to(1);
    const auto coadd = f.hdu_address();
    f.move_to(2);
    const auto meta = f.hdu_address();
    const auto record = [](int64_t at) { return at / 2880 * 2880; };
    const int64_t cuts[] = {0, 100, 2880, 32768, coadd.data_start + 7, record((coadd.data_start + coadd.data_end) / 2),
                            record(coadd.data_end - 1), meta.data_start, int64_t(bytes.size()) - 1};
    for (int64_t cut : cuts) {
      SCOPED_TRACE(std::string(stem) + " cut at " + std::to_string(cut));
      EXPECT_THROW((void)read_sdss_spectrum(bytes.data(), size_t(cut), real), fits_error);
    }
  }
}

// fuzz/fuzz_sdss_spec_reader: a primary-header integer CFITSIO cannot convert, longer than ~28
// characters, overflowed CFITSIO 4.2's error-message buffer and glibc aborted the process (a
// whole ingest batch lost to one bad file). It is a fits_error naming the keyword now.
TEST(malformed_fits, long_unconvertible_integer_keyword_is_fits_error) {
  temp_dir dir;
  const auto path = dir / "spec-bad-fiberid.fits";
  std::filesystem::copy_file(test::real_spectrum("10656-58163-0366"), path);
  {
    fits_file f = fits_file::open_update(path);
    char card[] = "FIBERID =    (             366 / Fiber number (1-1000)";
    int status = 0;
    fits_update_card(native(f), "FIBERID", card, &status);
    f.check(status, "cannot rewrite FIBERID");
    f.close();
  }
  expect_read_throws<fits_error>(path, "FIBERID");
  // A short bad value is CFITSIO's own error, as before.
  {
    fits_file f = fits_file::open_update(path);
    char card[] = "FIBERID = 'x366'";
    int status = 0;
    fits_update_card(native(f), "FIBERID", card, &status);
    f.check(status, "cannot rewrite FIBERID");
    f.close();
  }
  expect_read_throws<fits_error>(path, "FIBERID");
}

// fuzz/fuzz_sdss_spec_reader: with FIBERID twice in the header, the length check read the first
// card and CFITSIO's typed read (which searches on from the last card read) converted the second,
// "(   366 / ...", which overflowed its message buffer and aborted the process. Both now read the
// first card: a header with a good FIBERID first reads it; a bad one first is refused.
TEST(malformed_fits, duplicated_integer_keyword_is_checked_where_it_is_read) {
  temp_dir dir;
  const auto path = dir / "spec-two-fiberids.fits";
  std::filesystem::copy_file(test::real_spectrum("10656-58163-0366"), path);
  {
    fits_file f = fits_file::open_update(path);
    char bad[] = "FIBERID =    (             366 / Fiber number (1-1000)";
    int status = 0;
    fits_update_card(native(f), "FIBERID", bad, &status);
    char good[] = "FIBERID =                  366 / an earlier copy of the card";
    fits_insert_record(native(f), 5, good, &status);
    f.check(status, "cannot write the FIBERID cards");
    f.close();
  }
  EXPECT_EQ(read_sdss_spectrum(path).meta.fiberid, 366);
  {
    fits_file f = fits_file::open_update(path);
    int status = 0;
    fits_delete_record(native(f), 5, &status);
    char bad[] = "FIBERID =    (             366 / a bad copy first";
    fits_insert_record(native(f), 5, bad, &status);
    f.check(status, "cannot write the FIBERID cards");
    f.close();
  }
  expect_read_throws<fits_error>(path, "FIBERID");
}

// fuzz/fuzz_sdss_spec_reader: a text field (OBJTYPE, CLASS, RUN2D ...) stored as a number was
// formatted by CFITSIO through its TDISPn, which could write past our row buffer (24 bytes into
// a 33-byte row) or past CFITSIO's own 80-byte one. Numbers are read as numbers now.
TEST(malformed_fits, numeric_text_column_with_wide_display_format_reads_as_a_number) {
  temp_dir dir;
  const auto path = dir / "spec-numeric-objtype.fits";
  std::filesystem::copy_file(test::real_spectrum("10656-58163-0366"), path);
  {
    fits_file f = fits_file::open_update(path);
    f.move_to(2);
    const int col = f.column_index("OBJTYPE").value();
    int status = 0;
    fits_delete_col(native(f), col, &status);
    char name[] = "OBJTYPE", form[] = "D", key[] = "TDISPnnn", display[] = "F70.2";
    fits_insert_col(native(f), col, name, form, &status);
    const double value = 1e300;
    fits_write_col(native(f), TDOUBLE, col, 1, 1, 1, const_cast<double*>(&value), &status);
    std::snprintf(key, sizeof key, "TDISP%d", col);
    fits_update_key(native(f), TSTRING, key, display, nullptr, &status);
    f.check(status, "cannot rewrite OBJTYPE");
    f.close();
  }
  const sdss_spectrum s = read_sdss_spectrum(path);
  EXPECT_EQ(s.meta.objtype, "1.0000000000000001e+300");
  EXPECT_EQ(s.meta.class_name, "QSO");
}

TEST(malformed_fits, file_ending_after_coadd_is_data_error) {
  // Cut exactly at an HDU boundary: valid FITS, but no metadata HDU.
  temp_dir dir;
  const auto real = test::real_spectrum("3655-55240-0002");
  fits_file f = fits_file::open_read(real);
  f.move_to(2);
  const auto path = dir / "spec-two-hdus.fits";
  truncate_copy(real, path, f.hdu_address().header_start);
  expect_read_throws<data_error>(path, "no HDU 2");
}

TEST(malformed_fits, primary_hdu_only_is_data_error) {
  temp_dir dir;
  const auto path = dir / "spec-primary-only.fits";
  {
    fits_file f = fits_file::create(path);
    int status = 0;
    fits_create_img(native(f), BYTE_IMG, 0, nullptr, &status);
    test::ok(status, f, "primary");
    f.close();
  }
  expect_read_throws<data_error>(path, "no HDU 1");
}

TEST(malformed_fits, image_instead_of_coadd_table_is_data_error) {
  temp_dir dir;
  const auto path = dir / "spec-image.fits";
  {
    fits_file f = fits_file::create(path);
    int status = 0;
    long axes[] = {10};
    fits_create_img(native(f), BYTE_IMG, 0, nullptr, &status);
    fits_create_img(native(f), FLOAT_IMG, 1, axes, &status);
    test::ok(status, f, "images");
    f.close();
  }
  expect_read_throws<data_error>(path, "not a binary table");
}

// Edits a copy of a real file in place with CFITSIO.
template <class Edit>
std::filesystem::path edited_copy(const temp_dir& dir, const std::string& stem, int hdu, Edit edit) {
  const auto path = dir.copy_of(stem);
  fits_file f = fits_file::open_update(path);
  f.move_to(hdu);
  int status = 0;
  edit(f, status);
  test::ok(status, f, "edit");
  f.close();
  return path;
}

int col(fits_file& f, const char* name) {
  const auto c = f.column_index(name);
  if (!c) throw std::runtime_error(std::string("test setup: no column ") + name);
  return *c;
}

TEST(malformed_fits, coadd_without_ivar_is_data_error) {
  temp_dir dir;
  for (const char* stem : {"3655-55240-0002", "0266-51602-0013"}) {
    const auto path = edited_copy(dir, stem, 1, [](fits_file& f, int& status) {
      fits_delete_col(native(f), col(f, "ivar"), &status);
    });
    expect_read_throws<data_error>(path, "'ivar' missing");
  }
}

TEST(malformed_fits, nan_loglam_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "3655-55240-0002", 1, [](fits_file& f, int& status) {
    float nan = std::numeric_limits<float>::quiet_NaN();
    fits_write_col(native(f), TFLOAT, col(f, "loglam"), 500, 1, 1, &nan, &status);
  });
  expect_read_throws<data_error>(path, "non-finite loglam at pixel 499");
}

TEST(malformed_fits, nan_first_loglam_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "0266-51602-0013", 1, [](fits_file& f, int& status) {
    float inf = std::numeric_limits<float>::infinity();
    fits_write_col(native(f), TFLOAT, col(f, "loglam"), 1, 1, 1, &inf, &status);
  });
  expect_read_throws<data_error>(path, "loglam[0]");
}

TEST(malformed_fits, nonfinite_flux_is_zeroed_counted_and_unweighted) {
  temp_dir dir;
  const auto real = read_sdss_spectrum(test::real_spectrum("3655-55240-0002"));
  const auto path = edited_copy(dir, "3655-55240-0002", 1, [](fits_file& f, int& status) {
    float nan = std::numeric_limits<float>::quiet_NaN();
    float inf = std::numeric_limits<float>::infinity();
    fits_write_col(native(f), TFLOAT, col(f, "flux"), 11, 1, 1, &nan, &status);   // pixel 10
    fits_write_col(native(f), TFLOAT, col(f, "sky"), 21, 1, 1, &inf, &status);    // pixel 20
    fits_write_col(native(f), TFLOAT, col(f, "ivar"), 31, 1, 1, &nan, &status);   // pixel 30
    fits_write_col(native(f), TFLOAT, col(f, "flux"), 31, 1, 1, &nan, &status);   // same pixel
  });
  // Capture the warning the reader logs (the test main raises the level to err).
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(8);
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", sink));
  spdlog::set_level(spdlog::level::warn);
  const sdss_spectrum s = read_sdss_spectrum(path);
  spdlog::set_default_logger(previous);
  spdlog::set_level(spdlog::level::err);
  const auto lines = sink->last_formatted();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(path.string() + ": 3 pixel"), std::string::npos) << lines[0];
  EXPECT_EQ(s.data.nonfinite_pixels, 3);
  EXPECT_EQ(s.data.flux[10], 0.0f);
  EXPECT_EQ(s.data.ivar[10], 0.0f);
  EXPECT_NE(real.data.ivar[10], 0.0f);  // the zero came from the reader, not the file
  EXPECT_EQ(s.data.sky[20], 0.0f);
  EXPECT_EQ(s.data.ivar[20], 0.0f);
  EXPECT_EQ(s.data.flux[20], real.data.flux[20]);  // only the bad value is replaced
  EXPECT_EQ(s.data.ivar[30], 0.0f);
  EXPECT_EQ(s.data.flux[30], 0.0f);
  EXPECT_EQ(s.data.flux[11], real.data.flux[11]);
  EXPECT_EQ(s.data.ivar[11], real.data.ivar[11]);
  for (size_t i = 0; i < s.data.npix(); ++i) {
    ASSERT_TRUE(std::isfinite(s.data.flux[i]) && std::isfinite(s.data.ivar[i]) && std::isfinite(s.data.sky[i]));
  }
}

TEST(malformed_fits, off_lattice_loglam_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "6717-56397-0534", 1, [](fits_file& f, int& status) {
    float v = lattice_loglam(35571 + 100) + 0.3e-4f;  // a third of a pixel off
    fits_write_col(native(f), TFLOAT, col(f, "loglam"), 101, 1, 1, &v, &status);
  });
  expect_read_throws<data_error>(path, "not on the 1e-4 dex lattice");
}

TEST(malformed_fits, one_ulp_off_lattice_is_accepted_but_not_exact) {
  temp_dir dir;
  const auto path = edited_copy(dir, "3655-55240-0002", 1, [](fits_file& f, int& status) {
    float v = std::nextafter(lattice_loglam(35515 + 7), 5.0f);
    fits_write_col(native(f), TFLOAT, col(f, "loglam"), 8, 1, 1, &v, &status);
  });
  const sdss_spectrum s = read_sdss_spectrum(path);
  EXPECT_EQ(s.data.lattice_start, 35515);
  EXPECT_FALSE(s.data.loglam_exact);
}

TEST(malformed_fits, zero_row_coadd_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "3657-55244-0552", 1, [](fits_file& f, int& status) {
    fits_delete_rows(native(f), 1, f.rows(), &status);
  });
  expect_read_throws<data_error>(path, "no rows");
}

TEST(malformed_fits, header_plateid_disagreeing_with_hdu2_is_data_error) {
  temp_dir dir;
  for (const char* stem : {"3655-55240-0002", "0266-51602-0013"}) {
    const auto path = edited_copy(dir, stem, 0, [](fits_file& f, int& status) {
      long long plate = 4000;
      fits_update_key(native(f), TLONGLONG, "PLATEID", &plate, nullptr, &status);
    });
    expect_read_throws<data_error>(path, "PLATEID = 4000");
  }
}

TEST(malformed_fits, header_fiberid_and_run2d_disagreeing_are_data_errors) {
  temp_dir dir;
  auto path = edited_copy(dir, "9367-57758-0538", 0, [](fits_file& f, int& status) {
    long long fiber = 539;
    fits_update_key(native(f), TLONGLONG, "FIBERID", &fiber, nullptr, &status);
  });
  expect_read_throws<data_error>(path, "FIBERID = 539");
  path = edited_copy(dir, "9367-57758-0538", 0, [](fits_file& f, int& status) {
    fits_update_key(native(f), TSTRING, "RUN2D", const_cast<char*>("v5_13_2"), nullptr, &status);
  });
  expect_read_throws<data_error>(path, "RUN2D");
}

TEST(malformed_fits, boss_specobjid_disagreeing_with_packing_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "10656-58163-0366", 2, [](fits_file& f, int& status) {
    unsigned long long id = 11997690149582688256ull + (1ull << 10);  // run2d code one higher
    fits_write_col(native(f), TULONGLONG, col(f, "SPECOBJID"), 1, 1, 1, &id, &status);
  });
  expect_read_throws<data_error>(path, "does not match");
}

TEST(malformed_fits, legacy_specobjid_disagreeing_with_packing_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "0266-51602-0013", 2, [](fits_file& f, int& status) {
    const char* id[] = {"    299492975510054913"};
    fits_write_col(native(f), TSTRING, col(f, "SPECOBJID"), 1, 1, 1, const_cast<char**>(id), &status);
  });
  expect_read_throws<data_error>(path, "299492975510054913");
}

TEST(malformed_fits, legacy_specobjid_not_a_number_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "0332-52367-0639", 2, [](fits_file& f, int& status) {
    const char* id[] = {"  not-an-id"};
    fits_write_col(native(f), TSTRING, col(f, "SPECOBJID"), 1, 1, 1, const_cast<char**>(id), &status);
  });
  expect_read_throws<data_error>(path, "not an integer");
}

TEST(malformed_fits, missing_required_metadata_columns_are_data_errors) {
  temp_dir dir;
  for (const char* name : {"Z", "CLASS", "PLATE", "MJD", "FIBERID"}) {
    const auto path = edited_copy(dir, "3586-55181-0500", 2, [name](fits_file& f, int& status) {
      fits_delete_col(native(f), col(f, name), &status);
    });
    expect_read_throws<data_error>(path, std::string("no ") + name + " column");
  }
}

TEST(malformed_fits, legacy_run2d_is_required_somewhere) {
  // Legacy files carry RUN2D only in HDU 2; without it there is nothing to pack SPECOBJID with.
  temp_dir dir;
  const auto path = edited_copy(dir, "1325-52762-0133", 2, [](fits_file& f, int& status) {
    fits_delete_col(native(f), col(f, "RUN2D"), &status);
  });
  expect_read_throws<data_error>(path, "no RUN2D column");
}

TEST(malformed_fits, unparseable_run2d_is_data_error) {
  temp_dir dir;
  const auto path = edited_copy(dir, "0266-51602-0013", 2, [](fits_file& f, int& status) {
    const char* run2d[] = {"xx"};
    fits_write_col(native(f), TSTRING, col(f, "RUN2D"), 1, 1, 1, const_cast<char**>(run2d), &status);
  });
  expect_read_throws<data_error>(path, "cannot form SPECOBJID");
}

TEST(malformed_fits, catalog_errors) {
  temp_dir dir;
  const auto missing = dir / "spAll-missing.fits";
  EXPECT_THROW(sdss_catalog_reader{missing}, fits_error);
  sdss_catalog_reader catalog(test::real_catalog());
  EXPECT_THROW(catalog.read(90, 4), invalid_argument);
  EXPECT_THROW(catalog.read(94, 0), invalid_argument);
  EXPECT_EQ(catalog.read(93, 0).size(), 0u);
  // A spec file is not a catalog: its HDU 1 has no PLATE column.
  try {
    sdss_catalog_reader not_catalog(test::real_spectrum("3655-55240-0002"));
    ADD_FAILURE() << "spec file accepted as a catalog";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("spec-3655-55240-0002.fits"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace specmill
