#include "io/fits/spec_meta_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "io/fits/fits_native.hpp"

namespace specmill {
namespace {

// FITS stores unsigned 64-bit integers as K with TZERO = 2^63.
constexpr double tzero_uint64 = 9223372036854775808.0;

// Appending (not '"'" + s + "'"') sidesteps GCC 12's false -Wrestrict (PR 105651).
std::string where(const fits_file& f) {
  std::string s(1, '\'');
  s += f.path().string();
  s += '\'';
  return s;
}

std::string trim(std::string s) {
  const auto first = s.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(' ');
  return s.substr(first, last - first + 1);
}

bool is_numeric(int typecode) { return typecode > 0 && typecode != TSTRING && typecode != TBIT; }

// Reads nelem values of one column starting at 0-based row first_row with CFITSIO converting
// to `datatype` (so a J, I or B column all read as TINT, an E or D column as TFLOAT...).
template <class T>
std::vector<T> read_numbers(fits_file& f, int datatype, int colnum, size_t first_row, size_t nelem,
                            const char* name) {
  std::vector<T> out(nelem);
  T nulval{};  // 0: CFITSIO skips the undefined-value check
  int anynul = 0, status = 0;
  fits_read_col(native(f), datatype, colnum, LONGLONG(first_row) + 1, 1, LONGLONG(nelem), &nulval,
                out.data(), &anynul, &status);
  f.check(status, std::string("cannot read column ") + name);
  return out;
}

// A number from a numeric column where text is expected (RUN2D as J: "26").
std::string number_text(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(int64_t(v));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::vector<std::string> read_strings(fits_file& f, int colnum, int typecode, int64_t repeat, size_t first_row,
                                      size_t count, const char* name) {
  if (typecode != TSTRING) {
    // Not through CFITSIO's TSTRING formatting of numbers: 4.2 writes up to the TDISPn width
    // into the caller's strings and sprintf's with the TDISPn format into an 80-byte buffer of
    // its own, so a header's TDISPn could overflow either (fuzz/fuzz_sdss_spec_reader: a mutated
    // TDISP wrote 24 bytes into a 33-byte row of ours at its end).
    const auto v = read_numbers<double>(f, TDOUBLE, colnum, first_row, count, name);
    std::vector<std::string> out(count);
    for (size_t i = 0; i < count; ++i) out[i] = number_text(v[i]);
    return out;
  }
  const size_t width = size_t(std::max<int64_t>(repeat, 32)) + 1;
  std::vector<char> storage(count * width, '\0');
  std::vector<char*> rows(count);
  for (size_t i = 0; i < count; ++i) rows[i] = storage.data() + i * width;
  char nulstr[] = "";
  int anynul = 0, status = 0;
  fits_read_col(native(f), TSTRING, colnum, LONGLONG(first_row) + 1, 1, LONGLONG(count), nulstr,
                rows.data(), &anynul, &status);
  f.check(status, std::string("cannot read column ") + name);
  std::vector<std::string> out(count);
  for (size_t i = 0; i < count; ++i) out[i] = trim(rows[i]);
  return out;
}

}  // namespace

spec_meta_table::spec_meta_table(fits_file& f, std::optional<std::string> run2d_fallback)
    : run2d_fallback_(std::move(run2d_fallback)) {
  auto bind = [&](col& c, const char* name, bool required) {
    const fits_column* fc = f.find_column(name);
    SPECMILL_DATA_CHECK(fc || !required, where(f) + ": metadata table (HDU " +
                                             std::to_string(f.current_hdu()) + ") has no " + name +
                                             " column");
    if (fc) c = col{fc->index, fc->typecode, fc->repeat, fc->scale, fc->zero};
  };
  auto scalar_number = [&](const col& c, const char* name) {
    SPECMILL_DATA_CHECK(!c || (is_numeric(c.typecode) && c.repeat == 1),
                        where(f) + ": metadata column " + name + " is not a numeric scalar");
  };
  bind(specobjid_, "SPECOBJID", false);
  bind(plate_, "PLATE", true);
  bind(mjd_, "MJD", true);
  bind(fiberid_, "FIBERID", true);
  bind(run2d_, "RUN2D", !run2d_fallback_);
  bind(plug_ra_, "PLUG_RA", false);
  bind(plug_dec_, "PLUG_DEC", false);
  bind(z_, "Z", true);
  bind(z_err_, "Z_ERR", false);
  bind(zwarning_, "ZWARNING", false);
  bind(class_, "CLASS", true);
  bind(subclass_, "SUBCLASS", false);
  bind(sn_median_all_, "SN_MEDIAN_ALL", false);
  bind(specprimary_, "SPECPRIMARY", false);
  bind(spectroflux_, "SPECTROFLUX", false);
  bind(wavemin_, "WAVEMIN", false);
  bind(wavemax_, "WAVEMAX", false);
  bind(programname_, "PROGRAMNAME", false);
  bind(objtype_, "OBJTYPE", false);
  bind(thing_id_, "THING_ID", false);

  scalar_number(plate_, "PLATE");
  scalar_number(mjd_, "MJD");
  scalar_number(fiberid_, "FIBERID");
  scalar_number(plug_ra_, "PLUG_RA");
  scalar_number(plug_dec_, "PLUG_DEC");
  scalar_number(z_, "Z");
  scalar_number(z_err_, "Z_ERR");
  scalar_number(zwarning_, "ZWARNING");
  scalar_number(sn_median_all_, "SN_MEDIAN_ALL");
  scalar_number(specprimary_, "SPECPRIMARY");
  scalar_number(wavemin_, "WAVEMIN");
  scalar_number(wavemax_, "WAVEMAX");
  scalar_number(thing_id_, "THING_ID");
  SPECMILL_DATA_CHECK(!spectroflux_ || (is_numeric(spectroflux_.typecode) && spectroflux_.repeat == 5),
                      where(f) + ": metadata column SPECTROFLUX is not a 5-vector (ugriz)");
  if (specobjid_ && specobjid_.typecode != TSTRING) {
    // Integer IDs: plain (spAll subsets, signed two's complement) or unsigned via TZERO = 2^63.
    const bool plain = specobjid_.scale == 1.0 && specobjid_.zero == 0.0;
    const bool unsigned64 = specobjid_.typecode == TLONGLONG && specobjid_.scale == 1.0 &&
                            specobjid_.zero == tzero_uint64;
    SPECMILL_DATA_CHECK(specobjid_.repeat == 1 && is_numeric(specobjid_.typecode) &&
                            specobjid_.typecode != TFLOAT && specobjid_.typecode != TDOUBLE &&
                            (plain || unsigned64),
                        where(f) + ": metadata column SPECOBJID has an unsupported type or scaling");
  }
}

std::vector<spec_meta> spec_meta_table::read(fits_file& f, size_t first_row, size_t count) const {
  std::vector<spec_meta> out(count);
  if (count == 0) return out;

  auto ints = [&](const col& c, const char* name, auto set) {
    if (!c) return;
    const auto v = read_numbers<int>(f, TINT, c.index, first_row, count, name);
    for (size_t i = 0; i < count; ++i) set(out[i], v[i]);
  };
  auto floats = [&](const col& c, const char* name, auto set) {
    if (!c) return;
    const auto v = read_numbers<float>(f, TFLOAT, c.index, first_row, count, name);
    for (size_t i = 0; i < count; ++i) set(out[i], v[i]);
  };
  auto doubles = [&](const col& c, const char* name, auto set) {
    if (!c) return;
    const auto v = read_numbers<double>(f, TDOUBLE, c.index, first_row, count, name);
    for (size_t i = 0; i < count; ++i) set(out[i], v[i]);
  };
  auto strings = [&](const col& c, const char* name, auto set) {
    if (!c) return;
    auto v = read_strings(f, c.index, c.typecode, c.repeat, first_row, count, name);
    for (size_t i = 0; i < count; ++i) set(out[i], std::move(v[i]));
  };

  ints(plate_, "PLATE", [](spec_meta& m, int v) { m.plate = v; });
  ints(mjd_, "MJD", [](spec_meta& m, int v) { m.mjd = v; });
  ints(fiberid_, "FIBERID", [](spec_meta& m, int v) { m.fiberid = v; });
  strings(run2d_, "RUN2D", [](spec_meta& m, std::string v) { m.run2d = std::move(v); });
  doubles(plug_ra_, "PLUG_RA", [](spec_meta& m, double v) { m.plug_ra = v; });
  doubles(plug_dec_, "PLUG_DEC", [](spec_meta& m, double v) { m.plug_dec = v; });
  floats(z_, "Z", [](spec_meta& m, float v) { m.z = v; });
  floats(z_err_, "Z_ERR", [](spec_meta& m, float v) { m.z_err = v; });
  ints(zwarning_, "ZWARNING", [](spec_meta& m, int v) { m.zwarning = v; });
  strings(class_, "CLASS", [](spec_meta& m, std::string v) { m.class_name = std::move(v); });
  strings(subclass_, "SUBCLASS", [](spec_meta& m, std::string v) { m.subclass = std::move(v); });
  floats(sn_median_all_, "SN_MEDIAN_ALL", [](spec_meta& m, float v) { m.sn_median_all = v; });
  ints(specprimary_, "SPECPRIMARY", [](spec_meta& m, int v) { m.specprimary = v; });
  floats(wavemin_, "WAVEMIN", [](spec_meta& m, float v) { m.wavemin = v; });
  floats(wavemax_, "WAVEMAX", [](spec_meta& m, float v) { m.wavemax = v; });
  strings(programname_, "PROGRAMNAME", [](spec_meta& m, std::string v) { m.programname = std::move(v); });
  strings(objtype_, "OBJTYPE", [](spec_meta& m, std::string v) { m.objtype = std::move(v); });
  if (thing_id_) {
    const auto v = read_numbers<LONGLONG>(f, TLONGLONG, thing_id_.index, first_row, count, "THING_ID");
    for (size_t i = 0; i < count; ++i) out[i].thing_id = v[i];
  }
  if (spectroflux_) {
    // 5 elements per row; one call reads across row boundaries.
    const auto v = read_numbers<float>(f, TFLOAT, spectroflux_.index, first_row, count * 5, "SPECTROFLUX");
    for (size_t i = 0; i < count; ++i) std::copy_n(v.begin() + long(i * 5), 5, out[i].spectroflux.begin());
  }

  std::vector<uint64_t> ids;
  if (specobjid_.typecode == TSTRING) {
    const auto text = read_strings(f, specobjid_.index, TSTRING, specobjid_.repeat, first_row, count, "SPECOBJID");
    ids.resize(count);
    for (size_t i = 0; i < count; ++i) {
      const auto id = parse_specobjid(text[i]);
      SPECMILL_DATA_CHECK(id.has_value(), where(f) + " row " + std::to_string(first_row + i) +
                                              ": SPECOBJID '" + text[i] + "' is not an integer");
      ids[i] = *id;
    }
  } else if (specobjid_ && specobjid_.zero != 0.0) {
    // TZERO = 2^63: TULONGLONG gives the true unsigned value (plates >= 8192 set bit 63).
    ids = read_numbers<uint64_t>(f, TULONGLONG, specobjid_.index, first_row, count, "SPECOBJID");
  } else if (specobjid_) {
    // Signed storage of an unsigned ID (spAll subsets): the bits are the ID.
    const auto v = read_numbers<LONGLONG>(f, TLONGLONG, specobjid_.index, first_row, count, "SPECOBJID");
    ids.assign(v.begin(), v.end());
  }

  for (size_t i = 0; i < count; ++i) {
    spec_meta& m = out[i];
    const std::string row = where(f) + " row " + std::to_string(first_row + i);
    if (m.run2d.empty() && run2d_fallback_) m.run2d = *run2d_fallback_;
    uint64_t packed = 0;
    try {
      packed = pack_specobjid({m.plate, m.mjd, m.fiberid, run2d_code(m.run2d)});
    } catch (const invalid_argument& e) {
      throw data_error(row + ": cannot form SPECOBJID: " + e.what());
    }
    if (ids.empty()) {
      m.specobjid = packed;
    } else {
      SPECMILL_DATA_CHECK(ids[i] == packed, row + ": SPECOBJID " + std::to_string(ids[i]) +
                                                " does not match PLATE/MJD/FIBERID/RUN2D " +
                                                std::to_string(m.plate) + "/" + std::to_string(m.mjd) +
                                                "/" + std::to_string(m.fiberid) + "/" + m.run2d +
                                                " (expected " + std::to_string(packed) + ")");
      m.specobjid = ids[i];
    }
  }
  return out;
}

}  // namespace specmill
