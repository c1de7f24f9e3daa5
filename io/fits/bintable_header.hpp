#pragma once
// A strict reader of one BINTABLE extension header, straight from its bytes, for the HDU 2
// metadata row of a spec file. CFITSIO parses every one of a BOSS file's 236 columns (TTYPE,
// TFORM, TUNIT, TDISP ... ~1 M instructions a file) when it enters the HDU; spec_meta needs 20.
//
// Strict on purpose: it accepts only the plain layout idlspec2d writes (mandatory keywords in
// order, every card printable ASCII, quoted TTYPEn without '' escapes, TFORMn "rT" with a
// fixed-size type, NAXIS1 equal to the sum of the column widths, no heap). Anything else gives
// nullopt and the caller takes the CFITSIO path, which then gives the answer (or the error) it
// always gave: this reader must never accept a header CFITSIO would refuse.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace specmill {

struct bintable_field {
  std::string_view name;  // TTYPEn between the quotes, trailing blanks dropped; views the header
  char type = 0;          // TFORM letter: L X B I J K A E D C M
  int64_t repeat = 0;
  int64_t offset = 0;     // in the row
  bool scaled = false;    // a TSCALn or TZEROn card is present
  double scale = 1.0, zero = 0.0;
};

struct bintable_layout {
  int64_t header_bytes = 0;  // whole records, END's included: the data starts here
  int64_t row_bytes = 0;     // NAXIS1
  int64_t rows = 0;          // NAXIS2
  std::vector<bintable_field> fields;
  // The first field named `name` (ASCII case-insensitive, as fits_file::find_column), or null.
  const bintable_field* find(std::string_view name) const;
};

// Bytes of the header at the start of `bytes` (whole 2880-byte records up to and including the
// one holding END), or 0 when `bytes` holds no END card.
int64_t bintable_header_bytes(std::span<const unsigned char> bytes);

// Parses a header whose bytes are exactly `header` (bintable_header_bytes of them). nullopt:
// not the plain layout described above.
std::optional<bintable_layout> parse_bintable_header(std::span<const unsigned char> header);

}  // namespace specmill
