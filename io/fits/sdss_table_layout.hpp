#pragma once
// Byte layout of the SDSS HDU 2/3 binary tables (SPECOBJ, SPALL, SPZLINE) and a row encoder.
// The writer fills a whole row in memory and hands it to CFITSIO in one fits_write_tblbytes
// call: going through fits_write_col for each of 236 columns of a one-row table costs more
// than the rest of the file.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace specmill::detail {

struct table_column {
  std::string name;
  std::string tform;   // as in the real files: "E", "5E", "22A", "K", ...
  std::string tdim;    // "( 15, 5)" or empty
  bool tzero_2p63 = false;  // K column holding an unsigned 64-bit value (TZERO = 2^63)
  char type = 0;       // FITS type letter: A B I J K E D
  int repeat = 1;
  size_t offset = 0;   // byte offset in the row
};

class table_layout {
 public:
  static const table_layout& legacy_specobj();  // 126 columns, EXTNAME SPECOBJ
  static const table_layout& boss_spall();      // 236 columns, EXTNAME SPALL
  static const table_layout& spzline();         // 19 columns, EXTNAME SPZLINE

  std::span<const table_column> columns() const { return columns_; }
  size_t row_bytes() const { return row_bytes_; }
  // nullptr when the layout has no such column (the row encoder then skips the value).
  const table_column* find(std::string_view name) const;
  // A row with every numeric field zero and every string field blank.
  const std::vector<uint8_t>& blank_row() const { return blank_row_; }

  struct source_column {
    const char* name;
    const char* tform;
    const char* tdim;
    bool tzero_2p63;
  };
  explicit table_layout(std::span<const source_column> cols);

 private:
  std::vector<table_column> columns_;
  size_t row_bytes_ = 0;
  std::vector<uint8_t> blank_row_;
};

struct spzline_line {
  const char* name;
  double wave;  // vacuum rest wavelength, Angstrom
};
std::span<const spzline_line> legacy_spzline_lines();  // 29 lines
std::span<const spzline_line> boss_spzline_lines();    // 32 lines

// Writes big-endian values into one row; a null column is silently skipped so that callers
// can fill the union of the legacy and BOSS column sets with one piece of code.
class row_encoder {
 public:
  explicit row_encoder(std::span<uint8_t> row) : row_(row) {}
  void put_u8(const table_column* c, uint8_t v, int element = 0);
  void put_i16(const table_column* c, int16_t v, int element = 0);
  void put_i32(const table_column* c, int32_t v, int element = 0);
  void put_i64(const table_column* c, int64_t v, int element = 0);
  // An unsigned 64-bit value in a K column: stored as v - 2^63 when the column has TZERO=2^63.
  void put_u64(const table_column* c, uint64_t v);
  void put_f32(const table_column* c, float v, int element = 0);
  void put_f64(const table_column* c, double v, int element = 0);
  // Left-justified, blank-padded, truncated to the column width.
  void put_str(const table_column* c, std::string_view v);
  // Right-justified with leading blanks (legacy SPECOBJID '    299492975510054912').
  void put_str_right(const table_column* c, std::string_view v);

 private:
  uint8_t* at(const table_column* c, size_t elem_size, int element);
  std::span<uint8_t> row_;
};

}  // namespace specmill::detail
