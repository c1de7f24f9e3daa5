#pragma once
// RAII owner of a CFITSIO fitsfile*, plus the one place CFITSIO status codes become
// specmill::fits_error. Not thread-safe: one fits_file per thread (CFITSIO itself is built
// reentrant, so distinct files on distinct threads are fine; CFITSIO shares its FITSfile
// between concurrent opens of the same path, so the same file must not be open in two threads).
//
// This header does not include fitsio.h: code outside io/ uses fits_file without CFITSIO's
// names. CFITSIO's fitsfile is an anonymous struct behind a typedef, which C++ cannot
// forward-declare, so the handle is kept untyped here; io/fits/fits_native.hpp (io/ and tests
// only) gives it back its type: native(file).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace specmill {

// Throws fits_error when status != 0. The message names `file`, says what was being done and
// carries CFITSIO's status text and error-message stack (which it empties).
void fits_check(int status, const std::filesystem::path& file, std::string_view what);

// One column of a binary-table HDU, derived from its TTYPEn/TFORMn/TSCALn/TZEROn keywords.
struct fits_column {
  std::string name;     // TTYPEn as written (case preserved)
  int index = 0;        // 1-based CFITSIO column number
  int typecode = 0;     // CFITSIO type code (TFLOAT, TINT32BIT, TSTRING, ...); < 0: variable length
  int64_t repeat = 0;   // elements per row (characters for strings)
  int64_t width = 0;    // bytes per element (whole string for A columns)
  int64_t bytes = 0;    // bytes the column occupies in a row
  int64_t offset = -1;  // byte offset of the column in a row; -1 when not derivable
  double scale = 1.0;   // TSCALn
  double zero = 0.0;    // TZEROn
  bool identity_scaling() const { return scale == 1.0 && zero == 0.0; }
};

class fits_file {
 public:
  // Opens an existing file read-only without extended-filename parsing (a name with '[' or
  // '!' is taken literally, and it is faster). Throws fits_error naming the file.
  static fits_file open_read(const std::filesystem::path& file);
  // Opens an existing file for update (tests and in-place tools).
  static fits_file open_update(const std::filesystem::path& file);
  // Creates a new, empty file, replacing any existing one. Write an HDU before close().
  static fits_file create(const std::filesystem::path& file);
  // Opens a FITS image held in memory, read-only; the fits_file owns `bytes` until it closes.
  // `name` is what error messages call it (the file the bytes came from). Throws fits_error.
  // A size that is not a whole number of 2880-byte records, or an HDU moved to whose data runs
  // past the end, is a fits_error (END_OF_FILE): CFITSIO 4.2's memory driver would read past the
  // buffer (found by fuzz/fuzz_sdss_spec_reader).
  static fits_file open_memory(std::vector<unsigned char> bytes, const std::filesystem::path& name);
  // The same on a copy of `size` bytes at `data` (the fuzz targets).
  static fits_file open_memory(const void* data, size_t size, const std::filesystem::path& name);
  // The same on `bytes` in place, not copied: the caller keeps them alive and unchanged until
  // the fits_file is closed (read_sdss_spectrum's in-memory route, for files ingest has read).
  // CFITSIO's memory driver keeps the pointer (it neither copies nor zero-fills the image).
  static fits_file open_memory_view(std::span<const unsigned char> bytes, const std::filesystem::path& name);

  fits_file(const fits_file&) = delete;
  fits_file& operator=(const fits_file&) = delete;
  fits_file(fits_file&& other) noexcept;
  fits_file& operator=(fits_file&& other) noexcept;
  ~fits_file();  // closes silently; writers call close() to see errors

  // The CFITSIO handle (a fitsfile*; nullptr once closed): see native() in fits_native.hpp.
  void* handle() const { return fptr_; }
  const std::filesystem::path& path() const { return path_; }
  // Throws fits_error naming this file when status != 0.
  void check(int status, std::string_view what) const { fits_check(status, path_, what); }

  // Declares binary-table column `colnum` (1-based, TFORM K) of the current HDU as unsigned
  // 64-bit: TZERO = 2^63, the FITS convention BOSS files use for SPECOBJID, so that
  // TULONGLONG reads and writes go through unchanged. Throws fits_error.
  void declare_unsigned64(int colnum, const char* comment);

  // The whole file's bytes when it is open from memory (open_memory, open_memory_view); empty
  // for a file on disk. Valid while the fits_file is open.
  std::span<const unsigned char> memory_bytes() const;

  // Logical size of the open file in bytes: for a file CFITSIO decompressed into memory (it
  // opens gzip, bzip2, ... transparently) the decompressed size, not the size on disk.
  int64_t file_bytes() const;

  int hdu_count();            // scans the whole file
  void move_to(int hdu);      // 0 = primary, 1 = first extension, ...
  int current_hdu() const;    // 0-based
  int hdu_type();             // IMAGE_HDU, ASCII_TBL or BINARY_TBL
  // Byte offsets of the current HDU: header start, data start, data end.
  struct hdu_span {
    int64_t header_start, data_start, data_end;
  };
  hdu_span hdu_address();

  // Current (table) HDU. Column lookups are case-insensitive and exact (no wildcards).
  const std::vector<fits_column>& columns();
  std::optional<int> column_index(std::string_view name);
  const fits_column* find_column(std::string_view name);
  long rows();
  int64_t row_bytes();  // NAXIS1
  int64_t heap_bytes();  // PCOUNT: the variable-length heap after the rows

  // Current-HDU keywords; an absent keyword gives nullopt, an unconvertible one throws.
  std::optional<std::string> key_string(const char* key);  // trailing blanks trimmed
  std::optional<long long> key_long(const char* key);
  std::optional<double> key_double(const char* key);
  std::optional<bool> key_bool(const char* key);

  // Writing, at the current HDU. Each throws fits_error naming the file.
  struct table_column {
    std::string name;  // TTYPEn
    std::string form;  // TFORMn: "1J", "4600E", "1PE(3838)", ...
    std::string unit;  // TUNITn; empty: none written
  };
  // Appends a binary-table HDU `extname` of `rows` rows (zero-filled; writing past the last row
  // adds rows) and makes it current.
  void create_table(std::string_view extname, const std::vector<table_column>& columns, int64_t rows);
  // A string keyword; one longer than a card continues on CONTINUE cards (the long-string
  // convention), a short one is the plain keyword.
  void write_key(const char* key, std::string_view value, const char* comment);
  void write_key(const char* key, int64_t value, const char* comment);
  void write_key(const char* key, double value, const char* comment);  // 15 significant digits
  // values.size() elements of column `colnum` (1-based) from element 1 of row `row` (1-based):
  // for a fixed-length vector column they run on into the following rows; a variable-length
  // column's row holds exactly these elements.
  void write_column(int colnum, int64_t row, std::span<const float> values);
  void write_column(int colnum, int64_t row, std::span<const double> values);
  void write_column(int colnum, int64_t row, std::span<const int32_t> values);
  void write_column(int colnum, int64_t row, std::span<const uint64_t> values);  // a declare_unsigned64 column
  void write_column(int colnum, int64_t row, std::span<const int64_t> values);
  // A character column (TFORM nA), one string a row; CFITSIO pads each with blanks.
  void write_column(int colnum, int64_t row, std::span<const std::string> values);
  void write_logical_column(int colnum, int64_t row, std::span<const uint8_t> values);  // TFORM L: 0 or 1

  // Closes now and throws fits_error if CFITSIO fails (e.g. flushing a written file).
  void close();

 private:
  struct memory_image;  // the bytes of an open_memory file, at an address CFITSIO keeps
  fits_file(void* fptr, std::filesystem::path path);
  // Both open_memory forms: `image` holds or views the bytes.
  static fits_file open_image(std::unique_ptr<memory_image> image, const std::filesystem::path& name);
  void release();  // closes the handle, then frees the memory image
  void* live() const;  // fptr_, or throws when already closed
  void write_values(int datatype, int colnum, int64_t row, size_t n, const void* values);
  // fits_error for an integer keyword's value too long to be one (CFITSIO cannot report it).
  void check_integer_value(const char* key);
  // Makes CFITSIO's next keyword search start at the header's first card.
  void rewind_header();
  // An open_memory file: fits_error unless the current HDU's data lies inside the buffer.
  void check_in_memory();
  template <class T>
  std::optional<T> read_key(int datatype, const char* key);

  void* fptr_ = nullptr;  // a fitsfile*
  std::filesystem::path path_;
  std::vector<fits_column> columns_;  // cache for the current HDU
  bool columns_valid_ = false;
  std::unique_ptr<memory_image> memory_;  // open_memory only; must outlive fptr_
};

}  // namespace specmill
