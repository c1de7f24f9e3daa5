#include "io/fits/sdss_spec_writer.hpp"

#include <fitsio.h>

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numbers>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "io/fits/fits_file.hpp"
#include "io/fits/sdss_table_layout.hpp"
#include "io/formats/byte_output.hpp"

namespace specmill {
namespace {

using detail::row_encoder;
using detail::table_column;
using detail::table_layout;

// The malloc'd buffer CFITSIO writes a file into. One per thread and reused across files:
// the files are all about the same size, so after the first one CFITSIO never reallocates.
struct memfile_buffer {
  void* data = nullptr;
  size_t size = 0;
  ~memfile_buffer() { std::free(data); }
};

// RAII owner of a fitsfile* being written. A spec-lite file (~220 KB) is built in memory and
// handed over whole: faster than CFITSIO's 2880-byte disk I/O, and a failed file never leaves a
// half-written FITS behind. Catalogs (hundreds of MB) go to disk through CFITSIO.
class fits_output {
 public:
  enum class target { memory, disk };
  fits_output(const std::filesystem::path& path, target t) : label_(path) {
    int status = 0;
    if (t == target::memory) {
      thread_local memfile_buffer buffer;
      buffer_ = &buffer;
      // CFITSIO takes the size passed in as the size of an existing file: start from zero and
      // let it realloc the kept allocation back up (no new malloc after the first file).
      buffer_->size = 0;
      ffimem(&f_, &buffer_->data, &buffer_->size, 2880 * 64, std::realloc, &status);
    } else {
      ffinit(&f_, ("!" + label_.string()).c_str(), &status);  // '!' = overwrite an existing file
    }
    check(status, "cannot create FITS file");
  }
  fits_output(const fits_output&) = delete;
  fits_output& operator=(const fits_output&) = delete;
  ~fits_output() {
    if (f_) {
      int status = 0;
      ffclos(f_, &status);
    }
  }
  fitsfile* get() const { return f_; }

  void check(int status, const char* what) const { fits_check(status, label_, what); }

  // Flushes and closes the file; a memory file's bytes then go to `take` in one piece.
  void close(const std::function<void(const char*, size_t)>& take = {}) {
    int status = 0;
    LONGLONG head = 0, data = 0, end = 0;
    ffflus(f_, &status);
    ffghadll(f_, &head, &data, &end, &status);  // end of the last HDU = file size (padded)
    check(status, "flush");
    ffclos(f_, &status);
    f_ = nullptr;
    check(status, "close");
    if (buffer_ && take) take(static_cast<const char*>(buffer_->data), static_cast<size_t>(end));
  }

 private:
  std::filesystem::path label_;
  memfile_buffer* buffer_ = nullptr;
  fitsfile* f_ = nullptr;
};

// --------------------------------------------------------------------- header keys
void key_str(fits_output& f, const char* key, const std::string& v, const char* comment) {
  int status = 0;
  ffpkys(f.get(), key, v.c_str(), comment, &status);
  f.check(status, key);
}
void key_int(fits_output& f, const char* key, long long v, const char* comment) {
  int status = 0;
  ffpkyj(f.get(), key, v, comment, &status);
  f.check(status, key);
}
void key_bool(fits_output& f, const char* key, bool v, const char* comment) {
  int status = 0;
  ffpkyl(f.get(), key, v ? 1 : 0, comment, &status);
  f.check(status, key);
}
// Fixed-point doubles, as idlspec2d prints them (COEFF1 = 0.000100000000000).
void key_fixed(fits_output& f, const char* key, double v, int decimals, const char* comment) {
  int status = 0;
  ffpkyg(f.get(), key, v, decimals, comment, &status);
  f.check(status, key);
}
// %.NG doubles (BOSS COEFF0 = 3.5515, PLUG_RA = 112.0552).
void key_general(fits_output& f, const char* key, double v, int digits, const char* comment) {
  int status = 0;
  ffpkyd(f.get(), key, v, -digits, comment, &status);
  f.check(status, key);
}

void write_primary(fits_output& f, sdss_era era, const sdss_spectrum& s, const spec_lite_header& h) {
  int status = 0;
  ffcrim(f.get(), BYTE_IMG, 0, nullptr, &status);  // BITPIX = 8, NAXIS = 0, like idlspec2d
  // idlspec2d headers lack CFITSIO's two-line "FITS ... defined in" COMMENT: drop it.
  ffdkey(f.get(), "COMMENT", &status);
  ffdkey(f.get(), "COMMENT", &status);
  f.check(status, "primary HDU");
  const spec_meta& m = s.meta;
  const bool legacy = era == sdss_era::legacy;
  const int spectrograph = m.fiberid <= (legacy ? 320 : 500) ? 1 : 2;
  const int nexp = h.nexp > 0 ? h.nexp : legacy ? 8 : 10;

  key_str(f, "TELESCOP", "SDSS 2.5-M", "Sloan Digital Sky Survey");
  key_str(f, "FLAVOR", "science", "Flavor of this sequence (e.g., dome flat, etc.)");
  key_int(f, "MJD", m.mjd, "MJD of observation");
  key_int(f, "PLATEID", m.plate, "Plate Id");
  key_int(f, "TILEID", h.tileid, "Tile Id");
  key_str(f, "RADECSYS", "FK5", nullptr);
  key_fixed(f, "EQUINOX", 2000.0, 2, nullptr);
  const std::string cam = std::to_string(spectrograph);
  key_int(f, ("NEXP_B" + cam).c_str(), nexp / 2, "b camera number of exposures");
  key_int(f, ("NEXP_R" + cam).c_str(), nexp - nexp / 2, "r camera number of exposures");
  key_fixed(f, ("EXPT_B" + cam).c_str(), h.exptime, 2, "b camera exposure time (seconds)");
  key_fixed(f, ("EXPT_R" + cam).c_str(), h.exptime, 2, "r camera exposure time (seconds)");
  key_fixed(f, "EXPTIME", h.exptime, 2, "Minimum of exposure times for all cameras");
  key_str(f, "VERS2D", legacy ? "v5_3_12" : m.run2d, "Version of idlspec2d for 2D reduction");
  key_str(f, "VERSCOMB", legacy ? "v5_3_12" : m.run2d, "Version of idlspec2d for combining multiple spe");
  if (!legacy) key_str(f, "RUN2D", m.run2d, "Spectro-2D reduction name");
  key_fixed(f, "HELIO_RV", h.helio_rv, 11, "Heliocentric correction (added to velocities)");
  key_bool(f, "VACUUM", true, "Wavelengths are in vacuum");
  key_int(f, "NWORDER", 2, "Linear-log10 coefficients");
  key_str(f, "WFITTYPE", "LOG-LINEAR", "Linear-log10 dispersion");
  const int32_t first = s.data.lattice_start - (legacy ? h.coeff0_offset : 0);
  const double coeff0 = double(first) * sdss_native_grid.step;
  if (legacy)
    key_fixed(f, "COEFF0", coeff0, 11, "Central wavelength (log10) of first pixel");
  else
    key_general(f, "COEFF0", coeff0, 15, "Central wavelength (log10) of first pixel");
  key_fixed(f, "COEFF1", sdss_native_grid.step, 15, "Log10 dispersion per pixel");
  key_str(f, "WAT0_001", "system=linear", nullptr);
  key_str(f, "WAT1_001", "wtype=linear label=Wavelength units=Angstroms", nullptr);
  key_int(f, "DC-FLAG", 1, "Log-linear flag");
  key_str(f, "BUNIT", "1E-17 erg/cm^2/s/Ang", nullptr);
  key_general(f, "PLUG_RA", m.plug_ra, 10, "RA of object [deg]");
  key_general(f, "PLUG_DEC", m.plug_dec, 8, "dec of object [deg]");
  if (legacy) {
    const std::string id = std::to_string(m.specobjid);
    key_str(f, "SPEC_ID", std::string(id.size() < 22 ? 22 - id.size() : 0, ' ') + id,
            "Unique object identifier");
  } else {
    key_int(f, "THING_ID", m.thing_id, "Unique object identifier");
  }
  key_int(f, "FIBERID", m.fiberid, legacy ? "Fiber number (1-640)" : "Fiber number (1-1000)");
  key_int(f, "NEXP", nexp, "Number of individual exposures");
  // Exposure ids: camera, exposure, flat, arc; deterministic in (mjd, plate).
  const long base = legacy ? 2000L + (m.mjd - 51600L) * 9 + m.plate % 7 : 100000L + (m.mjd - 55000L) * 11 + m.plate % 7;
  for (int i = 0; i < nexp; ++i) {
    const bool blue = i < nexp / 2;
    const long expo = base + (blue ? i : i - nexp / 2);
    char key[16], value[64];
    std::snprintf(key, sizeof key, legacy ? "EXPID%02d" : "EXPID%03d", i + 1);
    std::snprintf(value, sizeof value, "%c%d-%08ld-%08ld-%08ld", blue ? 'b' : 'r', spectrograph, expo,
                  base + nexp / 2, base + nexp / 2 + 1);
    key_str(f, key, value, nullptr);
  }
}

// --------------------------------------------------------------------- HDU 1: COADD
void write_coadd(fits_output& f, const coadd& c) {
  static const char* names[] = {"flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model"};
  static const char* forms[] = {"E", "E", "E", "J", "J", "E", "E", "E"};
  int status = 0;
  const auto n = static_cast<LONGLONG>(c.npix());
  ffcrtb(f.get(), BINARY_TBL, n, 8, const_cast<char**>(names), const_cast<char**>(forms), nullptr,
         "COADD", &status);
  ffpcom(f.get(), "Coadded spectrum", &status);
  f.check(status, "COADD header");
  auto put = [&](int col, const std::vector<float>& v) {
    ffpcle(f.get(), col, 1, 1, n, const_cast<float*>(v.data()), &status);
  };
  put(1, c.flux);
  put(2, c.loglam);
  put(3, c.ivar);
  ffpclk(f.get(), 4, 1, 1, n, const_cast<int*>(c.and_mask.data()), &status);
  ffpclk(f.get(), 5, 1, 1, n, const_cast<int*>(c.or_mask.data()), &status);
  put(6, c.wdisp);
  put(7, c.sky);
  put(8, c.model);
  f.check(status, "COADD columns");
}

// --------------------------------------------------------------------- HDU 2 / catalog rows
// Creates an empty binary table with `layout`'s columns; TDIM/TSCAL/TZERO as in the real files.
void create_table(fits_output& f, const table_layout& layout, LONGLONG rows, const char* extname) {
  std::vector<char*> names, forms;
  for (const auto& c : layout.columns()) {
    names.push_back(const_cast<char*>(c.name.c_str()));
    forms.push_back(const_cast<char*>(c.tform.c_str()));
  }
  int status = 0;
  ffcrtb(f.get(), BINARY_TBL, rows, static_cast<int>(names.size()), names.data(), forms.data(), nullptr,
         extname, &status);
  f.check(status, "create table");
  int i = 1;
  for (const auto& c : layout.columns()) {
    const std::string n = std::to_string(i++);
    if (!c.tdim.empty()) key_str(f, ("TDIM" + n).c_str(), c.tdim, nullptr);
    if (c.tzero_2p63) {
      key_int(f, ("TSCAL" + n).c_str(), 1, nullptr);
      // 2^63 does not fit ffpkyj's LONGLONG; ffpkyuj writes it as an unsigned integer.
      ffpkyuj(f.get(), ("TZERO" + n).c_str(), uint64_t{1} << 63, nullptr, &status);
      f.check(status, "TZERO");
    }
  }
}

std::string specobjid_text(uint64_t id) { return std::to_string(id); }

// The HDU 2 row (and catalog row): every spec_meta field plus the columns derived from it.
void encode_meta(const table_layout& L, const spec_meta& m, const coadd* data, std::span<uint8_t> row) {
  const bool legacy = era_of(m.run2d) == sdss_era::legacy;
  row_encoder r(row);
  auto col = [&](const char* name) { return L.find(name); };
  r.put_str(col("PROGRAMNAME"), m.programname);
  r.put_str(col("SURVEY"), legacy ? "sdss" : m.programname == "eboss" ? "eboss" : "boss");
  r.put_str(col("INSTRUMENT"), legacy ? "SDSS" : "BOSS");
  r.put_str(col("CHUNK"), (legacy ? "chunk" : m.programname) + std::to_string(1 + m.plate % 60));
  r.put_str(col("PLATERUN"), "chunk" + std::to_string(1 + m.plate % 60));
  r.put_str(col("PLATEQUALITY"), "good");
  r.put_u8(col("SPECPRIMARY"), static_cast<uint8_t>(m.specprimary));
  r.put_u8(col("SPECLEGACY"), legacy && m.specprimary ? 1 : 0);
  r.put_u8(col("SPECBOSS"), !legacy && m.specprimary ? 1 : 0);
  r.put_i16(col("NSPECOBS"), 1);
  if (const auto* c = col("SPECOBJID"); c && c->type == 'A')
    r.put_str_right(c, specobjid_text(m.specobjid));  // legacy: 22A with leading blanks
  else
    r.put_u64(c, m.specobjid);
  if (legacy) {
    const uint64_t plateid = pack_specobjid({m.plate, m.mjd, 0, run2d_code(m.run2d)});
    r.put_str_right(col("PLATEID"), specobjid_text(plateid));
    r.put_str(col("FIRSTRELEASE"), "dr7");
    r.put_str(col("SOURCETYPE"), m.class_name);
    r.put_str(col("TARGETTYPE"), "SCIENCE");
    r.put_i16(col("SPECTROGRAPHID"), m.fiberid <= 320 ? 1 : 2);
  } else {
    r.put_str(col("RUN1D"), m.run2d);
  }
  r.put_str(col("RUN2D"), m.run2d);
  r.put_i32(col("PLATE"), m.plate);
  r.put_i32(col("TILE"), m.plate);
  r.put_i32(col("MJD"), m.mjd);
  r.put_i32(col("FIBERID"), m.fiberid);
  r.put_str(col("OBJTYPE"), m.objtype);
  r.put_f64(col("PLUG_RA"), m.plug_ra);
  r.put_f64(col("PLUG_DEC"), m.plug_dec);
  r.put_f64(col("RA"), m.plug_ra);
  r.put_f64(col("DEC"), m.plug_dec);
  const double ra = m.plug_ra * std::numbers::pi / 180, dec = m.plug_dec * std::numbers::pi / 180;
  r.put_f64(col("CX"), std::cos(dec) * std::cos(ra));
  r.put_f64(col("CY"), std::cos(dec) * std::sin(ra));
  r.put_f64(col("CZ"), std::sin(dec));
  r.put_str(col("CLASS"), m.class_name);
  r.put_str(col("SUBCLASS"), m.subclass);
  r.put_f32(col("Z"), m.z);
  r.put_f32(col("Z_ERR"), m.z_err);
  r.put_i32(col("ZWARNING"), m.zwarning);
  r.put_f32(col("Z_NOQSO"), m.z);
  r.put_f32(col("Z_ERR_NOQSO"), m.z_err);
  r.put_i32(col("ZWARNING_NOQSO"), m.zwarning);
  if (const auto* c = col("CLASS_NOQSO"); c && c->repeat >= 6)
    r.put_str(c, m.class_name == "QSO" ? "GALAXY" : m.class_name);
  const bool qso = m.class_name == "QSO", star = m.class_name == "STAR";
  r.put_str(col("TFILE"), qso ? "spEigenQSO-55732.fits" : star ? "spEigenStar-55734.fits" : "spEigenGal-55740.fits");
  r.put_i32(col("NPOLY"), 3);
  r.put_f32(col("RCHI2"), 1.05f);
  r.put_f32(col("WAVEMIN"), m.wavemin);
  r.put_f32(col("WAVEMAX"), m.wavemax);
  if (m.wavemin > 0 && m.wavemax > m.wavemin)
    r.put_f32(col("WCOVERAGE"), static_cast<float>(std::log10(double(m.wavemax) / m.wavemin)));
  r.put_f32(col("SN_MEDIAN_ALL"), m.sn_median_all);
  for (int b = 0; b < 5; ++b) r.put_f32(col("SPECTROFLUX"), m.spectroflux[static_cast<size_t>(b)], b);
  if (!legacy && m.thing_id >= 0) {
    r.put_i32(col("THING_ID"), static_cast<int32_t>(m.thing_id));
    r.put_i64(col("THING_ID_TARGETING"), m.thing_id);
  }
  if (data) {
    int32_t any_and = 0, any_or = 0;
    for (size_t i = 0; i < data->and_mask.size(); ++i) any_and |= data->and_mask[i];
    for (size_t i = 0; i < data->or_mask.size(); ++i) any_or |= data->or_mask[i];
    r.put_i32(col("ANYANDMASK"), any_and);
    r.put_i32(col("ANYORMASK"), any_or);
    r.put_i32(col("DOF"), static_cast<int32_t>(data->npix()) - 10);
  }
}

void write_meta_hdu(fits_output& f, sdss_era era, const sdss_spectrum& s) {
  const table_layout& L = era == sdss_era::legacy ? table_layout::legacy_specobj() : table_layout::boss_spall();
  create_table(f, L, 1, era == sdss_era::legacy ? "SPECOBJ" : "SPALL");
  std::vector<uint8_t> row = L.blank_row();
  encode_meta(L, s.meta, &s.data, row);
  int status = 0;
  ffptbb(f.get(), 1, 1, static_cast<LONGLONG>(row.size()), row.data(), &status);
  f.check(status, "HDU 2 row");
}

// --------------------------------------------------------------------- HDU 3: SPZLINE
void write_spzline(fits_output& f, sdss_era era, const sdss_spectrum& s) {
  const table_layout& L = table_layout::spzline();
  const auto lines = era == sdss_era::legacy ? detail::legacy_spzline_lines() : detail::boss_spzline_lines();
  create_table(f, L, static_cast<LONGLONG>(lines.size()), "SPZLINE");
  std::vector<uint8_t> rows(L.row_bytes() * lines.size());
  const auto* plate = L.find("PLATE");
  const auto* mjd = L.find("MJD");
  const auto* fiber = L.find("FIBERID");
  const auto* name = L.find("LINENAME");
  const auto* wave = L.find("LINEWAVE");
  const auto* linez = L.find("LINEZ");
  for (size_t i = 0; i < lines.size(); ++i) {
    std::span<uint8_t> row(rows.data() + i * L.row_bytes(), L.row_bytes());
    std::copy(L.blank_row().begin(), L.blank_row().end(), row.begin());
    row_encoder r(row);
    r.put_i32(plate, s.meta.plate);
    r.put_i32(mjd, s.meta.mjd);
    r.put_i32(fiber, s.meta.fiberid);
    r.put_str(name, lines[i].name);
    r.put_f64(wave, lines[i].wave);
    r.put_f32(linez, s.meta.z);
  }
  int status = 0;
  ffptbb(f.get(), 1, 1, static_cast<LONGLONG>(rows.size()), rows.data(), &status);
  f.check(status, "SPZLINE rows");
}

void check_spectrum(const sdss_spectrum& s) {
  const coadd& c = s.data;
  const size_t n = c.npix();
  SPECMILL_EXPECTS(n > 0, "write_sdss_spec_lite: empty spectrum");
  SPECMILL_EXPECTS(c.loglam.size() == n && c.ivar.size() == n && c.and_mask.size() == n &&
                       c.or_mask.size() == n && c.wdisp.size() == n && c.sky.size() == n && c.model.size() == n,
                   "write_sdss_spec_lite: COADD columns differ in length");
}

}  // namespace

sdss_era era_of(std::string_view run2d) {
  const int32_t code = run2d_code(run2d);  // throws invalid_argument on malformed text
  if (run2d.starts_with('v')) return sdss_era::boss;
  SPECMILL_EXPECTS(code == 26 || code == 103 || code == 104, "unknown legacy RUN2D " + std::string(run2d));
  return sdss_era::legacy;
}

void write_sdss_spec_lite(const std::filesystem::path& file, const sdss_spectrum& s) {
  write_sdss_spec_lite(file, s, spec_lite_header{});
}

void write_sdss_spec_lite(const std::filesystem::path& file, const sdss_spectrum& s, const spec_lite_header& h) {
  byte_output out(file);
  write_sdss_spec_lite(s, h, [&](const char* data, size_t n) { out.write(data, n); }, file);
  out.close();
}

void write_sdss_spec_lite(const sdss_spectrum& s, const std::function<void(const char*, size_t)>& out,
                          const std::filesystem::path& name) {
  write_sdss_spec_lite(s, spec_lite_header{}, out, name);
}

void write_sdss_spec_lite(const sdss_spectrum& s, const spec_lite_header& h,
                          const std::function<void(const char*, size_t)>& out, const std::filesystem::path& name) {
  check_spectrum(s);
  const sdss_era era = era_of(s.meta.run2d);
  fits_output f(name, fits_output::target::memory);
  write_primary(f, era, s, h);
  write_coadd(f, s.data);
  write_meta_hdu(f, era, s);
  write_spzline(f, era, s);
  f.close(out);
}

void write_specobj_catalog(const std::filesystem::path& file, std::span<const spec_meta> rows) {
  const table_layout& L = table_layout::boss_spall();
  fits_output f(file, fits_output::target::disk);
  int status = 0;
  ffcrim(f.get(), BYTE_IMG, 0, nullptr, &status);
  f.check(status, "primary HDU");
  create_table(f, L, static_cast<LONGLONG>(rows.size()), "SPALL");
  // Encode in chunks so a million-row catalog does not need one 4 GB buffer.
  constexpr size_t chunk = 4096;
  std::vector<uint8_t> buf;
  for (size_t first = 0; first < rows.size(); first += chunk) {
    const size_t n = std::min(chunk, rows.size() - first);
    buf.resize(n * L.row_bytes());
    for (size_t i = 0; i < n; ++i) {
      std::span<uint8_t> row(buf.data() + i * L.row_bytes(), L.row_bytes());
      std::copy(L.blank_row().begin(), L.blank_row().end(), row.begin());
      encode_meta(L, rows[first + i], nullptr, row);
    }
    ffptbb(f.get(), static_cast<LONGLONG>(first + 1), 1, static_cast<LONGLONG>(buf.size()), buf.data(), &status);
    f.check(status, "catalog rows");
  }
  f.close();
}

}  // namespace specmill
