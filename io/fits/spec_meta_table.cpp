#include "io/fits/spec_meta_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/spec_meta_columns.hpp"

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

// The type of the spec_meta field a meta_field points at.
template <class Field>
using field_type = std::remove_reference_t<decltype(std::declval<spec_meta&>().*std::declval<Field>())>;

// How CFITSIO reads a numeric column into a field of type T: the type it converts to and that
// type's code (an int32 field as int and TINT, an int64 one as LONGLONG and TLONGLONG).
template <class T>
struct read_as {
  static_assert(std::is_same_v<T, int32_t> || std::is_same_v<T, int64_t> || std::is_same_v<T, float> ||
                std::is_same_v<T, double>);
  using type = std::conditional_t<std::is_same_v<T, int32_t>, int,
                                  std::conditional_t<std::is_same_v<T, int64_t>, LONGLONG, T>>;
  static constexpr int code = std::is_same_v<T, int32_t>   ? TINT
                              : std::is_same_v<T, int64_t> ? TLONGLONG
                              : std::is_same_v<T, float>   ? TFLOAT
                                                           : TDOUBLE;
};

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
  bind(specobjid_, "SPECOBJID", false);
  for (size_t k = 0; k < meta_columns.size(); ++k) {
    bind(columns_[k], meta_columns[k].name, meta_columns[k].required(run2d_fallback_.has_value()));
  }
  for (size_t k = 0; k < meta_columns.size(); ++k) {
    const col& c = columns_[k];
    const char* name = meta_columns[k].name;
    if (!c) continue;
    std::visit(
        [&](auto field) {
          using T = field_type<decltype(field)>;
          if constexpr (std::is_same_v<T, std::array<float, 5>>) {
            SPECMILL_DATA_CHECK(is_numeric(c.typecode) && c.repeat == 5,
                                where(f) + ": metadata column " + name + " is not a 5-vector (ugriz)");
          } else if constexpr (!std::is_same_v<T, std::string>) {  // any column reads as text
            SPECMILL_DATA_CHECK(is_numeric(c.typecode) && c.repeat == 1,
                                where(f) + ": metadata column " + name + " is not a numeric scalar");
          }
        },
        meta_columns[k].field);
  }
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

  // Each column with CFITSIO converting to the field's type.
  for (size_t k = 0; k < meta_columns.size(); ++k) {
    const col& c = columns_[k];
    const char* name = meta_columns[k].name;
    if (!c) continue;
    std::visit(
        [&](auto field) {
          using T = field_type<decltype(field)>;
          if constexpr (std::is_same_v<T, std::string>) {
            auto v = read_strings(f, c.index, c.typecode, c.repeat, first_row, count, name);
            for (size_t i = 0; i < count; ++i) out[i].*field = std::move(v[i]);
          } else if constexpr (std::is_same_v<T, std::array<float, 5>>) {
            // 5 elements per row; one call reads across row boundaries.
            const auto v = read_numbers<float>(f, TFLOAT, c.index, first_row, count * 5, name);
            for (size_t i = 0; i < count; ++i) std::copy_n(v.begin() + long(i * 5), 5, (out[i].*field).begin());
          } else {
            const auto v = read_numbers<typename read_as<T>::type>(f, read_as<T>::code, c.index, first_row, count, name);
            for (size_t i = 0; i < count; ++i) out[i].*field = T(v[i]);
          }
        },
        meta_columns[k].field);
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
    const std::string why =
        settle_specobjid(out[i], ids.empty() ? std::nullopt : std::optional<uint64_t>(ids[i]), run2d_fallback_);
    SPECMILL_DATA_CHECK(why.empty(), where(f) + " row " + std::to_string(first_row + i) + ": " + why);
  }
  return out;
}

}  // namespace specmill
