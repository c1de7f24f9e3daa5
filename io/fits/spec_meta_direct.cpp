#include "io/fits/spec_meta_direct.hpp"

// ffmbyt/ffgbyt: raw bytes at a file offset, through CFITSIO's own handle and buffers. ffgbyt
// is declared only in fitsio2.h, which (unlike fitsio.h) has no extern "C" of its own.
extern "C" {
#include <fitsio2.h>
}

#include <algorithm>
#include <array>
#include <cstring>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/spec_meta_columns.hpp"

namespace specmill {
namespace {

// FITS stores unsigned 64-bit integers as K with TZERO = 2^63 (as spec_meta_table.cpp).
constexpr double tzero_uint64 = 9223372036854775808.0;
// A spec file's HDU 2 header is 8 (legacy) or 14 (BOSS) records; read in one go with the row.
constexpr int64_t record_bytes = 2880;
constexpr int64_t first_read_bytes = 16 * record_bytes;
constexpr int64_t max_header_bytes = 64 * record_bytes;

uint64_t load_be(const unsigned char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | p[i];
  return v;
}

int64_t load_signed(const unsigned char* p, char type) {
  switch (type) {
    case 'B': return p[0];  // FITS bytes are unsigned
    case 'I': return int16_t(uint16_t(load_be(p, 2)));
    case 'J': return int32_t(uint32_t(load_be(p, 4)));
    default: return int64_t(load_be(p, 8));  // K
  }
}

float load_float(const unsigned char* p) {
  const uint32_t u = uint32_t(load_be(p, 4));
  float v;
  std::memcpy(&v, &u, 4);
  return v;
}

double load_double(const unsigned char* p) {
  const uint64_t u = load_be(p, 8);
  double v;
  std::memcpy(&v, &u, 8);
  return v;
}

// One column of the row, found by name; each getter returns false where the CFITSIO path's
// conversion is not the plain one here (the caller then falls back).
class row_reader {
 public:
  row_reader(const bintable_layout& layout, std::span<const unsigned char> row) : layout_(layout), row_(row) {}

  const bintable_field* find(const char* name) const { return layout_.find(name); }
  const unsigned char* at(const bintable_field& f) const { return row_.data() + f.offset; }

  static bool plain(const bintable_field& f) { return f.scale == 1.0 && f.zero == 0.0; }
  static bool integer(char t) { return t == 'B' || t == 'I' || t == 'J'; }

  // TINT through fits_read_col: B/I/J widen exactly; K only while it fits.
  bool get(const char* name, int32_t& out, bool required) const {
    const bintable_field* f = find(name);
    if (!f) return !required;
    if (f->repeat != 1 || !plain(*f)) return false;
    if (integer(f->type)) {
      out = int32_t(load_signed(at(*f), f->type));
      return true;
    }
    if (f->type != 'K') return false;
    const int64_t v = load_signed(at(*f), 'K');
    if (v < INT32_MIN || v > INT32_MAX) return false;
    out = int32_t(v);
    return true;
  }
  // TFLOAT: E only (CFITSIO's D-to-float and integer-to-float paths are left to it).
  bool get(const char* name, float* out, int64_t repeat, bool required) const {
    const bintable_field* f = find(name);
    if (!f) return !required;
    if (f->type != 'E' || f->repeat != repeat || !plain(*f)) return false;
    for (int64_t i = 0; i < repeat; ++i) out[i] = load_float(at(*f) + 4 * i);
    return true;
  }
  // TDOUBLE: D as is, E and B/I/J widened exactly.
  bool get(const char* name, double& out, bool required) const {
    const bintable_field* f = find(name);
    if (!f) return !required;
    if (f->repeat != 1 || !plain(*f)) return false;
    if (f->type == 'D') out = load_double(at(*f));
    else if (f->type == 'E') out = double(load_float(at(*f)));
    else if (integer(f->type)) out = double(load_signed(at(*f), f->type));
    else return false;
    return true;
  }
  // TLONGLONG: B/I/J/K.
  bool get(const char* name, int64_t& out, bool required) const {
    const bintable_field* f = find(name);
    if (!f) return !required;
    if (f->repeat != 1 || !plain(*f) || !(integer(f->type) || f->type == 'K')) return false;
    out = load_signed(at(*f), f->type);
    return true;
  }
  // Text: an A column as read_strings gives it (CFITSIO's C string, so up to the first NUL,
  // then blanks trimmed both ends); an integer column as its decimal digits (number_text of
  // an integral double is exactly that).
  bool get(const char* name, std::string& out, bool required) const {
    const bintable_field* f = find(name);
    if (!f) return !required;
    if (!plain(*f)) return false;
    if (f->type == 'A') {
      const char* p = reinterpret_cast<const char*>(at(*f));
      std::string_view s(p, size_t(f->repeat));
      s = s.substr(0, s.find('\0'));
      const size_t first = s.find_first_not_of(' ');
      if (first == std::string_view::npos) {
        out.clear();
      } else {
        out.assign(s.substr(first, s.find_last_not_of(' ') - first + 1));
      }
      return true;
    }
    if (f->repeat != 1 || !integer(f->type)) return false;
    out = std::to_string(load_signed(at(*f), f->type));
    return true;
  }

 private:
  const bintable_layout& layout_;
  std::span<const unsigned char> row_;
};

// SPECOBJID as spec_meta_table reads it: text, K with TZERO = 2^63 (unsigned), or a plain
// signed integer whose bits are the ID. nullopt: the column is absent. false: fall back.
bool specobjid_of(const row_reader& r, std::optional<uint64_t>& out) {
  const bintable_field* f = r.find("SPECOBJID");
  if (!f) return true;
  if (f->type == 'A') {
    std::string text;
    if (!r.get("SPECOBJID", text, true)) return false;
    out = parse_specobjid(text);
    return out.has_value();  // not an integer: CFITSIO's path reports it
  }
  if (f->repeat != 1 || f->scale != 1.0) return false;
  if (f->type == 'K' && f->zero == tzero_uint64) {
    out = uint64_t(load_signed(r.at(*f), 'K')) ^ (uint64_t(1) << 63);
    return true;
  }
  if (f->zero != 0.0 || !(row_reader::integer(f->type) || f->type == 'K')) return false;
  out = uint64_t(load_signed(r.at(*f), f->type));
  return true;
}

}  // namespace

std::optional<spec_meta> decode_spec_meta_row(const bintable_layout& layout, std::span<const unsigned char> row,
                                              const std::optional<std::string>& run2d_fallback) {
  if (layout.rows != 1 || int64_t(row.size()) != layout.row_bytes) return std::nullopt;
  const row_reader r(layout, row);
  spec_meta m;
  for (const meta_column& c : meta_columns) {
    const bool required = c.required(run2d_fallback.has_value());
    const bool ok = std::visit(
        [&](auto field) {
          auto& out = m.*field;
          using T = std::remove_reference_t<decltype(out)>;
          if constexpr (std::is_same_v<T, float>) {
            return r.get(c.name, &out, 1, required);
          } else if constexpr (std::is_same_v<T, std::array<float, 5>>) {
            return r.get(c.name, out.data(), 5, required);
          } else {
            return r.get(c.name, out, required);
          }
        },
        c.field);
    if (!ok) return std::nullopt;
  }
  std::optional<uint64_t> id;
  if (!specobjid_of(r, id)) return std::nullopt;
  // A run2d or field out of range, or an ID that disagrees, is an error the CFITSIO path
  // words; it is not repeated here.
  if (!settle_specobjid(m, id, run2d_fallback).empty()) return std::nullopt;
  return m;
}

std::optional<spec_meta> read_spec_meta_direct(fits_file& f, int64_t header_start,
                                               const std::optional<std::string>& run2d_fallback) {
  // Whole records only, all inside the file: a partial last record, read here, would sit in
  // CFITSIO's buffer cache and change what its own reading of a truncated file reports later
  // (the fallback must report exactly what it always did).
  const int64_t readable = (f.file_bytes() - header_start) / record_bytes * record_bytes;
  if (header_start < 0 || header_start % record_bytes != 0 || readable <= 0) return std::nullopt;
  // Reused per thread: one spec file's header and row, ~45 KB.
  thread_local std::vector<unsigned char> bytes;
  // Reads the first n bytes (whole records) from header_start into `bytes`; false on an error
  // (whose message CFITSIO stacked is dropped: the fallback path reports for itself).
  auto read = [&](int64_t n) {
    bytes.resize(size_t(n));
    int status = 0;
    ffmbyt(native(f), header_start, REPORT_EOF, &status);
    ffgbyt(native(f), n, bytes.data(), &status);
    if (status != 0) ffcmsg();
    return status == 0;
  };
  int64_t want = std::min(first_read_bytes, readable);
  if (!read(want)) return std::nullopt;
  int64_t header_bytes = bintable_header_bytes(bytes);
  while (header_bytes == 0 && want < std::min(max_header_bytes, readable)) {
    want = std::min({want * 2, max_header_bytes, readable});
    if (!read(want)) return std::nullopt;
    header_bytes = bintable_header_bytes(bytes);
  }
  if (header_bytes == 0) return std::nullopt;
  auto layout = parse_bintable_header(std::span(bytes).first(size_t(header_bytes)));
  if (!layout || layout->rows != 1) return std::nullopt;
  const int64_t row_records = (layout->row_bytes + record_bytes - 1) / record_bytes * record_bytes;
  if (header_bytes + row_records > readable) return std::nullopt;
  if (header_bytes + layout->row_bytes > int64_t(bytes.size())) {
    // The names in `layout` view `bytes`, which a longer read may move: parse again.
    if (!read(header_bytes + row_records)) return std::nullopt;
    layout = parse_bintable_header(std::span(bytes).first(size_t(header_bytes)));
    if (!layout) return std::nullopt;
  }
  return decode_spec_meta_row(*layout, std::span(bytes).subspan(size_t(header_bytes), size_t(layout->row_bytes)),
                              run2d_fallback);
}

}  // namespace specmill
