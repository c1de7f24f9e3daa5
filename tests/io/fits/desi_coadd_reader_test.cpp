// desi_coadd_reader against files written by write_desi_coadd (both mask types): every array
// read back equals what was written, bit for bit; windows of targets; recognition by content
// (a real SDSS file is not a DESI coadd, a DESI coadd under another name is); damaged files are
// refused with the file's name.
#include "io/fits/desi_coadd_reader.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "io/fits/desi_coadd_writer.hpp"
#include "io/fits/fits_test_util.hpp"

namespace specmill {
namespace {

using test_support::temp_dir;

desi_coadd_file make_file(size_t n, desi_mask_type mask_type, bool resolution, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(1.f, 2.f);
  desi_coadd_file f;
  f.survey = "main";
  f.program = "dark";
  f.healpix = 27258;
  f.mask_type = mask_type;
  for (size_t i = 0; i < n; ++i) {
    desi_target t;
    t.targetid = 39627000000000000 + int64_t(i) * 7919;
    t.target_ra = 150.1 + 0.01 * double(i);
    t.target_dec = 2.2 - 0.01 * double(i);
    t.flux_g = g(rng), t.flux_r = g(rng), t.flux_z = g(rng);
    t.ebv = 0.03f;
    t.desi_target = int64_t(1) << (i % 3);
    t.bgs_target = int64_t(i % 2);
    f.targets.push_back(t);
  }
  for (size_t c = 0; c < 3; ++c) {
    desi_camera_data& cam = f.cameras[c];
    cam.name = desi_cameras[c].name;
    cam.lattice_start = desi_cameras[c].lattice_start;
    for (int32_t i = 0; i < desi_cameras[c].npix; ++i) cam.wavelength.push_back(0.8 * double(cam.lattice_start + i));
    const size_t m = n * cam.npix();
    for (size_t i = 0; i < m; ++i) {
      cam.flux.push_back(g(rng));
      cam.ivar.push_back(std::fabs(g(rng)));
      // bit 31 set on some pixels: int32 files store it as a negative number
      cam.mask.push_back(i % 97 == 0 ? 0x80000004u : i % 13 == 0 ? 0x400u : 0u);
    }
    if (resolution)
      for (size_t i = 0; i < m * desi_resolution_diagonals; ++i) cam.resolution.push_back(float(i % 11) / 55.f);
  }
  return f;
}

class desi_reader_masks : public ::testing::TestWithParam<desi_mask_type> {};

TEST_P(desi_reader_masks, reads_back_every_array_exactly) {
  temp_dir dir;
  const auto path = dir / "coadd-main-dark-27258.fits";
  const desi_coadd_file written = make_file(5, GetParam(), true, 3);
  write_desi_coadd(path, written);
  ASSERT_TRUE(is_desi_coadd(path));
  desi_coadd_reader r(path);
  EXPECT_EQ(r.survey(), "main");
  EXPECT_EQ(r.program(), "dark");
  EXPECT_EQ(r.healpix(), 27258);
  EXPECT_EQ(r.mask_type(), GetParam());
  ASSERT_EQ(r.n_targets(), 5u);
  const desi_coadd_file got = r.read(0, 5, true);
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(got.targets[i].targetid, written.targets[i].targetid);
    EXPECT_EQ(got.targets[i].target_ra, written.targets[i].target_ra);
    EXPECT_EQ(got.targets[i].flux_r, written.targets[i].flux_r);
    EXPECT_EQ(got.targets[i].desi_target, written.targets[i].desi_target);
  }
  for (size_t c = 0; c < 3; ++c) {
    EXPECT_EQ(got.cameras[c].lattice_start, desi_cameras[c].lattice_start);
    EXPECT_EQ(got.cameras[c].wavelength, written.cameras[c].wavelength);
    EXPECT_EQ(got.cameras[c].flux, written.cameras[c].flux);
    EXPECT_EQ(got.cameras[c].ivar, written.cameras[c].ivar);
    EXPECT_EQ(got.cameras[c].mask, written.cameras[c].mask);
    EXPECT_EQ(got.cameras[c].resolution, written.cameras[c].resolution);
  }
}

TEST_P(desi_reader_masks, window_of_targets) {
  temp_dir dir;
  const auto path = dir / "some-name.fits";  // recognised by content, not by name
  const desi_coadd_file written = make_file(7, GetParam(), false, 4);
  write_desi_coadd(path, written);
  ASSERT_TRUE(is_desi_coadd(path));
  desi_coadd_reader r(path);
  EXPECT_EQ(r.survey(), "main");  // from the header keys
  const desi_coadd_file got = r.read(2, 3);
  ASSERT_EQ(got.targets.size(), 3u);
  EXPECT_EQ(got.targets[0].targetid, written.targets[2].targetid);
  const size_t npix = got.cameras[1].npix();
  const std::vector<float> expect(written.cameras[1].flux.begin() + long(2 * npix),
                                  written.cameras[1].flux.begin() + long(5 * npix));
  EXPECT_EQ(got.cameras[1].flux, expect);
  const std::vector<uint32_t> mexpect(written.cameras[2].mask.begin() + long(2 * got.cameras[2].npix()),
                                      written.cameras[2].mask.begin() + long(5 * got.cameras[2].npix()));
  EXPECT_EQ(got.cameras[2].mask, mexpect);
  EXPECT_TRUE(got.cameras[0].resolution.empty());
  EXPECT_THROW(r.read(5, 3), invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(masks, desi_reader_masks,
                         ::testing::Values(desi_mask_type::int32, desi_mask_type::uint32));

TEST(desi_coadd_reader, real_sdss_file_is_not_a_desi_coadd) {
  const auto sdss = test::shared_data() / "spectra" / "spec-6717-56397-0534.fits";
  ASSERT_TRUE(std::filesystem::exists(sdss));
  EXPECT_FALSE(is_desi_coadd(sdss));
  temp_dir dir;
  const auto renamed = dir / "coadd-main-dark-100.fits";  // a DESI name is not enough
  std::filesystem::copy_file(sdss, renamed);
  EXPECT_FALSE(is_desi_coadd(renamed));
  try {
    desi_coadd_reader r(renamed);
    FAIL() << "an SDSS file read as a DESI coadd";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find(renamed.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("FIBERMAP"), std::string::npos) << e.what();
  }
}

TEST(desi_coadd_reader, truncated_file_is_refused_by_name) {
  temp_dir dir;
  const auto path = dir / "coadd-main-dark-27258.fits";
  write_desi_coadd(path, make_file(4, desi_mask_type::int32, false, 5));
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2 / 2880 * 2880);
  EXPECT_FALSE(is_desi_coadd(path));
  try {
    desi_coadd_reader r(path);
    (void)r.read(0, 4);
    FAIL() << "a truncated file read without error";
  } catch (const error& e) {  // data_error (image past the end) or fits_error (missing HDU)
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos) << e.what();
  }
}

TEST(desi_coadd_reader, missing_file_is_not_found) {
  EXPECT_THROW(desi_coadd_reader("/nonexistent/coadd-main-dark-1.fits"), not_found);
  EXPECT_FALSE(is_desi_coadd("/nonexistent/coadd-main-dark-1.fits"));
}

}  // namespace
}  // namespace specmill

namespace specmill {
namespace {

// fuzz/fuzz_desi_coadd_reader: a text column (here OBJTYPE) stored as a number with a wide TDISPn
// was read as TSTRING, which CFITSIO formats through TDISPn past our buffer (ASan). A DESI text
// column must be an A column: anything else is refused by name.
TEST(desi_coadd_reader, numeric_text_column_is_refused_by_name) {
  temp_dir dir;
  const auto path = dir / "coadd-main-dark-27258.fits";
  write_desi_coadd(path, make_file(3, desi_mask_type::int32, false, 7));
  {
    fits_file f = fits_file::open_update(path);
    int status = 0;
    char extname[] = "FIBERMAP";
    fits_movnam_hdu(native(f), BINARY_TBL, extname, 0, &status);
    int col = 0;
    char objtype[] = "OBJTYPE";
    fits_get_colnum(native(f), CASEINSEN, objtype, &col, &status);
    fits_delete_col(native(f), col, &status);
    char form[] = "D", key[] = "TDISPnnn", display[] = "F70.2";
    fits_insert_col(native(f), col, objtype, form, &status);
    std::snprintf(key, sizeof key, "TDISP%d", col);
    fits_update_key(native(f), TSTRING, key, display, nullptr, &status);
    f.check(status, "cannot rewrite OBJTYPE");
    f.close();
  }
  try {
    // The FIBERMAP is read when the file is opened.
    desi_coadd_reader r(path);
    (void)r.read(0, 3);
    FAIL() << "read a numeric OBJTYPE as text";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("OBJTYPE"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace specmill
