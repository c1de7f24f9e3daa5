// fits_header_guard: header cards CFITSIO 4.2 would overflow a fixed buffer on are refused as
// data_error before CFITSIO parses them; real files pass untouched. The corrupt files are real
// SDSS spec files with one card rewritten in place (same length, so the layout stays valid).
#include "io/fits/fits_header_guard.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "io/fits/fits_file.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace specmill {
namespace {

using test::temp_dir;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

// Replaces the first header card that starts with `keyword` (an 80-byte card at an
// 80-aligned offset) by `card`, padded to 80 bytes.
std::string with_card(std::string bytes, const std::string& keyword, std::string card) {
  card.resize(80, ' ');
  for (size_t off = 0; off + 80 <= bytes.size(); off += 80) {
    if (bytes.compare(off, keyword.size(), keyword) == 0) {
      bytes.replace(off, 80, card);
      return bytes;
    }
  }
  ADD_FAILURE() << "no card " << keyword;
  return bytes;
}

// in_memory: also through open_memory (which takes whole 2880-byte records only).
void expect_refused(const std::string& bytes, const std::string& what, bool in_memory = true) {
  temp_dir dir;
  const auto path = dir / "spec-corrupt.fits";
  std::ofstream(path, std::ios::binary) << bytes;
  for (int via_memory = 0; via_memory < (in_memory ? 2 : 1); ++via_memory) {
    try {
      if (via_memory) {
        (void)fits_file::open_memory(std::vector<unsigned char>(bytes.begin(), bytes.end()), path);
      } else {
        (void)fits_file::open_read(path);
      }
      ADD_FAILURE() << what << ": opened (" << (via_memory ? "memory" : "disk") << ")";
    } catch (const data_error& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find(path.string()), std::string::npos) << m;
      EXPECT_NE(m.find("corrupt header"), std::string::npos) << m;
    }
  }
  // The spec reader ends in the same error (ingest reports the file and goes on).
  EXPECT_THROW((void)read_sdss_spectrum(path), data_error) << what;
}

TEST(fits_header_guard, real_files_pass_on_disk_and_in_memory) {
  for (const char* stem : {"3655-55240-0002", "0266-51602-0013"}) {
    const auto path = test::real_spectrum(stem);
    EXPECT_NO_THROW(check_fits_header_cards(path)) << stem;
    const std::string bytes = read_all(path);
    EXPECT_NO_THROW(check_fits_header_cards(
        std::span(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()), path))
        << stem;
  }
  EXPECT_NO_THROW(check_fits_header_cards(test::real_catalog()));
}

TEST(fits_header_guard, unquoted_ttype_of_70_characters_is_refused) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  // The fuzz input's form: '=' in column 9 and no space after it.
  expect_refused(with_card(real, "TTYPE1  ", "TTYPE1  =" + std::string(71, '\x1c')), "no-space TTYPE");
  expect_refused(with_card(real, "TTYPE1  ", "TTYPE1  = " + std::string(70, 'x')), "70-character TTYPE");
}

// The DESI fuzz target's input of 2026-12-04: "TTYPE2 =" fills the name field and '=' follows in
// column 9. The name field is not a keyword by the standard, but CFITSIO reads TTYPE2 from it and
// overflowed a buffer copying the 71-character unquoted value (strcpy in ffgtbp); the guard
// reads the name as CFITSIO does. A quoted, short value in that form still passes.
TEST(fits_header_guard, a_name_field_holding_an_equals_sign_is_read_as_cfitsio_reads_it) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  expect_refused(with_card(real, "TTYPE1  ", "TTYPE1 =" + std::string(71, '=') + " ="), "TTYPE1 = in the name field");
  expect_refused(with_card(real, "TTYPE1  ", "TTYPE1= =" + std::string(71, 'x')), "TTYPE1= in the name field");
  const std::string fine = with_card(real, "TTYPE1  ", "TTYPE1 == 'FLUX'");
  EXPECT_NO_THROW(check_fits_header_cards(std::span(reinterpret_cast<const unsigned char*>(fine.data()), fine.size()),
                                          "fine.fits"));
}

// The second fuzz input: the bad card sits in a header record the file ends inside. CFITSIO
// parses the whole cards it got before it reports the short file, so the guard checks them too.
TEST(fits_header_guard, a_bad_card_in_a_cut_record_is_refused) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  const std::string bad = with_card(real, "TTYPE1  ", "TTYPE1  =" + std::string(71, '\x1c'));
  const size_t card = bad.find("TTYPE1  =");
  ASSERT_NE(card, std::string::npos);
  ASSERT_NE((card + 80) % 2880, 0u) << "the card must not end its record";
  expect_refused(bad.substr(0, card + 80), "cut after the bad card", /*in_memory=*/false);
}

// The third fuzz input: a mutated header repeated a sizing keyword without a value, the walk
// could not size the HDU and stopped, and CFITSIO went on to a bad card in the next HDU. The
// first card of each sizing keyword counts now, and a walk that loses its way checks every
// remaining card-aligned 80 bytes.
TEST(fits_header_guard, a_repeated_sizing_card_does_not_end_the_walk) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  // HDU 1's TTYPE2 becomes a value-less NAXIS2; HDU 2's TTYPE1 (the file's second) goes bad.
  std::string bytes = with_card(real, "TTYPE2  ", "NAXIS2    no value indicator");
  const size_t first = bytes.find("TTYPE1  =");
  size_t second = first;
  while ((second = bytes.find("TTYPE1  =", second + 1)) != std::string::npos && second % 80 != 0) {
  }
  ASSERT_NE(second, std::string::npos);
  bytes.replace(second, 80, ("TTYPE1  = " + std::string(70, 'x')).substr(0, 80));
  expect_refused(bytes, "bad card after a repeated NAXIS2");
  // A header with no END: the rest of the file is checked card by card.
  std::string no_end = with_card(real, "TTYPE1  ", "TTYPE1  = " + std::string(70, 'x'));
  for (size_t off = 2880; off + 80 <= no_end.size(); off += 80) {
    if (no_end.compare(off, 8, "END     ") == 0) no_end.replace(off, 80, std::string(80, ' '));
  }
  EXPECT_THROW(check_fits_header_cards(
                   std::span(reinterpret_cast<const unsigned char*>(no_end.data()), no_end.size()), "no-end.fits"),
               data_error);
}

TEST(fits_header_guard, quoted_or_short_names_pass) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  // The longest name a quoted string can hold (68 characters) is a valid, if odd, column name.
  const std::string quoted = with_card(real, "TTYPE1  ", "TTYPE1  = '" + std::string(68, 'f') + "'");
  EXPECT_NO_THROW(check_fits_header_cards(
      std::span(reinterpret_cast<const unsigned char*>(quoted.data()), quoted.size()), "quoted.fits"));
  const std::string unquoted = with_card(real, "TTYPE1  ", "TTYPE1  = " + std::string(69, 'x'));
  EXPECT_NO_THROW(check_fits_header_cards(
      std::span(reinterpret_cast<const unsigned char*>(unquoted.data()), unquoted.size()), "short.fits"));
}

TEST(fits_header_guard, long_non_numeric_scaling_values_are_refused) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  // The TTYPE1 card is overwritten by the scaling card, so the header keeps its length.
  expect_refused(with_card(real, "TTYPE1  ", "TSCAL1  = " + std::string(40, 'q')), "TSCAL");
  expect_refused(with_card(real, "TTYPE1  ", "TNULL1  = '" + std::string(40, '9') + "'"), "quoted TNULL");
  // A long number is still a number: CFITSIO converts it and prints no message.
  const std::string number = with_card(real, "TTYPE1  ", "TZERO1  = 1.00000000000000000000000000000000000000E+00");
  EXPECT_NO_THROW(check_fits_header_cards(
      std::span(reinterpret_cast<const unsigned char*>(number.data()), number.size()), "number.fits"));
}

TEST(fits_header_guard, the_walk_stops_quietly_where_the_file_ends) {
  const std::string real = read_all(test::real_spectrum("3655-55240-0002"));
  const std::string cut = real.substr(0, 2880 * 3);
  EXPECT_NO_THROW(check_fits_header_cards(
      std::span(reinterpret_cast<const unsigned char*>(cut.data()), cut.size()), "cut.fits"));
}

}  // namespace
}  // namespace specmill
