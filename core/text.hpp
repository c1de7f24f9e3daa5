#pragma once
// Small text helpers shared by the parsers of grids, expressions and request parameters.
#include <cctype>
#include <charconv>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace specmill {

// `s` without leading and trailing blanks (spaces and tabs).
inline std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// `s` without leading and trailing white space of any kind (blanks, CR, LF, FF).
inline std::string_view trim_space(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n\f");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n\f") - b + 1);
}

// ASCII lower case (locale-independent: keywords, media types, format names).
inline std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// The shortest form of x that reads back to the same double (std::to_chars). With
// trim_exponent, the exponent as people write it: "1e-4", not "1e-04".
inline std::string shortest_number(double x, bool trim_exponent = false) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  std::string s(buf, res.ptr);
  const size_t e = s.find('e');
  if (trim_exponent && e != std::string::npos) {
    size_t d = e + 1 + (e + 1 < s.size() && (s[e + 1] == '-' || s[e + 1] == '+'));
    while (d + 1 < s.size() && s[d] == '0') s.erase(d, 1);
  }
  return s;
}

// invalid_argument "bad <what> '<text>': <why>; <expected>": a parser's message names the text
// as the user wrote it and the form it wanted. Built with += (GCC 12 warns falsely with
// -Wrestrict on "literal" + std::string chains).
[[noreturn]] inline void reject_text(std::string_view what, std::string_view text, std::string_view why,
                                     std::string_view expected) {
  std::string msg = "bad ";
  msg += what;
  msg += " '";
  msg += text;
  msg += "': ";
  msg += why;
  msg += "; ";
  msg += expected;
  throw invalid_argument(msg);
}

}  // namespace specmill
