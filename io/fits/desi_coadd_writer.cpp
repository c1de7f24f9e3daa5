#include "io/fits/desi_coadd_writer.hpp"

#include <cmath>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"

namespace specmill {
namespace {

struct desi_column {
  const char* name;
  const char* form;
  const char* unit;
};
#include "io/fits/desi_hdu_columns.inc"

template <size_t N>
void create_table(fits_file& f, const char* extname, const desi_column (&cols)[N], int64_t rows) {
  std::vector<fits_file::table_column> t;
  for (const auto& c : cols) t.push_back({c.name, c.form, c.unit});
  f.create_table(extname, t, rows);
  f.write_key("ENCODING", std::string_view("ascii"), nullptr);
}

int colnum(fits_file& f, const char* name) {
  const auto c = f.column_index(name);
  SPECMILL_EXPECTS(c.has_value(), std::string("DESI writer: no column ") + name);
  return *c;
}

// One value per row of column `name`, converted by CFITSIO from `datatype`.
template <class T>
void put(fits_file& f, const char* name, int datatype, const std::vector<T>& values) {
  if (values.empty()) return;
  int status = 0;
  fits_write_col(native(f), datatype, colnum(f, name), 1, 1, LONGLONG(values.size()), const_cast<T*>(values.data()),
                 &status);
  f.check(status, std::string("cannot write column ") + name);
}

template <class R, class F>
auto column_of(const std::vector<R>& rows, F get) {
  std::vector<decltype(get(rows[0]))> out;
  out.reserve(rows.size());
  for (const auto& r : rows) out.push_back(get(r));
  return out;
}

void put_strings(fits_file& f, const char* name, const std::vector<std::string>& values) {
  if (values.empty()) return;
  std::vector<char*> p;
  for (const auto& s : values) p.push_back(const_cast<char*>(s.c_str()));
  int status = 0;
  fits_write_col(native(f), TSTRING, colnum(f, name), 1, 1, LONGLONG(p.size()), p.data(), &status);
  f.check(status, std::string("cannot write column ") + name);
}

void put_logical(fits_file& f, const char* name, const std::vector<char>& values) {
  if (values.empty()) return;
  int status = 0;
  fits_write_col(native(f), TLOGICAL, colnum(f, name), 1, 1, LONGLONG(values.size()), const_cast<char*>(values.data()),
                 &status);
  f.check(status, std::string("cannot write column ") + name);
}

// The FIBERMAP-derived columns shared by the coadd FIBERMAP and the ZCATALOG.
void put_target_columns(fits_file& f, const std::vector<desi_target>& t) {
  put(f, "TARGETID", TLONGLONG, column_of(t, [](const desi_target& r) { return (long long)r.targetid; }));
  put(f, "COADD_FIBERSTATUS", TINT, column_of(t, [](const desi_target& r) { return int(r.coadd_fiberstatus); }));
  put(f, "TARGET_RA", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_ra; }));
  put(f, "TARGET_DEC", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_dec; }));
  put(f, "PLATE_RA", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_ra; }));
  put(f, "PLATE_DEC", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_dec; }));
  put(f, "MEAN_FIBER_RA", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_ra; }));
  put(f, "MEAN_FIBER_DEC", TDOUBLE, column_of(t, [](const desi_target& r) { return r.target_dec; }));
  put(f, "REF_EPOCH", TFLOAT, column_of(t, [](const desi_target&) { return 2015.5f; }));
  put_strings(f, "OBJTYPE", column_of(t, [](const desi_target& r) { return r.objtype; }));
  put(f, "FLUX_G", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_g; }));
  put(f, "FLUX_R", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_r; }));
  put(f, "FLUX_Z", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_z; }));
  put(f, "FLUX_IVAR_G", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_ivar_g; }));
  put(f, "FLUX_IVAR_R", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_ivar_r; }));
  put(f, "FLUX_IVAR_Z", TFLOAT, column_of(t, [](const desi_target& r) { return r.flux_ivar_z; }));
  put(f, "EBV", TFLOAT, column_of(t, [](const desi_target& r) { return r.ebv; }));
  put_strings(f, "PHOTSYS", column_of(t, [](const desi_target& r) { return r.photsys; }));
  put(f, "DESI_TARGET", TLONGLONG, column_of(t, [](const desi_target& r) { return (long long)r.desi_target; }));
  put(f, "BGS_TARGET", TLONGLONG, column_of(t, [](const desi_target& r) { return (long long)r.bgs_target; }));
  put(f, "MWS_TARGET", TLONGLONG, column_of(t, [](const desi_target& r) { return (long long)r.mws_target; }));
  put(f, "COADD_NUMEXP", TSHORT, column_of(t, [](const desi_target& r) { return short(r.coadd_numexp); }));
  put(f, "COADD_EXPTIME", TFLOAT, column_of(t, [](const desi_target& r) { return r.coadd_exptime; }));
  put(f, "COADD_NUMNIGHT", TSHORT, column_of(t, [](const desi_target&) { return short(1); }));
  put(f, "COADD_NUMTILE", TSHORT, column_of(t, [](const desi_target&) { return short(1); }));
  put_strings(f, "MORPHTYPE", column_of(t, [](const desi_target& r) { return std::string(r.objtype == "TGT" ? "EXP" : "PSF"); }));
  put_strings(f, "BRICKNAME", column_of(t, [](const desi_target&) { return std::string("0000p000"); }));
  put_strings(f, "REF_CAT", column_of(t, [](const desi_target&) { return std::string(""); }));
}

void image(fits_file& f, const char* extname, int bitpix, std::vector<long> axes, const char* bunit) {
  int status = 0;
  fits_create_img(native(f), bitpix, int(axes.size()), axes.data(), &status);
  f.check(status, std::string("cannot create image ") + extname);
  f.write_key("EXTNAME", std::string_view(extname), nullptr);
  if (bunit) f.write_key("BUNIT", std::string_view(bunit), nullptr);
}

template <class T>
void pixels(fits_file& f, int datatype, const std::vector<T>& v, const char* what) {
  if (v.empty()) return;
  int status = 0;
  fits_write_img(native(f), datatype, 1, LONGLONG(v.size()), const_cast<T*>(v.data()), &status);
  f.check(status, std::string("cannot write ") + what);
}

void write_camera(fits_file& f, const desi_camera_data& cam, size_t n, desi_mask_type mask_type) {
  const long npix = long(cam.npix()), nt = long(n);
  SPECMILL_EXPECTS(npix > 0, std::string("DESI writer: camera ") + cam.name + " has no pixels");
  SPECMILL_EXPECTS(cam.flux.size() == n * npix && cam.ivar.size() == n * npix && cam.mask.size() == n * npix,
                   std::string("DESI writer: camera ") + cam.name + " images do not match its wavelengths x targets");
  SPECMILL_EXPECTS(cam.resolution.empty() || cam.resolution.size() == n * npix * desi_resolution_diagonals,
                   std::string("DESI writer: camera ") + cam.name + " resolution has the wrong size");
  const std::string up(1, char(std::toupper(cam.name)));
  const std::string wave = up + "_WAVELENGTH", flux = up + "_FLUX", ivar = up + "_IVAR", mask = up + "_MASK",
                    res = up + "_RESOLUTION";
  image(f, wave.c_str(), DOUBLE_IMG, {npix}, "Angstrom");
  pixels(f, TDOUBLE, cam.wavelength, wave.c_str());
  image(f, flux.c_str(), FLOAT_IMG, {npix, nt}, "10**-17 erg/(s cm2 Angstrom)");
  pixels(f, TFLOAT, cam.flux, flux.c_str());
  image(f, ivar.c_str(), FLOAT_IMG, {npix, nt}, "10**+34 (s2 cm4 Angstrom2) / erg2");
  pixels(f, TFLOAT, cam.ivar, ivar.c_str());
  if (mask_type == desi_mask_type::uint32) {
    image(f, mask.c_str(), ULONG_IMG, {npix, nt}, nullptr);  // BITPIX 32, BZERO 2^31
    pixels(f, TUINT, cam.mask, mask.c_str());
  } else {
    image(f, mask.c_str(), LONG_IMG, {npix, nt}, nullptr);
    std::vector<int32_t> bits(cam.mask.begin(), cam.mask.end());  // same bits, signed
    pixels(f, TINT, bits, mask.c_str());
  }
  image(f, res.c_str(), FLOAT_IMG, {npix, long(desi_resolution_diagonals), nt}, nullptr);
  pixels(f, TFLOAT, cam.resolution, res.c_str());  // empty: the zero fill CFITSIO writes
}

void checksum_all(fits_file& f) {
  const int n = f.hdu_count();
  for (int h = 0; h < n; ++h) {
    f.move_to(h);
    int status = 0;
    fits_write_chksum(native(f), &status);
    f.check(status, "cannot write CHECKSUM");
  }
}

}  // namespace

void write_desi_coadd(const std::filesystem::path& file, const desi_coadd_file& c) {
  const size_t n = c.n_targets();
  SPECMILL_EXPECTS(n > 0, "DESI writer: a coadd file needs at least one target");
  fits_file f = fits_file::create(file);
  image(f, "PRIMARY", BYTE_IMG, {}, nullptr);
  f.write_key("HPXNSIDE", int64_t(64), nullptr);
  f.write_key("HPXPIXEL", int64_t(c.healpix), nullptr);
  int status = 0;
  int nest = 1;
  fits_write_key(native(f), TLOGICAL, "HPXNEST", &nest, nullptr, &status);
  f.check(status, "cannot write HPXNEST");
  f.write_key("FIBERMIN", int64_t(0), nullptr);
  f.write_key("INFIL000", "spectra-" + c.survey + "-" + c.program + "-" + std::to_string(c.healpix) + ".fits", nullptr);
  f.write_key("SURVEY", std::string_view(c.survey), "DESI survey");
  f.write_key("PROGRAM", std::string_view(c.program), "DESI program");

  create_table(f, "FIBERMAP", coadd_fibermap_columns, int64_t(n));
  f.write_key("SURVEY", std::string_view(c.survey), "DESI survey");
  f.write_key("PROGRAM", std::string_view(c.program), "DESI program");
  put_target_columns(f, c.targets);

  create_table(f, "EXP_FIBERMAP", coadd_exp_fibermap_columns, int64_t(n));
  put(f, "TARGETID", TLONGLONG, column_of(c.targets, [](const desi_target& r) { return (long long)r.targetid; }));
  put(f, "EXPTIME", TDOUBLE, column_of(c.targets, [](const desi_target& r) { return double(r.coadd_exptime); }));
  put(f, "FIBER_RA", TDOUBLE, column_of(c.targets, [](const desi_target& r) { return r.target_ra; }));
  put(f, "FIBER_DEC", TDOUBLE, column_of(c.targets, [](const desi_target& r) { return r.target_dec; }));

  for (const auto& cam : c.cameras) write_camera(f, cam, n, c.mask_type);

  create_table(f, "SCORES", coadd_scores_columns, int64_t(n));
  put(f, "TARGETID", TLONGLONG, column_of(c.targets, [](const desi_target& r) { return (long long)r.targetid; }));
  checksum_all(f);
  f.close();
}

void write_desi_zcatalog(const std::filesystem::path& file, std::string_view survey, std::string_view program,
                         std::span<const desi_zcatalog_row> rows) {
  fits_file f = fits_file::create(file);
  image(f, "PRIMARY", BYTE_IMG, {}, nullptr);
  f.write_key("ZCATVER", std::string_view("v1"), "Version of zcatalog files");
  const std::vector<desi_zcatalog_row> r(rows.begin(), rows.end());
  create_table(f, "ZCATALOG", zpix_zcatalog_columns, int64_t(r.size()));
  f.write_key("LONGSTRN", std::string_view("OGIP 1.0"), nullptr);
  f.write_key("RRVER", std::string_view("0.15.0"), "Redrock version");
  f.write_key("SPGRP", std::string_view("healpix"), "Spectral grouping method");
  f.write_key("HPXNSIDE", int64_t(64), "Healpix nside");
  int status = 0, nest = 1;
  fits_write_key(native(f), TLOGICAL, "HPXNEST", &nest, "Nested healpix (not ring)", &status);
  f.check(status, "cannot write HPXNEST");
  f.write_key("SURVEY", survey, "DESI sub-survey (e.g. sv1, sv3, main)");
  f.write_key("PROGRAM", program, "DESI program (e.g. dark, bright)");
  f.write_key("ZCATVER", std::string_view("v1"), "Version of zcatalog files");
  std::vector<desi_target> t;
  for (const auto& row : r) t.push_back(row.target);
  put_target_columns(f, t);
  put_strings(f, "SURVEY", column_of(r, [](const desi_zcatalog_row& x) { return x.survey; }));
  put_strings(f, "PROGRAM", column_of(r, [](const desi_zcatalog_row& x) { return x.program; }));
  put(f, "HEALPIX", TINT, column_of(r, [](const desi_zcatalog_row& x) { return int(x.healpix); }));
  put(f, "SPGRPVAL", TINT, column_of(r, [](const desi_zcatalog_row& x) { return int(x.healpix); }));
  put(f, "Z", TDOUBLE, column_of(r, [](const desi_zcatalog_row& x) { return x.redshift.z; }));
  put(f, "ZERR", TDOUBLE, column_of(r, [](const desi_zcatalog_row& x) { return x.redshift.zerr; }));
  put(f, "ZWARN", TLONGLONG, column_of(r, [](const desi_zcatalog_row& x) { return (long long)x.redshift.zwarn; }));
  put(f, "DELTACHI2", TDOUBLE, column_of(r, [](const desi_zcatalog_row& x) { return x.redshift.deltachi2; }));
  put_strings(f, "SPECTYPE", column_of(r, [](const desi_zcatalog_row& x) { return x.redshift.spectype; }));
  put_strings(f, "SUBTYPE", column_of(r, [](const desi_zcatalog_row& x) { return x.redshift.subtype; }));
  put(f, "ZCAT_NSPEC", TSHORT, column_of(r, [](const desi_zcatalog_row& x) { return short(x.zcat_nspec); }));
  put_logical(f, "ZCAT_PRIMARY", column_of(r, [](const desi_zcatalog_row& x) { return char(x.redshift.zcat_primary); }));
  put(f, "MAIN_NSPEC", TSHORT, column_of(r, [](const desi_zcatalog_row& x) { return short(x.survey == "main"); }));
  put_logical(f, "MAIN_PRIMARY", column_of(r, [](const desi_zcatalog_row& x) { return char(x.survey == "main"); }));
  put_strings(f, "DESINAME", column_of(r, [](const desi_zcatalog_row& x) {
                char buf[32];
                std::snprintf(buf, sizeof buf, "DESI J%08.4f%+08.4f", std::floor(x.target.target_ra * 1e4) / 1e4,
                              std::trunc(x.target.target_dec * 1e4) / 1e4);
                return std::string(buf);
              }));
  create_table(f, "EXP_FIBERMAP", coadd_exp_fibermap_columns, 0);
  checksum_all(f);
  f.close();
}

}  // namespace specmill
