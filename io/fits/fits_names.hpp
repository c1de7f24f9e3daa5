#pragma once
// FITS names (TTYPEn, EXTNAME) compared the way CFITSIO compares them: ASCII letters without
// case, no locale. One definition for the CFITSIO-backed table lookups (fits_file) and the
// direct HDU 2 parser (bintable_header).
#include <string_view>

namespace specmill::fits_names {

inline char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; }

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

}  // namespace specmill::fits_names
