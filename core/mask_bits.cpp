#include "core/mask_bits.hpp"

#include <array>
#include <cctype>
#include <charconv>
#include <cstdio>

#include "core/error.hpp"

namespace specmill {
namespace {

// SPPIXMASK as in idlutils' data/sdss/sdssMaskbits.par (checked against the copy that
// bossdata generated its bits.py from).
constexpr std::array<mask_bit_name, 26> bits{{
    {"NOPLUG", 0, "fiber not listed in plugmap file"},
    {"BADTRACE", 1, "bad trace"},
    {"BADFLAT", 2, "low counts in fiberflat"},
    {"BADARC", 3, "bad arc solution"},
    {"MANYBADCOLUMNS", 4, "more than 10% of pixels are bad columns"},
    {"MANYREJECTED", 5, "more than 10% of pixels rejected in extraction"},
    {"LARGESHIFT", 6, "large spatial shift between flat and object position"},
    {"BADSKYFIBER", 7, "sky fiber shows extreme residuals"},
    {"NEARWHOPPER", 8, "within 2 fibers of a whopping fiber"},
    {"WHOPPER", 9, "whopping fiber, with a very bright source"},
    {"SMEARIMAGE", 10, "smear available for red and blue cameras"},
    {"SMEARHIGHSN", 11, "S/N sufficient for full smear fit"},
    {"SMEARMEDSN", 12, "S/N only sufficient for scaled median fit"},
    {"NEARBADPIXEL", 16, "bad pixel within 3 pixels of trace"},
    {"LOWFLAT", 17, "flat field less than 0.5"},
    {"FULLREJECT", 18, "pixel fully rejected in extraction (ivar 0)"},
    {"PARTIALREJECT", 19, "some pixels rejected in extraction"},
    {"SCATTEREDLIGHT", 20, "scattered light significant"},
    {"CROSSTALK", 21, "cross-talk significant"},
    {"NOSKY", 22, "sky level unknown at this wavelength (ivar 0)"},
    {"BRIGHTSKY", 23, "sky level > flux + 10 sigma and > 1.25 x the local median sky"},
    {"NODATA", 24, "no data in the combine B-spline (ivar 0)"},
    {"COMBINEREJ", 25, "rejected in combine B-spline"},
    {"BADFLUXFACTOR", 26, "low flux-calibration or flux-correction factor"},
    {"BADSKYCHI", 27, "relative chi^2 > 3 in sky residuals at this wavelength"},
    {"REDMONSTER", 28, "contiguous region of bad chi^2 in sky residuals"},
}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

uint32_t item_bits(std::string_view item, std::string_view list) {
  const std::string where = "--mask-bits '" + std::string(list) + "': ";
  SPECMILL_EXPECTS(!item.empty(), where + "empty item");
  if (iequals(item, "none")) return 0;
  if (iequals(item, "default")) return parse_mask_bits(default_stack_mask_bits);
  if (iequals(item, "SMEARMEDIANSN")) item = "SMEARMEDSN";
  for (const auto& b : bits)
    if (iequals(item, b.name)) return uint32_t(1) << b.bit;
  if (std::isdigit(static_cast<unsigned char>(item.front()))) {
    const bool hex = item.size() > 2 && item[0] == '0' && (item[1] == 'x' || item[1] == 'X');
    const std::string_view digits = hex ? item.substr(2) : item;
    uint64_t v = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v, hex ? 16 : 10);
    SPECMILL_EXPECTS(ec == std::errc() && ptr == digits.data() + digits.size(),
                     where + "'" + std::string(item) + "' is not a number");
    SPECMILL_EXPECTS(v <= 0xffffffffu, where + "'" + std::string(item) + "' does not fit 32 bits");
    return uint32_t(v);
  }
  throw invalid_argument(where + "unknown mask bit name '" + std::string(item) +
                         "' (SDSS SPPIXMASK names such as NOPLUG, BRIGHTSKY, NODATA; docs/stack.md lists them)");
}

}  // namespace

std::span<const mask_bit_name> sppixmask_bits() { return bits; }

uint32_t parse_mask_bits(std::string_view list) {
  uint32_t out = 0;
  size_t at = 0;
  for (;;) {
    const size_t comma = list.find(',', at);
    out |= item_bits(trim(list.substr(at, comma == std::string_view::npos ? std::string_view::npos : comma - at)), list);
    if (comma == std::string_view::npos) return out;
    at = comma + 1;
  }
}

namespace {
// ZWARNING as in idlspec2d's spreduce1d / the SDSS data model (clients/python/specmill/flags.py
// has the same table).
constexpr std::array<mask_bit_name, 10> zwarnings{{
    {"SKY", 0, "sky fiber"},
    {"LITTLE_COVERAGE", 1, "too little wavelength coverage"},
    {"SMALL_DELTA_CHI2", 2, "best and second-best fits too close in chi^2"},
    {"NEGATIVE_MODEL", 3, "synthetic spectrum is negative"},
    {"MANY_OUTLIERS", 4, "too many points more than 5 sigma from the best model"},
    {"Z_FITLIMIT", 5, "chi^2 minimum at the edge of the redshift range"},
    {"NEGATIVE_EMISSION", 6, "a QSO line shows negative emission"},
    {"UNPLUGGED", 7, "fiber unplugged or broken"},
    {"BAD_TARGET", 8, "catastrophically bad targeting data"},
    {"NODATA", 9, "no data for this fiber"},
}};
}  // namespace

std::span<const mask_bit_name> zwarning_bits() { return zwarnings; }

uint32_t parse_zwarning_bits(std::string_view list) {
  uint32_t out = 0;
  size_t at = 0;
  for (;;) {
    const size_t sep = list.find_first_of("|,", at);
    const std::string_view item = trim(list.substr(at, sep == std::string_view::npos ? std::string_view::npos : sep - at));
    SPECMILL_EXPECTS(!item.empty(), "empty ZWARNING name in '" + std::string(list) + "'");
    bool known = false;
    for (const auto& b : zwarnings) {
      if (b.name.size() != item.size()) continue;
      bool same = true;
      for (size_t i = 0; i < item.size() && same; ++i)
        same = std::toupper(static_cast<unsigned char>(item[i])) == b.name[i];
      if (same) {
        out |= uint32_t(1) << b.bit;
        known = true;
        break;
      }
    }
    SPECMILL_EXPECTS(known, "unknown ZWARNING name '" + std::string(item) + "'");
    if (sep == std::string_view::npos) return out;
    at = sep + 1;
  }
}

std::string mask_bits_to_string(uint32_t value) {
  if (value == 0) return "0";
  std::string s;
  uint32_t named = 0;
  for (const auto& b : bits)
    if (value & (uint32_t(1) << b.bit)) {
      s += (s.empty() ? "" : "|") + std::string(b.name);
      named |= uint32_t(1) << b.bit;
    }
  if (const uint32_t rest = value & ~named) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%x", rest);
    s += (s.empty() ? "" : "|") + std::string(hex);
  }
  return s;
}

}  // namespace specmill
