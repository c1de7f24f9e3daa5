#include "io/fits/desi_coadd_reader.hpp"

#include <cctype>
#include <cmath>
#include <regex>
#include <sys/stat.h>

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"

namespace specmill {
namespace {

enum slot { wavelength_hdu = 0, flux_hdu, ivar_hdu, mask_hdu, resolution_hdu };
constexpr const char* slot_suffix[] = {"_WAVELENGTH", "_FLUX", "_IVAR", "_MASK", "_RESOLUTION"};

std::string upper(std::string s) {
  for (auto& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// EXTNAME -> HDU number for every extension.
std::vector<std::pair<std::string, int>> extnames(fits_file& f) {
  std::vector<std::pair<std::string, int>> out;
  const int n = f.hdu_count();
  for (int h = 1; h < n; ++h) {
    f.move_to(h);
    if (auto name = f.key_string("EXTNAME")) out.emplace_back(upper(*name), h);
  }
  return out;
}

int find_hdu(const std::vector<std::pair<std::string, int>>& names, const std::string& name) {
  for (const auto& [n, h] : names)
    if (n == name) return h;
  return -1;
}

// Image dimensions of the current HDU (NAXIS1 first).
std::vector<long> image_shape(fits_file& f) {
  int status = 0, naxis = 0, bitpix = 0;
  long axes[3] = {0, 0, 0};
  fits_get_img_param(native(f), 3, &bitpix, &naxis, axes, &status);
  f.check(status, "cannot read image dimensions");
  return std::vector<long>(axes, axes + std::min(naxis, 3));
}

template <class T>
std::vector<T> read_column(fits_file& f, const char* name, int datatype, size_t first, size_t count, T absent) {
  std::vector<T> v(count, absent);
  const auto c = f.column_index(name);
  if (!c || count == 0) return v;
  int status = 0, anynul = 0;
  fits_read_col(native(f), datatype, *c, LONGLONG(first + 1), 1, LONGLONG(count), nullptr, v.data(), &anynul, &status);
  f.check(status, std::string("cannot read column ") + name);
  return v;
}

std::vector<std::string> read_strings(fits_file& f, const char* name, size_t first, size_t count) {
  std::vector<std::string> out(count);
  const fits_column* c = f.find_column(name);
  if (!c || count == 0) return out;
  // A text column must be stored as text: CFITSIO formats a numeric column read as TSTRING
  // through its TDISPn into our buffer and overflowed it (fuzz_desi_coadd_reader; the SDSS
  // reader's finding 3 in docs/reliability-fuzz.md). Every DESI text column is an A column.
  SPECMILL_DATA_CHECK(c->typecode == TSTRING,
                      "'" + f.path().string() + "': column " + name + " is not a text (A) column");
  const size_t width = size_t(std::max<int64_t>(c->repeat, 1)) + 1;
  std::vector<char> buf(count * width, 0);
  std::vector<char*> p(count);
  for (size_t i = 0; i < count; ++i) p[i] = buf.data() + i * width;
  int status = 0, anynul = 0;
  fits_read_col(native(f), TSTRING, c->index, LONGLONG(first + 1), 1, LONGLONG(count), nullptr, p.data(), &anynul,
                &status);
  f.check(status, std::string("cannot read column ") + name);
  for (size_t i = 0; i < count; ++i) {
    std::string s(p[i]);
    while (!s.empty() && s.back() == ' ') s.pop_back();
    out[i] = std::move(s);
  }
  return out;
}

// The FIBERMAP-style columns of rows [first, first + count) of the current table.
std::vector<desi_target> read_targets(fits_file& f, size_t first, size_t count) {
  SPECMILL_DATA_CHECK(f.column_index("TARGETID").has_value(),
                      "'" + f.path().string() + "': table has no TARGETID column");
  const auto id = read_column<long long>(f, "TARGETID", TLONGLONG, first, count, 0);
  const auto status = read_column<int>(f, "COADD_FIBERSTATUS", TINT, first, count, 0);
  const auto ra = read_column<double>(f, "TARGET_RA", TDOUBLE, first, count, 0);
  const auto dec = read_column<double>(f, "TARGET_DEC", TDOUBLE, first, count, 0);
  const auto objtype = read_strings(f, "OBJTYPE", first, count);
  const auto photsys = read_strings(f, "PHOTSYS", first, count);
  const auto fg = read_column<float>(f, "FLUX_G", TFLOAT, first, count, 0);
  const auto fr = read_column<float>(f, "FLUX_R", TFLOAT, first, count, 0);
  const auto fz = read_column<float>(f, "FLUX_Z", TFLOAT, first, count, 0);
  const auto ig = read_column<float>(f, "FLUX_IVAR_G", TFLOAT, first, count, 0);
  const auto ir = read_column<float>(f, "FLUX_IVAR_R", TFLOAT, first, count, 0);
  const auto iz = read_column<float>(f, "FLUX_IVAR_Z", TFLOAT, first, count, 0);
  const auto ebv = read_column<float>(f, "EBV", TFLOAT, first, count, 0);
  const auto dt = read_column<long long>(f, "DESI_TARGET", TLONGLONG, first, count, 0);
  const auto bt = read_column<long long>(f, "BGS_TARGET", TLONGLONG, first, count, 0);
  const auto mt = read_column<long long>(f, "MWS_TARGET", TLONGLONG, first, count, 0);
  const auto st = read_column<long long>(f, "SCND_TARGET", TLONGLONG, first, count, 0);
  const auto nexp = read_column<short>(f, "COADD_NUMEXP", TSHORT, first, count, 0);
  const auto texp = read_column<float>(f, "COADD_EXPTIME", TFLOAT, first, count, 0);
  std::vector<desi_target> out(count);
  for (size_t i = 0; i < count; ++i) {
    desi_target& t = out[i];
    t.targetid = id[i];
    t.coadd_fiberstatus = status[i];
    t.target_ra = ra[i];
    t.target_dec = dec[i];
    t.objtype = objtype[i];
    t.photsys = photsys[i];
    t.flux_g = fg[i], t.flux_r = fr[i], t.flux_z = fz[i];
    t.flux_ivar_g = ig[i], t.flux_ivar_r = ir[i], t.flux_ivar_z = iz[i];
    t.ebv = ebv[i];
    t.desi_target = dt[i], t.bgs_target = bt[i], t.mws_target = mt[i], t.scnd_target = st[i];
    t.coadd_numexp = nexp[i];
    t.coadd_exptime = texp[i];
  }
  return out;
}

// coadd-<survey>-<program>-<healpix>.fits[.gz]
void names_from_file(const std::filesystem::path& p, std::string& survey, std::string& program, int32_t& healpix) {
  static const std::regex pattern(R"(coadd-([A-Za-z0-9]+)-([A-Za-z0-9]+)-([0-9]+)\.fits(\.gz)?)");
  std::smatch m;
  const std::string name = p.filename().string();
  if (!std::regex_match(name, m, pattern)) return;
  if (survey.empty()) survey = m[1];
  if (program.empty()) program = m[2];
  if (healpix < 0) healpix = int32_t(std::stol(m[3]));
}

// Bytes the current image HDU's data occupies on disk: a shape that claims more is truncated or
// corrupt, and is refused before any buffer is sized from it.
void check_image_fits(fits_file& f, const std::vector<long>& shape, int64_t bytes_per_pixel, const std::string& what) {
  int64_t n = 1;
  for (long a : shape) {
    SPECMILL_DATA_CHECK(a >= 0 && a < (int64_t(1) << 31), "'" + f.path().string() + "': " + what + " has a bad size");
    n *= a;
  }
  const auto span = f.hdu_address();
  SPECMILL_DATA_CHECK(span.data_start + n * bytes_per_pixel <= f.file_bytes(),
                      "'" + f.path().string() + "': " + what + " runs past the end of the file (truncated)");
}

}  // namespace

bool is_desi_coadd(const std::filesystem::path& file) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  try {
    fits_file f = fits_file::open_read(file);
    const auto names = extnames(f);
    if (find_hdu(names, "FIBERMAP") < 0) return false;
    for (char cam : {'B', 'R', 'Z'})
      for (int s = wavelength_hdu; s <= mask_hdu; ++s)
        if (find_hdu(names, std::string(1, cam) + slot_suffix[s]) < 0) return false;
    return true;
  } catch (const error&) {
    return false;
  }
}

desi_coadd_reader::desi_coadd_reader(const std::filesystem::path& file) : path_(file) {
  struct stat st{};
  if (::stat(file.c_str(), &st) != 0) throw not_found("'" + file.string() + "': no such file");
  if (!S_ISREG(st.st_mode)) throw io_error("'" + file.string() + "': not a regular file");
  file_ = std::make_unique<fits_file>(fits_file::open_read(file));
  fits_file& f = *file_;
  const std::string where = "'" + file.string() + "': ";
  f.move_to(0);
  survey_ = f.key_string("SURVEY").value_or("");
  program_ = f.key_string("PROGRAM").value_or("");
  if (auto h = f.key_long("HPXPIXEL")) healpix_ = int32_t(*h);
  const auto names = extnames(f);
  const int fibermap = find_hdu(names, "FIBERMAP");
  SPECMILL_DATA_CHECK(fibermap >= 0, where + "not a DESI coadd: no FIBERMAP HDU");
  f.move_to(fibermap);
  if (survey_.empty()) survey_ = f.key_string("SURVEY").value_or("");
  if (program_.empty()) program_ = f.key_string("PROGRAM").value_or("");
  names_from_file(file, survey_, program_, healpix_);
  const size_t n = size_t(std::max<long>(f.rows(), 0));
  SPECMILL_DATA_CHECK(int64_t(n) * f.row_bytes() + f.hdu_address().data_start <= f.file_bytes(),
                      where + "FIBERMAP runs past the end of the file (truncated)");
  targets_ = read_targets(f, 0, n);

  for (size_t c = 0; c < 3; ++c) {
    desi_camera_data& cam = cameras_[c];
    cam.name = desi_cameras[c].name;
    const std::string up(1, char(std::toupper(cam.name)));
    for (int s = wavelength_hdu; s <= resolution_hdu; ++s) {
      hdu_[c][s] = find_hdu(names, up + slot_suffix[s]);
      if (s == resolution_hdu) {
        has_resolution_ = has_resolution_ && hdu_[c][s] >= 0;
        continue;
      }
      SPECMILL_DATA_CHECK(hdu_[c][s] >= 0, where + "not a DESI coadd: no " + up + slot_suffix[s] + " HDU");
    }
    f.move_to(hdu_[c][wavelength_hdu]);
    const auto wshape = image_shape(f);
    SPECMILL_DATA_CHECK(wshape.size() == 1 && wshape[0] > 0, where + up + "_WAVELENGTH is not a 1-D array");
    check_image_fits(f, wshape, 8, up + "_WAVELENGTH");
    cam.wavelength.resize(size_t(wshape[0]));
    int status = 0, anynul = 0;
    fits_read_img(native(f), TDOUBLE, 1, LONGLONG(wshape[0]), nullptr, cam.wavelength.data(), &anynul, &status);
    f.check(status, "cannot read " + up + "_WAVELENGTH");
    // On the 0.8 A lattice within 1% of a pixel: the cameras then meet without interpolation.
    const double start = std::round(cam.wavelength[0] / desi_pixel_angstrom);
    for (size_t i = 0; i < cam.wavelength.size(); ++i) {
      const double expect = (start + double(i)) * desi_pixel_angstrom;
      SPECMILL_DATA_CHECK(std::fabs(cam.wavelength[i] - expect) < 0.01 * desi_pixel_angstrom,
                          where + up + "_WAVELENGTH[" + std::to_string(i) + "] = " + std::to_string(cam.wavelength[i]) +
                              " A is not on the 0.8 A lattice");
    }
    cam.lattice_start = int32_t(start);
    const long npix = long(cam.npix());
    for (int s : {flux_hdu, ivar_hdu, mask_hdu}) {
      f.move_to(hdu_[c][s]);
      const auto shape = image_shape(f);
      SPECMILL_DATA_CHECK(shape.size() == 2 && shape[0] == npix && size_t(shape[1]) == n,
                          where + up + slot_suffix[s] + " is not " + std::to_string(n) + " x " + std::to_string(npix) +
                              " (targets x wavelengths)");
      check_image_fits(f, shape, 4, up + slot_suffix[s]);
      if (s == mask_hdu) {
        const double bzero = f.key_double("BZERO").value_or(0.0);
        mask_type_ = bzero == 2147483648.0 ? desi_mask_type::uint32 : desi_mask_type::int32;
      }
    }
    if (hdu_[c][resolution_hdu] >= 0) {
      f.move_to(hdu_[c][resolution_hdu]);
      const auto shape = image_shape(f);
      SPECMILL_DATA_CHECK(shape.size() == 3 && shape[0] == npix && shape[1] == desi_resolution_diagonals &&
                              size_t(shape[2]) == n,
                          where + up + "_RESOLUTION is not targets x 11 x wavelengths");
      check_image_fits(f, shape, 4, up + "_RESOLUTION");
    }
  }
}

desi_coadd_reader::~desi_coadd_reader() = default;
desi_coadd_reader::desi_coadd_reader(desi_coadd_reader&&) noexcept = default;
desi_coadd_reader& desi_coadd_reader::operator=(desi_coadd_reader&&) noexcept = default;

desi_coadd_file desi_coadd_reader::read(size_t first, size_t count, bool with_resolution) {
  const size_t n = n_targets();
  SPECMILL_EXPECTS(first <= n && count <= n - first, "desi_coadd_reader::read: targets out of range");
  SPECMILL_DATA_CHECK(!with_resolution || has_resolution_,
                      "'" + path_.string() + "': no X_RESOLUTION HDUs (asked for --with-resolution)");
  fits_file& f = *file_;
  desi_coadd_file out;
  out.survey = survey_;
  out.program = program_;
  out.healpix = healpix_;
  out.mask_type = mask_type_;
  out.targets.assign(targets_.begin() + long(first), targets_.begin() + long(first + count));
  for (size_t c = 0; c < 3; ++c) {
    desi_camera_data& cam = out.cameras[c];
    cam.name = cameras_[c].name;
    cam.lattice_start = cameras_[c].lattice_start;
    cam.wavelength = cameras_[c].wavelength;
    const long npix = long(cam.npix());
    const size_t m = count * size_t(npix);
    cam.flux.resize(m);
    cam.ivar.resize(m);
    cam.mask.resize(m);
    if (count == 0) continue;
    long fpix[3] = {1, long(first) + 1, 1}, lpix[3] = {npix, long(first + count), 1}, inc[3] = {1, 1, 1};
    auto read_rows = [&](int s, int datatype, void* dst) {
      f.move_to(hdu_[c][s]);
      int status = 0, anynul = 0;
      fits_read_subset(native(f), datatype, fpix, lpix, inc, nullptr, dst, &anynul, &status);
      f.check(status, std::string("cannot read ") + char(std::toupper(cam.name)) + slot_suffix[s]);
    };
    read_rows(flux_hdu, TFLOAT, cam.flux.data());
    read_rows(ivar_hdu, TFLOAT, cam.ivar.data());
    // uint32 masks (BZERO 2^31) read as TUINT; int32 masks read as TINT (a TUINT read of a
    // negative int32 would be an overflow) and keep their bit pattern.
    if (mask_type_ == desi_mask_type::uint32) {
      static_assert(sizeof(unsigned int) == sizeof(uint32_t));
      read_rows(mask_hdu, TUINT, cam.mask.data());
    } else {
      static_assert(sizeof(int) == sizeof(uint32_t));
      read_rows(mask_hdu, TINT, cam.mask.data());
    }
    if (with_resolution) {
      cam.resolution.resize(m * desi_resolution_diagonals);
      long rf[3] = {1, 1, long(first) + 1}, rl[3] = {npix, desi_resolution_diagonals, long(first + count)};
      f.move_to(hdu_[c][resolution_hdu]);
      int status = 0, anynul = 0;
      fits_read_subset(native(f), TFLOAT, rf, rl, inc, nullptr, cam.resolution.data(), &anynul, &status);
      f.check(status, "cannot read resolution");
    }
  }
  return out;
}

desi_zcatalog_reader::desi_zcatalog_reader(const std::filesystem::path& file) : path_(file) {
  file_ = std::make_unique<fits_file>(fits_file::open_read(file));
  const auto names = extnames(*file_);
  int h = find_hdu(names, "ZCATALOG");
  if (h < 0) h = 1;  // some catalogs name it otherwise; the first table then
  SPECMILL_DATA_CHECK(file_->hdu_count() > h, "'" + file.string() + "': no ZCATALOG table");
  file_->move_to(h);
  rows_ = size_t(std::max<long>(file_->rows(), 0));
  SPECMILL_DATA_CHECK(file_->column_index("TARGETID") && file_->column_index("Z"),
                      "'" + file.string() + "': not a DESI redshift catalog (needs TARGETID and Z)");
}

desi_zcatalog_reader::~desi_zcatalog_reader() = default;

std::vector<desi_zcatalog_reader::row> desi_zcatalog_reader::read(size_t first, size_t count) {
  SPECMILL_EXPECTS(first <= rows_ && count <= rows_ - first, "desi_zcatalog_reader::read: rows out of range");
  fits_file& f = *file_;
  const auto targets = read_targets(f, first, count);
  const auto survey = read_strings(f, "SURVEY", first, count);
  const auto program = read_strings(f, "PROGRAM", first, count);
  const auto healpix = read_column<int>(f, "HEALPIX", TINT, first, count, -1);
  const auto z = read_column<double>(f, "Z", TDOUBLE, first, count, 0);
  const auto zerr = read_column<double>(f, "ZERR", TDOUBLE, first, count, 0);
  const auto zwarn = read_column<long long>(f, "ZWARN", TLONGLONG, first, count, 0);
  const auto dchi2 = read_column<double>(f, "DELTACHI2", TDOUBLE, first, count, 0);
  const auto spectype = read_strings(f, "SPECTYPE", first, count);
  const auto subtype = read_strings(f, "SUBTYPE", first, count);
  const auto primary = read_column<char>(f, "ZCAT_PRIMARY", TLOGICAL, first, count, 1);
  const std::string file_survey = f.key_string("SURVEY").value_or(""), file_program = f.key_string("PROGRAM").value_or("");
  std::vector<row> out(count);
  for (size_t i = 0; i < count; ++i) {
    row& r = out[i];
    r.target = targets[i];
    r.survey = survey[i].empty() ? file_survey : survey[i];
    r.program = program[i].empty() ? file_program : program[i];
    r.healpix = healpix[i];
    r.redshift = {z[i], zerr[i], int64_t(zwarn[i]), spectype[i], subtype[i], dchi2[i], primary[i] != 0};
  }
  return out;
}

}  // namespace specmill
