#include "io/fits/fits_header_guard.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace specmill {
namespace {

constexpr int64_t record = 2880;
constexpr int card_bytes = 80;
// A header this long (36,000 cards) is not a spectrum's or a catalog's: stop walking.
constexpr int max_header_records = 1000;
constexpr int max_hdus = 10000;

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// The card's keyword as CFITSIO reads it: the name field (columns 1-8) up to its first blank or
// '='. A fuzz input wrote "TTYPE2 =====...": the name field "TTYPE2 =" is not a keyword by the
// standard, but CFITSIO 4.2 takes "TTYPE2" from it, finds '=' in column 9 and parses the rest as
// the column's name (and overflowed copying it). Leading blanks are skipped (stricter).
// (A plain loop: find_first_of(" =") is a memchr per character, and this runs twice on every
// card of every header of every file ingested.)
std::string_view keyword_of(std::string_view card) {
  const size_t n = std::min<size_t>(card.size(), 8);
  size_t first = 0;
  while (first < n && card[first] == ' ') ++first;
  size_t last = first;
  while (last < n && card[last] != ' ' && card[last] != '=') ++last;
  return card.substr(first, last - first);
}

// The value as CFITSIO's ffpsvc hands it to ffgtbp: a quoted string up to its closing quote
// ('' is an escaped quote), else the text up to a '/' comment, trimmed. Raw bytes, NULs and
// all: a length measured here is never shorter than the C string CFITSIO copies. The value
// indicator is taken as '=' in column 9 whatever follows it: CFITSIO 4.2 parsed
// "TTYPE13 =<71 control bytes>" as a value (the fuzz input), though the standard wants "= ".
std::string_view card_value(std::string_view card) {
  if (card.size() < 10 || card[8] != '=') return {};
  std::string_view v = card.substr(9);
  size_t lead = v.find_first_not_of(' ');
  if (lead == std::string_view::npos) return {};
  v.remove_prefix(lead);
  if (v.front() == '\'') {
    for (size_t i = 1; i < v.size(); ++i) {
      if (v[i] != '\'') continue;
      if (i + 1 < v.size() && v[i + 1] == '\'') {
        ++i;
        continue;
      }
      return v.substr(0, i + 1);
    }
    return v;  // unterminated: CFITSIO takes the rest of the card
  }
  return trim(v.substr(0, v.find('/')));
}

bool is_plain_number(std::string_view v) {
  if (v.empty()) return false;
  for (char c : v) {
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.' || c == 'E' || c == 'e' ||
          c == 'D' || c == 'd'))
      return false;
  }
  return true;
}

// The column keywords ffgtbp parses, with the index it requires (digits after the prefix).
// (Every prefix is "T" and four letters, told apart by the second: one fixed-length compare a
// card instead of six memcmp calls; this runs on every card of every header ingest reads.)
std::optional<std::string_view> column_keyword(std::string_view name) {
  if (name.size() <= 5 || name[0] != 'T') return std::nullopt;
  std::string_view p;
  switch (name[1]) {
    case 'T': p = "TTYPE"; break;
    case 'S': p = "TSCAL"; break;
    case 'Z': p = "TZERO"; break;
    case 'N': p = "TNULL"; break;
    case 'B': p = "TBCOL"; break;
    case 'H': p = "THEAP"; break;
    default: return std::nullopt;
  }
  if (std::memcmp(name.data() + 2, p.data() + 2, 3) != 0) return std::nullopt;
  const std::string_view index = name.substr(5);
  if (std::all_of(index.begin(), index.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return p;
  return std::nullopt;
}

void check_card(std::string_view card, int hdu, int64_t card_number, const std::filesystem::path& name) {
  const std::string_view keyword = keyword_of(card);
  const auto prefix = column_keyword(keyword);
  if (!prefix) return;
  const std::string_view value = card_value(card);
  bool bad = false;
  if (*prefix == "TTYPE") {
    // Quoted names are at most 68 characters; an unquoted value is copied whole.
    bad = !value.empty() && value.front() != '\'' && value.size() >= 70;
  } else {
    // "Error reading value of NAME as an integer: " is 47 characters of an 81-byte message.
    bad = value.size() > 33 && !is_plain_number(value);
  }
  if (!bad) return;
  std::string shown(card.substr(0, 40));
  for (char& c : shown) {
    if (!std::isprint(static_cast<unsigned char>(c))) c = '?';
  }
  throw data_error("'" + name.string() + "': HDU " + std::to_string(hdu) + ", header card " +
                   std::to_string(card_number + 1) + " (\"" + std::string(trim(shown)) + "...\"): a " +
                   std::string(*prefix) + "n value no FITS writer produces (corrupt header); not read");
}

std::optional<int64_t> integer_value(std::string_view card) {
  const std::string_view v = card_value(card);
  int64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

// The data bytes an HDU's header describes, rounded to whole records; nullopt when the header
// cannot say (a missing or odd BITPIX/NAXIS, an overflow).
struct header_sizes {
  std::optional<int64_t> bitpix, naxis, pcount, gcount;
  std::array<std::optional<int64_t>, 1000> naxes{};
  bool primary = true;
  std::optional<int64_t> data_bytes() const {
    if (!bitpix || !naxis || *naxis < 0 || *naxis > 999) return std::nullopt;
    const int64_t bytes_per = std::abs(*bitpix) / 8;
    if (bytes_per == 0) return std::nullopt;
    if (*naxis == 0) return 0;
    int64_t n = 1;
    // Random groups (primary NAXIS1 = 0): the product skips the first axis.
    const bool groups = primary && naxes[1] && *naxes[1] == 0;
    for (int64_t i = groups ? 2 : 1; i <= *naxis; ++i) {
      if (!naxes[i] || *naxes[i] < 0 || __builtin_mul_overflow(n, *naxes[i], &n)) return std::nullopt;
    }
    const int64_t p = pcount.value_or(0), g = gcount.value_or(1);
    if (p < 0 || g < 0 || __builtin_add_overflow(n, p, &n) || __builtin_mul_overflow(n, g, &n) ||
        __builtin_mul_overflow(n, bytes_per, &n) || n > (int64_t(1) << 50))
      return std::nullopt;
    return (n + record - 1) / record * record;
  }
};

}  // namespace

void check_fits_header_cards(const fits_byte_reader& read, const std::filesystem::path& name) {
  std::array<unsigned char, record> block{};
  int64_t offset = 0;
  for (int hdu = 0; hdu < max_hdus; ++hdu) {
    header_sizes sizes;
    sizes.primary = hdu == 0;
    bool ended = false;
    int64_t card_number = 0;
    for (int r = 0; r < max_header_records && !ended; ++r) {
      // A file that ends inside a record ends the walk after its whole cards: CFITSIO reports
      // the short file, but it parses the cards it got first (a fuzz input did just that).
      const size_t got = read(offset, block);
      const bool last = got != block.size();
      offset += record;
      for (int c = 0; c < int(got) / card_bytes && !ended; ++c, ++card_number) {
        const std::string_view card(reinterpret_cast<const char*>(block.data()) + c * card_bytes, card_bytes);
        const std::string_view keyword = keyword_of(card);
        if (keyword == "END") {
          ended = true;
          break;
        }
        check_card(card, hdu, card_number, name);
        // The first card of each sizing keyword counts (CFITSIO reads them where the standard
        // puts them, first in the header); a repeated or value-less one later does not.
        const auto first = [&](std::optional<int64_t>& slot) {
          if (!slot) slot = integer_value(card);
        };
        if (keyword == "BITPIX") first(sizes.bitpix);
        else if (keyword == "NAXIS") first(sizes.naxis);
        else if (keyword == "PCOUNT") first(sizes.pcount);
        else if (keyword == "GCOUNT") first(sizes.gcount);
        else if (starts_with(keyword, "NAXIS")) {
          int axis = 0;
          const std::string_view digits = keyword.substr(5);
          const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), axis);
          if (ec == std::errc() && end == digits.data() + digits.size() && axis >= 1 && axis <= 999)
            first(sizes.naxes[axis]);
        }
      }
      if (last) return;
    }
    const auto data = ended ? sizes.data_bytes() : std::nullopt;
    if (!data || __builtin_add_overflow(offset, *data, &offset)) {
      // The walk has lost its way (no END within the limit, a header it cannot size): CFITSIO
      // may still find headers further on, so every remaining card-aligned 80 bytes is checked.
      // Only a corrupt file gets here; the rules cannot match float data by chance in practice.
      for (;; offset += record) {
        const size_t got = read(offset, block);
        for (size_t c = 0; c + card_bytes <= got; c += card_bytes, ++card_number)
          check_card({reinterpret_cast<const char*>(block.data()) + c, size_t(card_bytes)}, hdu, card_number, name);
        if (got != block.size()) return;
      }
    }
  }
}

void check_fits_header_cards(std::span<const unsigned char> bytes, const std::filesystem::path& name) {
  check_fits_header_cards(
      [bytes](int64_t offset, std::span<unsigned char> buffer) -> size_t {
        if (offset < 0 || uint64_t(offset) >= bytes.size()) return 0;
        const size_t n = std::min(buffer.size(), bytes.size() - size_t(offset));
        std::memcpy(buffer.data(), bytes.data() + offset, n);
        return n;
      },
      name);
}

void check_fits_header_cards(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  check_fits_header_cards(
      [fd](int64_t offset, std::span<unsigned char> buffer) -> size_t {
        size_t done = 0;
        while (done < buffer.size()) {
          const ssize_t n = ::pread(fd, buffer.data() + done, buffer.size() - done, offset + int64_t(done));
          if (n <= 0) break;
          done += size_t(n);
        }
        return done;
      },
      file);
}

}  // namespace specmill
