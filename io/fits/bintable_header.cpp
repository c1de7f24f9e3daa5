#include "io/fits/bintable_header.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "io/fits/fits_names.hpp"

namespace specmill {
namespace {

constexpr int64_t record_bytes = 2880;
constexpr int64_t card_bytes = 80;
constexpr int max_fields = 999;  // TFIELDS' limit in the standard and in CFITSIO

using card = std::string_view;

using fits_names::iequals;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// key starts with the five letters of `prefix`: a fixed-length compare the compiler inlines
// (string_view::starts_with(const char*) was a strlen and a memcmp call per test, on every card).
bool starts_with5(std::string_view key, const char (&prefix)[6]) {
  return key.size() >= 5 && std::memcmp(key.data(), prefix, 5) == 0;
}

// The keyword in columns 1-8: a run of non-blanks followed only by blanks. nullopt otherwise
// (an embedded blank, which CFITSIO would read differently).
// (Plain loops: string_view's find is a memchr call, too dear for 8 bytes on every card.)
std::optional<std::string_view> keyword_of(card c) {
  size_t end = 0;
  while (end < 8 && c[end] != ' ') ++end;
  for (size_t i = end; i < 8; ++i) {
    if (c[i] != ' ') return std::nullopt;
  }
  return c.substr(0, end);
}

// The value field of a "KEYWORD = value / comment" card; nullopt without "= " in columns 9-10.
std::optional<std::string_view> value_field(card c) {
  if (c[8] != '=' || c[9] != ' ') return std::nullopt;
  std::string_view v = c.substr(10);
  const size_t first = v.find_first_not_of(' ');
  return first == std::string_view::npos ? std::string_view{} : v.substr(first);
}

// What may follow a value: blanks, then nothing or a '/' comment.
bool only_comment(std::string_view rest) {
  const size_t first = rest.find_first_not_of(' ');
  return first == std::string_view::npos || rest[first] == '/';
}

// A quoted string without '' escapes (no real column name has one), trailing blanks dropped.
std::optional<std::string_view> string_value(card c) {
  const auto v = value_field(c);
  if (!v || v->empty() || v->front() != '\'') return std::nullopt;
  const size_t close = v->find('\'', 1);
  if (close == std::string_view::npos) return std::nullopt;
  if (close + 1 < v->size() && (*v)[close + 1] == '\'') return std::nullopt;
  if (!only_comment(v->substr(close + 1))) return std::nullopt;
  std::string_view s = v->substr(1, close - 1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The value's token: up to the first blank or '/'.
std::optional<std::string_view> token_value(card c) {
  const auto v = value_field(c);
  if (!v || v->empty()) return std::nullopt;
  const size_t end = std::min(v->find(' '), v->find('/'));
  const std::string_view token = v->substr(0, end);
  if (token.empty() || (end != std::string_view::npos && !only_comment(v->substr(end)))) return std::nullopt;
  return token;
}

// A plain decimal integer (optional sign, at most 18 digits: no overflow to reason about).
std::optional<int64_t> int_value(card c) {
  const auto t = token_value(c);
  if (!t) return std::nullopt;
  std::string_view digits = *t;
  if (!digits.empty() && (digits.front() == '+' || digits.front() == '-')) digits.remove_prefix(1);
  if (digits.empty() || digits.size() > 18) return std::nullopt;
  for (char ch : digits) {
    if (!is_digit(ch)) return std::nullopt;
  }
  int64_t v = 0;
  const char* first = t->data() + (t->front() == '+' ? 1 : 0);
  const auto r = std::from_chars(first, t->data() + t->size(), v);
  if (r.ec != std::errc{} || r.ptr != t->data() + t->size()) return std::nullopt;
  return v;
}

// A real number the way strtod reads it (CFITSIO's ffc2dd); Fortran 'D' exponents and the
// like are left to CFITSIO.
std::optional<double> real_value(card c) {
  const auto t = token_value(c);
  if (!t) return std::nullopt;
  const char* first = t->data() + (t->front() == '+' ? 1 : 0);
  double v = 0;
  const auto r = std::from_chars(first, t->data() + t->size(), v);
  if (r.ec != std::errc{} || r.ptr != t->data() + t->size()) return std::nullopt;
  return v;
}

bool int_card(card c, std::string_view key, int64_t& out) {
  const auto k = keyword_of(c);
  if (!k || *k != key) return false;
  const auto v = int_value(c);
  if (!v) return false;
  out = *v;
  return true;
}

// Bytes one row of a TFORM type takes per element (X: per 8 elements).
int64_t type_bytes(char t) {
  switch (t) {
    case 'L': case 'X': case 'B': case 'A': return 1;
    case 'I': return 2;
    case 'J': case 'E': return 4;
    case 'K': case 'D': case 'C': return 8;
    case 'M': return 16;
    default: return 0;
  }
}

// "rT": an optional repeat count and one fixed-size type letter, nothing else (no "rAw"
// substring forms, no P/Q variable-length descriptors, no lower case).
bool parse_tform(std::string_view form, bintable_field& f) {
  while (!form.empty() && form.front() == ' ') form.remove_prefix(1);
  size_t digits = 0;
  while (digits < form.size() && is_digit(form[digits])) ++digits;
  if (digits > 9 || form.size() != digits + 1 || type_bytes(form.back()) == 0) return false;
  f.repeat = 1;
  if (digits > 0) std::from_chars(form.data(), form.data() + digits, f.repeat);
  f.type = form.back();
  return true;
}

// n of TTYPEn-style keywords: digits without a leading zero (CFITSIO would read "TTYPE01"
// as column 1; such a header is left to it).
std::optional<int> column_number(std::string_view suffix, int64_t fields) {
  if (suffix.empty() || suffix.size() > 3 || suffix.front() == '0') return std::nullopt;
  int n = 0;
  for (char ch : suffix) {
    if (!is_digit(ch)) return std::nullopt;
    n = n * 10 + (ch - '0');
  }
  if (n > fields) return std::nullopt;
  return n;
}

bool printable(std::span<const unsigned char> bytes) {
  unsigned bad = 0;
  for (unsigned char b : bytes) bad |= unsigned(b < 0x20 || b > 0x7e);
  return bad == 0;
}

}  // namespace

const bintable_field* bintable_layout::find(std::string_view name) const {
  for (const auto& f : fields) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

int64_t bintable_header_bytes(std::span<const unsigned char> bytes) {
  const int64_t cards = int64_t(bytes.size()) / card_bytes;
  for (int64_t i = 0; i < cards; ++i) {
    const unsigned char* c = bytes.data() + i * card_bytes;
    if (c[0] == 'E' && std::memcmp(c, "END     ", 8) == 0) {
      const int64_t end = (i * card_bytes / record_bytes + 1) * record_bytes;
      return end <= int64_t(bytes.size()) ? end : 0;
    }
  }
  return 0;
}

std::optional<bintable_layout> parse_bintable_header(std::span<const unsigned char> header) {
  const int64_t size = int64_t(header.size());
  if (size < record_bytes || size % record_bytes != 0 || !printable(header)) return std::nullopt;
  const std::string_view text(reinterpret_cast<const char*>(header.data()), header.size());
  // The first END card ends the header; what follows it in its record must be blank.
  int64_t end_card = 0;
  while (end_card < size / card_bytes && text.substr(size_t(end_card * card_bytes), 8) != "END     ") ++end_card;
  if (end_card < 8 || end_card == size / card_bytes ||
      text.find_first_not_of(' ', size_t(end_card * card_bytes + 8)) != std::string_view::npos ||
      end_card * card_bytes / record_bytes != size / record_bytes - 1) {
    return std::nullopt;
  }
  auto card_at = [&](int64_t i) { return text.substr(size_t(i * card_bytes), card_bytes); };

  const auto xtension = string_value(card_at(0));
  if (keyword_of(card_at(0)) != "XTENSION" || !xtension || *xtension != "BINTABLE") return std::nullopt;
  int64_t bitpix = 0, naxis = 0, pcount = -1, gcount = 0, fields = 0;
  bintable_layout out;
  if (!int_card(card_at(1), "BITPIX", bitpix) || !int_card(card_at(2), "NAXIS", naxis) ||
      !int_card(card_at(3), "NAXIS1", out.row_bytes) || !int_card(card_at(4), "NAXIS2", out.rows) ||
      !int_card(card_at(5), "PCOUNT", pcount) || !int_card(card_at(6), "GCOUNT", gcount) ||
      !int_card(card_at(7), "TFIELDS", fields)) {
    return std::nullopt;
  }
  if (bitpix != 8 || naxis != 2 || out.row_bytes < 0 || out.row_bytes > (int64_t(1) << 31) || out.rows < 0 ||
      out.rows > (int64_t(1) << 31) || pcount != 0 || gcount != 1 || fields < 1 || fields > max_fields) {
    return std::nullopt;
  }

  out.fields.resize(size_t(fields));
  std::vector<unsigned char> seen(size_t(fields) * 4, 0);  // TTYPE, TFORM, TSCAL, TZERO per column
  for (int64_t i = 8; i < end_card; ++i) {
    const card c = card_at(i);
    const auto key = keyword_of(c);
    if (!key) return std::nullopt;
    if (key->empty() || key->front() != 'T') {
      // Tile-compressed HDUs (ZIMAGE ...) are CFITSIO's to interpret; a repeated mandatory
      // keyword is not the plain layout.
      if (!key->empty() && key->front() == 'Z') return std::nullopt;
      if (*key == "BITPIX" || starts_with5(*key, "NAXIS") || *key == "PCOUNT" || *key == "GCOUNT" || *key == "XTENSION") {
        return std::nullopt;
      }
      continue;
    }
    if (*key == "TFIELDS" || *key == "THEAP" || starts_with5(*key, "TBCOL")) return std::nullopt;
    int kind = -1;
    if (starts_with5(*key, "TTYPE")) kind = 0;
    else if (starts_with5(*key, "TFORM")) kind = 1;
    else if (starts_with5(*key, "TSCAL")) kind = 2;
    else if (starts_with5(*key, "TZERO")) kind = 3;
    else if (starts_with5(*key, "TNULL")) {
      // Not applied by our reads (CFITSIO skips the null check when the null value is 0), but a
      // value CFITSIO cannot convert would fail its move to the HDU.
      if (!int_value(c)) return std::nullopt;
      continue;
    } else {
      continue;  // TUNITn, TDISPn, TDIMn, EXTNAME, ...: not used
    }
    const auto n = column_number(key->substr(5), fields);
    if (!n) return std::nullopt;
    auto& once = seen[size_t(*n - 1) * 4 + size_t(kind)];
    if (once) return std::nullopt;
    once = 1;
    bintable_field& f = out.fields[size_t(*n - 1)];
    if (kind == 0) {
      const auto name = string_value(c);
      if (!name || (!name->empty() && name->back() == '&')) return std::nullopt;  // '&': a long string
      f.name = *name;
    } else if (kind == 1) {
      const auto form = string_value(c);
      if (!form || !parse_tform(*form, f)) return std::nullopt;
    } else {
      const auto v = real_value(c);
      if (!v) return std::nullopt;
      (kind == 2 ? f.scale : f.zero) = *v;
      f.scaled = true;
    }
  }

  int64_t offset = 0;
  for (size_t k = 0; k < out.fields.size(); ++k) {
    bintable_field& f = out.fields[k];
    if (!seen[k * 4 + 1]) return std::nullopt;  // no TFORMn
    f.offset = offset;
    offset += f.type == 'X' ? (f.repeat + 7) / 8 : f.repeat * type_bytes(f.type);
  }
  if (offset != out.row_bytes) return std::nullopt;
  out.header_bytes = size;
  return out;
}

}  // namespace specmill
