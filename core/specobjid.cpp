#include "core/specobjid.hpp"

#include <charconv>

#include "core/error.hpp"

namespace specmill {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

bool parse_int(std::string_view s, int32_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

int32_t run2d_code(std::string_view run2d) {
  const std::string_view s = trim(run2d);
  int32_t n = 0;
  if (parse_int(s, n)) {
    SPECMILL_EXPECTS(n >= 0 && n < 10000, "RUN2D out of range: '" + std::string(s) + "'");
    return n;
  }
  // vN_M_P
  if (s.size() >= 6 && s[0] == 'v') {
    const auto u1 = s.find('_', 1);
    const auto u2 = u1 == std::string_view::npos ? u1 : s.find('_', u1 + 1);
    int32_t N = 0, M = 0, P = 0;
    if (u2 != std::string_view::npos && parse_int(s.substr(1, u1 - 1), N) &&
        parse_int(s.substr(u1 + 1, u2 - u1 - 1), M) && parse_int(s.substr(u2 + 1), P) && N >= 5 &&
        M >= 0 && M < 100 && P >= 0 && P < 100) {
      const int32_t code = (N - 5) * 10000 + M * 100 + P;
      SPECMILL_EXPECTS(code < (1 << 14), "RUN2D does not fit 14 bits: '" + std::string(s) + "'");
      return code;
    }
  }
  SPECMILL_EXPECTS(false, "unrecognised RUN2D '" + std::string(s) + "' (expected 26, 103, 104 or vN_M_P)");
  return 0;
}

std::string run2d_name(int32_t code) {
  SPECMILL_EXPECTS(code >= 0 && code < (1 << 14), "run2d code out of range");
  if (code == 26 || code == 103 || code == 104) return std::to_string(code);
  std::string name = "v";  // += rather than +: GCC 12's false -Wrestrict on literal + string
  name += std::to_string(code / 10000 + 5);
  name += '_';
  name += std::to_string(code / 100 % 100);
  name += '_';
  name += std::to_string(code % 100);
  return name;
}

uint64_t pack_specobjid(const spec_key& k) {
  SPECMILL_EXPECTS(k.plate >= 0 && k.plate < (1 << 14), "plate out of range: " + std::to_string(k.plate));
  SPECMILL_EXPECTS(k.fiberid >= 0 && k.fiberid < (1 << 12), "fiberid out of range: " + std::to_string(k.fiberid));
  SPECMILL_EXPECTS(k.mjd >= 50000 && k.mjd < 50000 + (1 << 14), "mjd out of range: " + std::to_string(k.mjd));
  SPECMILL_EXPECTS(k.run2d >= 0 && k.run2d < (1 << 14), "run2d out of range: " + std::to_string(k.run2d));
  return (uint64_t(k.plate) << 50) | (uint64_t(k.fiberid) << 38) | (uint64_t(k.mjd - 50000) << 24) |
         (uint64_t(k.run2d) << 10);
}

spec_key unpack_specobjid(uint64_t id) {
  spec_key k;
  k.plate = int32_t(id >> 50);
  k.fiberid = int32_t((id >> 38) & 0xFFF);
  k.mjd = int32_t((id >> 24) & 0x3FFF) + 50000;
  k.run2d = int32_t((id >> 10) & 0x3FFF);
  return k;
}

std::optional<uint64_t> parse_specobjid(std::string_view text) {
  const std::string_view s = trim(text);
  if (s.empty()) return std::nullopt;
  if (s.front() == '-') {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return static_cast<uint64_t>(v);
  }
  uint64_t v = 0;
  const char* b = s.data() + (s.front() == '+' ? 1 : 0);
  auto [p, ec] = std::from_chars(b, s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace specmill
