#include "io/fits/sdss_table_layout.hpp"

#include <algorithm>
#include <bit>
#include <cstring>

#include "core/error.hpp"

namespace specmill::detail {
namespace {

using hdu_column = table_layout::source_column;
#include "io/fits/sdss_hdu_columns.inc"

size_t type_size(char t) {
  switch (t) {
    case 'A': case 'B': case 'L': return 1;
    case 'I': return 2;
    case 'J': case 'E': return 4;
    case 'K': case 'D': return 8;
    default: SPECMILL_EXPECTS(false, std::string("unsupported TFORM type ") + t);
  }
}

template <typename T>
T to_big_endian(T v) {
  if constexpr (std::endian::native == std::endian::big) return v;
  if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(static_cast<uint16_t>(v)));
  if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(static_cast<uint32_t>(v)));
  if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(static_cast<uint64_t>(v)));
  return v;
}

template <typename T>
void store_be(uint8_t* p, T v) {
  if constexpr (std::is_floating_point_v<T>) {
    using U = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    store_be(p, std::bit_cast<U>(v));
  } else {
    v = to_big_endian(v);
    std::memcpy(p, &v, sizeof v);
  }
}

}  // namespace

table_layout::table_layout(std::span<const source_column> cols) {
  columns_.reserve(cols.size());
  for (const auto& s : cols) {
    table_column c{s.name, s.tform, s.tdim, s.tzero_2p63};
    size_t pos = 0;
    while (pos < c.tform.size() && std::isdigit(static_cast<unsigned char>(c.tform[pos]))) ++pos;
    c.repeat = pos == 0 ? 1 : std::stoi(c.tform.substr(0, pos));
    c.type = c.tform.at(pos);
    c.offset = row_bytes_;
    row_bytes_ += type_size(c.type) * static_cast<size_t>(c.repeat);
    columns_.push_back(std::move(c));
  }
  blank_row_.assign(row_bytes_, 0);
  for (const auto& c : columns_)
    if (c.type == 'A') std::fill_n(blank_row_.begin() + static_cast<ptrdiff_t>(c.offset), c.repeat, ' ');
}

const table_column* table_layout::find(std::string_view name) const {
  auto it = std::find_if(columns_.begin(), columns_.end(), [&](const auto& c) { return c.name == name; });
  return it == columns_.end() ? nullptr : &*it;
}

const table_layout& table_layout::legacy_specobj() {
  static const table_layout layout{legacy_specobj_columns};
  return layout;
}
const table_layout& table_layout::boss_spall() {
  static const table_layout layout{boss_spall_columns};
  return layout;
}
const table_layout& table_layout::spzline() {
  static const table_layout layout{spzline_columns};
  return layout;
}
std::span<const spzline_line> legacy_spzline_lines() { return legacy_spzline_lines_table; }
std::span<const spzline_line> boss_spzline_lines() { return boss_spzline_lines_table; }

uint8_t* row_encoder::at(const table_column* c, size_t elem_size, int element) {
  SPECMILL_EXPECTS(type_size(c->type) == elem_size, "row_encoder: wrong value type for column " + c->name);
  SPECMILL_EXPECTS(element >= 0 && element < c->repeat, "row_encoder: element out of range in " + c->name);
  return row_.data() + c->offset + elem_size * static_cast<size_t>(element);
}

void row_encoder::put_u8(const table_column* c, uint8_t v, int e) {
  if (c) *at(c, 1, e) = v;
}
void row_encoder::put_i16(const table_column* c, int16_t v, int e) {
  if (c) store_be(at(c, 2, e), v);
}
void row_encoder::put_i32(const table_column* c, int32_t v, int e) {
  if (c) store_be(at(c, 4, e), v);
}
void row_encoder::put_i64(const table_column* c, int64_t v, int e) {
  if (c) store_be(at(c, 8, e), v);
}
void row_encoder::put_u64(const table_column* c, uint64_t v) {
  if (!c) return;
  // Stored value = v - TZERO; with TZERO = 2^63 that is flipping the top bit.
  store_be(at(c, 8, 0), c->tzero_2p63 ? v ^ (uint64_t{1} << 63) : v);
}
void row_encoder::put_f32(const table_column* c, float v, int e) {
  if (c) store_be(at(c, 4, e), v);
}
void row_encoder::put_f64(const table_column* c, double v, int e) {
  if (c) store_be(at(c, 8, e), v);
}
void row_encoder::put_str(const table_column* c, std::string_view v) {
  if (!c) return;
  uint8_t* p = at(c, 1, 0);
  const size_t w = static_cast<size_t>(c->repeat), n = std::min(w, v.size());
  std::memcpy(p, v.data(), n);
  std::memset(p + n, ' ', w - n);
}
void row_encoder::put_str_right(const table_column* c, std::string_view v) {
  if (!c) return;
  uint8_t* p = at(c, 1, 0);
  const size_t w = static_cast<size_t>(c->repeat), n = std::min(w, v.size());
  std::memset(p, ' ', w - n);
  std::memcpy(p + (w - n), v.data() + (v.size() - n), n);
}

}  // namespace specmill::detail
