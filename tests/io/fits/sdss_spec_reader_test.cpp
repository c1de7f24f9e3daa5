// read_sdss_spectrum against the 10 real SDSS files in shared/data (README §2, §3), plus
// synthetic files for the paths the real files do not exercise (column order, type fallback).
#include "io/fits/sdss_spec_reader.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/specobjid.hpp"
#include "io/fits/fits_test_util.hpp"

namespace specmill {
namespace {

using test::real_spectrum;
using test::same_bits;
using test::temp_dir;

struct reference {
  const char* stem;
  bool lite;
  int npix;
  int32_t plate, mjd, fiberid;
  const char* run2d;
  int32_t lattice_start;  // README §2.4: LOGLAM[0] * 1e4
  const char* class_name;
  const char* subclass;
  double z;               // README §3.1 (7 significant digits)
  uint64_t specobjid;     // README §3.1
  int ivar_zero;          // README §2.2
  const char* programname;
  int64_t thing_id;       // -1: legacy, no THING_ID column
};

// Table order of README §2.1.
const reference references[] = {
    {"0266-51602-0013", true, 3838, 266, 51602, 13, "26", 35802, "GALAXY", "", 0.1213164, 299492975510054912ull, 0, "legacy", -1},
    {"0332-52367-0639", false, 3810, 332, 52367, 639, "26", 35831, "QSO", "BROADLINE", 0.1006098, 373974455765985280ull, 22, "legacy", -1},
    {"1325-52762-0133", false, 3843, 1325, 52762, 133, "26", 35792, "QSO", "", 0.4562511, 1491853981666797568ull, 1, "legacy", -1},
    {"3586-55181-0500", false, 4625, 3586, 55181, 500, "v5_10_0", 35516, "STAR", "G1V (95128)", -0.00010124, 4037614591814901760ull, 12, "commissioning", 96714281},
    {"3655-55240-0002", true, 4622, 3655, 55240, 2, "v5_13_0", 35515, "QSO", "BROADLINE", 2.355238, 4115164797179547648ull, 13, "boss", 432118404},
    {"3657-55244-0552", true, 4619, 3657, 55244, 552, "v5_13_0", 35535, "QSO", "", 3.20218, 4117567779909160960ull, 9, "boss", 434205493},
    {"9367-57758-0538", true, 4577, 9367, 57758, 538, "v5_13_0", 35570, "QSO", "BROADLINE", 2.226669, 10546452441867767808ull, 14, "eboss", 431936632},
    {"10656-58163-0366", true, 4590, 10656, 58163, 366, "v5_13_0", 35552, "QSO", "BROADLINE", 2.292366, 11997690149582688256ull, 3, "eboss", 434932660},
    {"6717-56397-0534", false, 4597, 6717, 56397, 534, "v5_13_2", 35571, "QSO", "STARBURST BROADLINE", 0.4559606, 7562816566389397504ull, 14, "boss", 499418441},
    {"7339-57544-0733", false, 4583, 7339, 57544, 733, "v5_13_2", 35587, "QSO", "BROADLINE", 0.4565197, 8263181028392458240ull, 2, "RM", 499418441},
};

class real_file : public ::testing::TestWithParam<reference> {};

TEST_P(real_file, coadd_shape_and_lattice) {
  const reference& r = GetParam();
  const sdss_spectrum s = read_sdss_spectrum(real_spectrum(r.stem));
  const coadd& c = s.data;
  ASSERT_EQ(c.npix(), size_t(r.npix));
  for (const auto* v : {&c.loglam, &c.ivar, &c.wdisp, &c.sky, &c.model}) EXPECT_EQ(v->size(), size_t(r.npix));
  EXPECT_EQ(c.and_mask.size(), size_t(r.npix));
  EXPECT_EQ(c.or_mask.size(), size_t(r.npix));
  EXPECT_EQ(c.lattice_start, r.lattice_start);
  EXPECT_TRUE(c.loglam_exact);
  // loglam_exact is a claim about every pixel; check it independently here.
  for (int i = 0; i < r.npix; ++i) {
    ASSERT_TRUE(same_bits(c.loglam[size_t(i)], lattice_loglam(r.lattice_start + i))) << "pixel " << i;
  }
  EXPECT_EQ(c.nonfinite_pixels, 0);  // README §2.2: no NaN in these files
  int ivar_zero = 0;
  for (float v : c.ivar) ivar_zero += v == 0.0f;
  EXPECT_EQ(ivar_zero, r.ivar_zero);
}

TEST_P(real_file, metadata_matches_readme) {
  const reference& r = GetParam();
  const spec_meta m = read_sdss_spectrum(real_spectrum(r.stem)).meta;
  EXPECT_EQ(m.plate, r.plate);
  EXPECT_EQ(m.mjd, r.mjd);
  EXPECT_EQ(m.fiberid, r.fiberid);
  EXPECT_EQ(m.run2d, r.run2d);
  EXPECT_EQ(m.specobjid, r.specobjid);
  EXPECT_EQ(m.specobjid, pack_specobjid({r.plate, r.mjd, r.fiberid, run2d_code(r.run2d)}));
  EXPECT_EQ(m.class_name, r.class_name);
  EXPECT_EQ(m.subclass, r.subclass);
  EXPECT_NEAR(m.z, r.z, 1e-6 * std::max(1.0, std::fabs(r.z)));
  EXPECT_EQ(m.zwarning, 0);
  EXPECT_EQ(m.programname, r.programname);
  EXPECT_EQ(m.thing_id, r.thing_id);
  EXPECT_GT(m.z_err, 0.0f);
  EXPECT_GT(m.sn_median_all, 0.0f);
  EXPECT_GT(m.wavemax, m.wavemin);
  // WAVEMIN/WAVEMAX lie inside the coadd's wavelength range (README §3.4).
  const auto s = read_sdss_spectrum(real_spectrum(r.stem));
  EXPECT_GE(m.wavemin, std::pow(10.0f, s.data.loglam.front()) - 0.01f);
  EXPECT_LE(m.wavemax, std::pow(10.0f, s.data.loglam.back()) + 0.01f);
}

INSTANTIATE_TEST_SUITE_P(shared_data, real_file, ::testing::ValuesIn(references),
                         [](const ::testing::TestParamInfo<reference>& info) {
                           std::string name = std::string("spec_") + info.param.stem;
                           for (char& ch : name) ch = ch == '-' ? '_' : ch;
                           return name;
                         });

TEST(sdss_spec_reader, doppler_published_values_3586) {
  // README §3.2 (dnidever/doppler README, printed by an independent Python reader).
  const sdss_spectrum s = read_sdss_spectrum(real_spectrum("3586-55181-0500"));
  const coadd& c = s.data;
  const float flux_head[] = {53.945076f, 118.17894f, 80.38118f};
  const float flux_tail[] = {35.32331f, 42.468388f, 39.03381f};
  const float ivar_head[] = {0.00806051f, 0.01643137f, 0.01534778f};
  const size_t n = c.npix();
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_FLOAT_EQ(c.flux[i], flux_head[i]) << i;
    EXPECT_FLOAT_EQ(c.flux[n - 3 + i], flux_tail[i]) << i;
    EXPECT_NEAR(c.ivar[i], ivar_head[i], 1e-8) << i;
    EXPECT_EQ(c.and_mask[i], 0) << i;
  }
  EXPECT_NEAR(std::pow(10.0, double(c.loglam[0])), 3561.2297, 1e-3);
  EXPECT_NEAR(std::pow(10.0, double(c.loglam[n - 1])), 10327.612, 2e-3);
  EXPECT_NEAR(s.meta.sn_median_all, 54.98f, 0.005f);
  // README §3.1 SPECTROFLUX g, r, i.
  EXPECT_NEAR(s.meta.spectroflux[1], 299.6176f, 1e-3f);
  EXPECT_NEAR(s.meta.spectroflux[2], 397.1812f, 1e-3f);
  EXPECT_NEAR(s.meta.spectroflux[3], 411.0319f, 1e-3f);
  EXPECT_NEAR(s.meta.wavemin, 3601.6375f, 1e-3f);
  EXPECT_NEAR(s.meta.wavemax, 10327.6143f, 1e-3f);
  EXPECT_EQ(s.meta.objtype, "QSO");
  EXPECT_EQ(s.meta.specprimary, 1);
}

TEST(sdss_spec_reader, legacy_metadata_details_0266) {
  const spec_meta m = read_sdss_spectrum(real_spectrum("0266-51602-0013")).meta;
  EXPECT_NEAR(m.z_err, 3.151e-05f, 1e-8f);
  EXPECT_NEAR(m.sn_median_all, 16.2491f, 1e-4f);
  EXPECT_NEAR(m.spectroflux[1], 25.8561f, 1e-3f);
  EXPECT_NEAR(m.spectroflux[2], 76.4256f, 1e-3f);
  EXPECT_NEAR(m.spectroflux[3], 120.6138f, 1e-3f);
  EXPECT_NEAR(m.plug_ra, 146.9341, 1e-4);
  EXPECT_NEAR(m.plug_dec, -0.670404, 1e-6);
  EXPECT_EQ(m.objtype, "");  // no OBJTYPE column in legacy files: default kept
  EXPECT_EQ(m.specprimary, 0);
}

// A second, independent read path: plain CFITSIO fits_read_col with type conversion.
template <class T>
std::vector<T> read_column_with_cfitsio(const std::filesystem::path& file, const char* name, int datatype) {
  fitsfile* f = nullptr;
  int status = 0, type = 0, colnum = 0, anynul = 0;
  long rows = 0;
  fits_open_file(&f, file.c_str(), READONLY, &status);
  fits_movabs_hdu(f, 2, &type, &status);
  fits_get_colnum(f, CASEINSEN, const_cast<char*>(name), &colnum, &status);
  fits_get_num_rows(f, &rows, &status);
  std::vector<T> out(size_t(std::max(rows, 0L)));
  fits_read_col(f, datatype, colnum, 1, 1, rows, nullptr, out.data(), &anynul, &status);
  int ignored = 0;
  fits_close_file(f, &ignored);
  EXPECT_EQ(status, 0) << file << " " << name;
  return out;
}

TEST(sdss_spec_reader, coadd_equals_cfitsio_read_col_for_every_file) {
  for (const reference& r : references) {
    const auto file = real_spectrum(r.stem);
    const coadd c = read_sdss_spectrum(file).data;
    const std::pair<const char*, const std::vector<float>*> floats[] = {
        {"flux", &c.flux}, {"loglam", &c.loglam}, {"ivar", &c.ivar},
        {"wdisp", &c.wdisp}, {"sky", &c.sky}, {"model", &c.model}};
    for (const auto& [name, ours] : floats) {
      const auto theirs = read_column_with_cfitsio<float>(file, name, TFLOAT);
      ASSERT_EQ(theirs.size(), ours->size()) << r.stem << " " << name;
      for (size_t i = 0; i < theirs.size(); ++i) {
        ASSERT_TRUE(same_bits(theirs[i], (*ours)[i])) << r.stem << " " << name << " pixel " << i;
      }
    }
    EXPECT_EQ(read_column_with_cfitsio<int>(file, "and_mask", TINT), c.and_mask) << r.stem;
    EXPECT_EQ(read_column_with_cfitsio<int>(file, "or_mask", TINT), c.or_mask) << r.stem;
  }
}

TEST(sdss_spec_reader, full_file_reads_like_its_lite_form) {
  // A lite file is the full file without the exposure HDUs (4+); build one and compare.
  temp_dir dir;
  for (const char* stem : {"0332-52367-0639", "6717-56397-0534"}) {
    const auto full = real_spectrum(stem);
    const auto lite = dir / (std::string("lite-") + stem + ".fits");
    std::filesystem::copy_file(full, lite);
    {
      fits_file f = fits_file::open_update(lite);
      const int n = f.hdu_count();
      ASSERT_GT(n, 4);
      for (int hdu = n - 1; hdu >= 4; --hdu) {
        f.move_to(hdu);
        int status = 0, type = 0;
        fits_delete_hdu(native(f), &type, &status);
        test::ok(status, f, "delete exposure HDU");
      }
      f.close();
    }
    ASSERT_EQ(fits_file::open_read(lite).hdu_count(), 4);
    ASSERT_LT(std::filesystem::file_size(lite), std::filesystem::file_size(full));
    const sdss_spectrum a = read_sdss_spectrum(full), b = read_sdss_spectrum(lite);
    test::expect_same_meta(a.meta, b.meta);
    EXPECT_EQ(a.data.lattice_start, b.data.lattice_start);
    EXPECT_EQ(a.data.flux, b.data.flux);
    EXPECT_EQ(a.data.ivar, b.data.ivar);
    EXPECT_EQ(a.data.loglam, b.data.loglam);
    EXPECT_EQ(a.data.and_mask, b.data.and_mask);
    EXPECT_EQ(a.data.model, b.data.model);
  }
}

TEST(sdss_spec_reader, file_name_with_cfitsio_syntax_is_taken_literally) {
  // fits_open_diskfile: '[' and '+' in a name are plain characters, not extended syntax.
  temp_dir dir;
  const auto odd = dir / "spec[1]+x.fits";
  std::filesystem::copy_file(real_spectrum("3655-55240-0002"), odd);
  EXPECT_EQ(read_sdss_spectrum(odd).meta.fiberid, 2);
}

// ------------------------------------------------------------------ synthetic files

// Writes a small spectrum whose COADD columns are in a different order, upper case, with an
// extra column, flux as D, ivar scaled by TSCAL and and_mask as I: every non-raw path.
void write_shuffled_spectrum(const std::filesystem::path& path, int npix, int32_t start) {
  fits_file f = fits_file::create(path);
  int status = 0;
  fits_create_img(native(f), BYTE_IMG, 0, nullptr, &status);
  long long plate = 1234, mjd = 55000, fiber = 77;
  fits_write_key(native(f), TLONGLONG, "PLATEID", &plate, nullptr, &status);
  fits_write_key(native(f), TLONGLONG, "MJD", &mjd, nullptr, &status);
  fits_write_key(native(f), TLONGLONG, "FIBERID", &fiber, nullptr, &status);
  fits_write_key(native(f), TSTRING, "RUN2D", const_cast<char*>("v5_13_0"), nullptr, &status);
  test::ok(status, f, "primary");

  const char* names[] = {"MODEL", "EXTRA", "SKY", "IVAR", "OR_MASK", "LOGLAM", "AND_MASK", "WDISP", "FLUX"};
  const char* forms[] = {"E", "3D", "E", "E", "J", "E", "I", "E", "D"};
  fits_create_tbl(native(f), BINARY_TBL, npix, 9, const_cast<char**>(names), const_cast<char**>(forms), nullptr,
                  "COADD", &status);
  double tscal = 0.5, tzero = 0.0;
  fits_write_key(native(f), TDOUBLE, "TSCAL4", &tscal, nullptr, &status);
  fits_write_key(native(f), TDOUBLE, "TZERO4", &tzero, nullptr, &status);
  fits_set_tscale(native(f), 4, tscal, tzero, &status);
  const size_t n = size_t(npix);
  std::vector<float> loglam(n), ivar(n), model(n), sky(n), wdisp(n);
  std::vector<double> flux(n), extra(n * 3, 9.0);
  std::vector<int> and_mask(n), or_mask(n);
  for (int i = 0; i < npix; ++i) {
    const size_t k = size_t(i);
    loglam[k] = lattice_loglam(start + i);
    flux[k] = 1.5 * i;
    ivar[k] = 0.25f * float(i % 8);
    model[k] = 2.0f * float(i);
    sky[k] = -1.0f * float(i);
    wdisp[k] = 1.25f;
    and_mask[k] = i % 3;
    or_mask[k] = 1 << (i % 31);
  }
  fits_write_col(native(f), TFLOAT, 1, 1, 1, npix, model.data(), &status);
  fits_write_col(native(f), TDOUBLE, 2, 1, 1, npix * 3, extra.data(), &status);
  fits_write_col(native(f), TFLOAT, 3, 1, 1, npix, sky.data(), &status);
  fits_write_col(native(f), TFLOAT, 4, 1, 1, npix, ivar.data(), &status);
  fits_write_col(native(f), TINT, 5, 1, 1, npix, or_mask.data(), &status);
  fits_write_col(native(f), TFLOAT, 6, 1, 1, npix, loglam.data(), &status);
  fits_write_col(native(f), TINT, 7, 1, 1, npix, and_mask.data(), &status);
  fits_write_col(native(f), TFLOAT, 8, 1, 1, npix, wdisp.data(), &status);
  fits_write_col(native(f), TDOUBLE, 9, 1, 1, npix, flux.data(), &status);
  test::ok(status, f, "COADD");

  // HDU 2 with PLATE as I and Z as D (other eras' types), no SPECOBJID column.
  const char* mnames[] = {"CLASS", "Z", "plate", "mjd", "fiberid"};
  const char* mforms[] = {"6A", "D", "I", "J", "J"};
  fits_create_tbl(native(f), BINARY_TBL, 1, 5, const_cast<char**>(mnames), const_cast<char**>(mforms), nullptr,
                  nullptr, &status);
  const char* cls[] = {"QSO"};
  double z = 2.5;
  short p = 1234;
  int m = 55000, fb = 77;
  fits_write_col(native(f), TSTRING, 1, 1, 1, 1, const_cast<char**>(cls), &status);
  fits_write_col(native(f), TDOUBLE, 2, 1, 1, 1, &z, &status);
  fits_write_col(native(f), TSHORT, 3, 1, 1, 1, &p, &status);
  fits_write_col(native(f), TINT, 4, 1, 1, 1, &m, &status);
  fits_write_col(native(f), TINT, 5, 1, 1, 1, &fb, &status);
  test::ok(status, f, "HDU 2");
  f.close();
}

TEST(sdss_spec_reader, columns_found_by_name_in_any_order_and_type) {
  temp_dir dir;
  const auto path = dir / "spec-1234-55000-0077.fits";
  for (int npix : {1, 31, 32, 33, 500}) {
    write_shuffled_spectrum(path, npix, 36000);
    const sdss_spectrum s = read_sdss_spectrum(path);
    const coadd& c = s.data;
    ASSERT_EQ(c.npix(), size_t(npix));
    EXPECT_EQ(c.lattice_start, 36000);
    EXPECT_TRUE(c.loglam_exact);
    for (int i = 0; i < npix; ++i) {
      const size_t k = size_t(i);
      ASSERT_EQ(c.flux[k], float(1.5 * i)) << i;
      ASSERT_EQ(c.ivar[k], 0.25f * float(i % 8)) << i;  // through TSCAL = 0.5
      ASSERT_EQ(c.model[k], 2.0f * float(i)) << i;
      ASSERT_EQ(c.sky[k], -1.0f * float(i)) << i;
      ASSERT_EQ(c.wdisp[k], 1.25f) << i;
      ASSERT_EQ(c.and_mask[k], i % 3) << i;  // I column, converted
      ASSERT_EQ(c.or_mask[k], 1 << (i % 31)) << i;
    }
    EXPECT_EQ(s.meta.plate, 1234);
    EXPECT_EQ(s.meta.mjd, 55000);
    EXPECT_EQ(s.meta.fiberid, 77);
    EXPECT_EQ(s.meta.run2d, "v5_13_0");  // from the primary header: no RUN2D column
    EXPECT_EQ(s.meta.z, 2.5f);
    EXPECT_EQ(s.meta.class_name, "QSO");
    EXPECT_EQ(s.meta.thing_id, -1);
    EXPECT_EQ(s.meta.specobjid, pack_specobjid({1234, 55000, 77, 1300}));  // rebuilt
  }
}

}  // namespace
}  // namespace specmill
