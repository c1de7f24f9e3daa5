#pragma once
// Helpers the format sinks share (io/formats/*_sink.cpp); not for use outside io/formats.
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill::formats_detail {

// Shortest text that reads back to the same value (floats stay bit-exact in CSV).
template <class T>
void append_number(std::string& s, T v) {
  char num[32];
  s.append(num, std::to_chars(num, num + sizeof num, v).ptr);
}

// Appends element i of a column of type t, as text.
inline void append_element(std::string& s, npy_dtype t, const void* column, size_t i) {
  const char* p = static_cast<const char*>(column) + i * npy_itemsize(t);
  auto put = [&](auto v) {
    std::memcpy(&v, p, sizeof v);
    append_number(s, v);
  };
  switch (t) {
    case npy_dtype::f4: return put(float{});
    case npy_dtype::f8: return put(double{});
    case npy_dtype::i2: return put(int16_t{});
    case npy_dtype::i4: return put(int32_t{});
    case npy_dtype::i8: return put(int64_t{});
    case npy_dtype::u1: return put(uint8_t{});
    case npy_dtype::u8: return put(uint64_t{});
    case npy_dtype::b1: s += *p ? "1" : "0"; return;
  }
}

// The metadata as one JSON object, in order (the npz `metadata` member).
std::string metadata_json(const std::vector<meta_item>& items);
// One item's value as text: a string as it is, a number as JSON writes it.
std::string metadata_text(const meta_item& item);

}  // namespace specmill::formats_detail
