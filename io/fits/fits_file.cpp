#include "io/fits/fits_file.hpp"

#include <fitsio.h>

#include <algorithm>
#include <cstring>
#include <cstdlib>
#include <system_error>
#include <utility>

#include "core/error.hpp"
#include "io/fits/fits_header_guard.hpp"
#include "io/fits/fits_names.hpp"

namespace specmill {
namespace {

fitsfile* ff(void* p) { return static_cast<fitsfile*>(p); }

// FITS names are ASCII; the locale-free fold keeps lookups over 236 columns cheap.
using fits_names::iequals;

std::string trim_right(const char* s) {
  std::string out(s);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\0')) out.pop_back();
  return out;
}

// Bytes one row of a column occupies, from its TFORM type and repeat count. A variable-length
// column holds a descriptor: 8 bytes for P, 16 for Q.
int64_t column_bytes(const tcolumn& c) {
  const int64_t r = c.trepeat;
  if (c.tdatatype < 0) return std::strpbrk(c.tform, "Qq") ? 16 : 8;
  switch (c.tdatatype) {
    case TBIT: return (r + 7) / 8;
    case TSTRING:
    case TBYTE:
    case TSBYTE:
    case TLOGICAL: return r;
    case TSHORT: return 2 * r;
    case TLONG:
    case TFLOAT: return 4 * r;
    case TLONGLONG:
    case TDOUBLE:
    case TCOMPLEX: return 8 * r;
    case TDBLCOMPLEX: return 16 * r;
    default: return -1;
  }
}

}  // namespace

void fits_check(int status, const std::filesystem::path& file, std::string_view what) {
  if (status == 0) return;
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  std::string msg = std::string(what) + ": '" + file.string() + "': CFITSIO status " +
                    std::to_string(status) + " (" + text + ")";
  // CFITSIO's message stack is one for the whole process, not one a thread: under concurrent
  // reads (ingest's threads) its lines may be another file's, or gone (another thread's
  // fits_clear_errmark), so they are not part of the message, which is then the same whatever
  // ran beside it (the batch ingest's summary is compared with the serial one word for word).
  // The stack is cleared all the same, so that it cannot grow.
  fits_clear_errmsg();
  throw fits_error(msg, status);
}

// CFITSIO keeps the addresses of `data` and `size` (a memory file may grow by realloc), so
// they live on the heap, where a moved fits_file does not move them. `bytes` is empty for an
// open_memory_view image, whose `data` is the caller's.
struct fits_file::memory_image {
  std::vector<unsigned char> bytes;
  void* data = nullptr;
  size_t size = 0;
};

fits_file::fits_file(void* fptr, std::filesystem::path path) : fptr_(fptr), path_(std::move(path)) {}

fits_file fits_file::open_read(const std::filesystem::path& file) {
  check_fits_header_cards(file);  // cards CFITSIO would overflow a buffer on (fits_header_guard.hpp)
  fitsfile* f = nullptr;
  int status = 0;
  // fits_open_diskfile: the name is a plain path, never CFITSIO's extended filename syntax.
  fits_open_diskfile(&f, file.c_str(), READONLY, &status);
  if (status != 0) {
    if (f) {
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    fits_check(status, file, "cannot open FITS file");
  }
  return fits_file(f, file);
}

fits_file fits_file::open_memory(const void* data, size_t size, const std::filesystem::path& name) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  return open_memory(std::vector<unsigned char>(bytes, bytes + size), name);
}

void fits_file::check_in_memory() {
  if (!memory_) return;
  const hdu_span span = hdu_address();
  if (span.data_end > int64_t(memory_->size)) {
    throw fits_error("'" + path_.string() + "': HDU " + std::to_string(current_hdu()) + " ends at byte " +
                         std::to_string(span.data_end) + ", past the end of the " + std::to_string(memory_->size) +
                         "-byte in-memory file (truncated)",
                     END_OF_FILE);
  }
}

fits_file fits_file::open_update(const std::filesystem::path& file) {
  fitsfile* f = nullptr;
  int status = 0;
  fits_open_diskfile(&f, file.c_str(), READWRITE, &status);
  if (status != 0) {
    if (f) {
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    fits_check(status, file, "cannot open FITS file for update");
  }
  return fits_file(f, file);
}

fits_file fits_file::create(const std::filesystem::path& file) {
  // fits_create_diskfile does not honour the '!' clobber prefix, so remove the old file here.
  std::error_code ec;
  std::filesystem::remove(file, ec);
  if (ec) throw io_error("cannot replace '" + file.string() + "': " + ec.message());
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_diskfile(&f, file.c_str(), &status);
  if (status != 0) {
    if (f) {
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    fits_check(status, file, "cannot create FITS file");
  }
  return fits_file(f, file);
}

fits_file fits_file::open_memory(std::vector<unsigned char> bytes, const std::filesystem::path& name) {
  auto image = std::make_unique<memory_image>();
  image->bytes = std::move(bytes);
  image->data = image->bytes.data();
  image->size = image->bytes.size();
  return open_image(std::move(image), name);
}

fits_file fits_file::open_memory_view(std::span<const unsigned char> bytes, const std::filesystem::path& name) {
  auto image = std::make_unique<memory_image>();
  // Opened READONLY and never given a realloc function: CFITSIO reads through the pointer only.
  image->data = const_cast<unsigned char*>(bytes.data());
  image->size = bytes.size();
  return open_image(std::move(image), name);
}

fits_file fits_file::open_image(std::unique_ptr<memory_image> image, const std::filesystem::path& name) {
  const std::span<const unsigned char> bytes(static_cast<const unsigned char*>(image->data), image->size);
  // CFITSIO 4.2's memory driver reads whole 2880-byte records and whole table data without
  // checking the buffer's end (a disk file reports END_OF_FILE instead): a partial record here,
  // or an HDU whose data runs past the end (check_in_memory), would be read out of bounds.
  if (bytes.empty() || bytes.size() % 2880 != 0) {
    throw fits_error("'" + name.string() + "': cannot open in-memory FITS file: " + std::to_string(bytes.size()) +
                         " bytes is not a whole number of 2880-byte FITS records (truncated)",
                     END_OF_FILE);
  }
  check_fits_header_cards(bytes, name);
  fitsfile* f = nullptr;
  int status = 0;
  // A fixed label, not `name`: CFITSIO parses a memory file's name for "[ext]"-style syntax;
  // errors name `name` through fits_check all the same.
  fits_open_memfile(&f, "specmill-memory-image.fits", READONLY, &image->data, &image->size, 0, nullptr, &status);
  if (status != 0) {
    if (f) {
      int ignored = 0;
      fits_close_file(f, &ignored);
    }
    fits_check(status, name, "cannot open FITS file");
  }
  fits_file out(f, name);
  out.memory_ = std::move(image);
  out.check_in_memory();
  return out;
}

fits_file::fits_file(fits_file&& other) noexcept
    : fptr_(std::exchange(other.fptr_, nullptr)),
      path_(std::move(other.path_)),
      columns_(std::move(other.columns_)),
      columns_valid_(std::exchange(other.columns_valid_, false)),
      memory_(std::move(other.memory_)) {}

fits_file& fits_file::operator=(fits_file&& other) noexcept {
  if (this != &other) {
    release();
    fptr_ = std::exchange(other.fptr_, nullptr);
    path_ = std::move(other.path_);
    columns_ = std::move(other.columns_);
    columns_valid_ = std::exchange(other.columns_valid_, false);
    memory_ = std::move(other.memory_);
  }
  return *this;
}

fits_file::~fits_file() { release(); }

void fits_file::release() {
  if (fptr_) {
    int ignored = 0;
    fits_close_file(ff(std::exchange(fptr_, nullptr)), &ignored);
  }
  memory_.reset();
}

void* fits_file::live() const {
  if (!fptr_) throw invalid_argument("FITS file '" + path_.string() + "' is already closed");
  return fptr_;
}

void fits_file::close() {
  if (!fptr_) return;
  int status = 0;
  fits_close_file(ff(std::exchange(fptr_, nullptr)), &status);
  columns_valid_ = false;
  memory_.reset();
  check(status, "cannot close FITS file");
}

std::span<const unsigned char> fits_file::memory_bytes() const {
  if (!memory_) return {};
  return {static_cast<const unsigned char*>(memory_->data), memory_->size};
}

int64_t fits_file::file_bytes() const { return ff(live())->Fptr->logfilesize; }

int fits_file::hdu_count() {
  int n = 0, status = 0;
  fits_get_num_hdus(ff(live()), &n, &status);
  check(status, "cannot count HDUs");
  return n;
}

void fits_file::move_to(int hdu) {
  SPECMILL_EXPECTS(hdu >= 0, "HDU index must be >= 0");
  int type = 0, status = 0;
  columns_valid_ = false;
  fits_movabs_hdu(ff(live()), hdu + 1, &type, &status);
  check(status, "cannot move to HDU " + std::to_string(hdu));
  check_in_memory();
}

int fits_file::current_hdu() const {
  int n = 0;
  fits_get_hdu_num(ff(live()), &n);
  return n - 1;
}

int fits_file::hdu_type() {
  int type = 0, status = 0;
  fits_get_hdu_type(ff(live()), &type, &status);
  check(status, "cannot get HDU type");
  return type;
}

fits_file::hdu_span fits_file::hdu_address() {
  LONGLONG head = 0, data = 0, end = 0;
  int status = 0;
  fits_get_hduaddrll(ff(live()), &head, &data, &end, &status);
  check(status, "cannot get HDU address");
  return {head, data, end};
}

const std::vector<fits_column>& fits_file::columns() {
  if (columns_valid_) return columns_;
  fitsfile* f = ff(live());
  if (hdu_type() != BINARY_TBL) {
    check(NOT_BTABLE, "HDU " + std::to_string(current_hdu()) + " is not a binary table");
  }
  int ncols = 0, status = 0;
  fits_get_num_cols(f, &ncols, &status);  // also re-syncs f->Fptr to this handle's HDU
  check(status, "cannot count columns");
  // CFITSIO parsed TTYPEn/TFORMn/TSCALn/TZEROn into Fptr->tableptr when it entered the HDU;
  // its public getters (fits_get_bcolparms, fits_get_colnum) instead re-search the header for
  // TUNIT/TDISP or wildcard-match every name, which on a 236-column SPALL HDU cost ~10 ms.
  const tcolumn* table = f->Fptr->tableptr;
  columns_.clear();
  columns_.reserve(size_t(ncols));
  int64_t offset = 0;
  bool offsets_known = true;
  for (int i = 0; i < ncols; ++i) {
    const tcolumn& t = table[i];
    fits_column c;
    c.index = i + 1;
    c.name = trim_right(t.ttype);
    c.typecode = t.tdatatype;
    c.repeat = t.trepeat;
    c.bytes = column_bytes(t);
    c.width = c.typecode == TSTRING || c.repeat == 0 ? c.bytes : c.bytes / std::max<int64_t>(c.repeat, 1);
    c.scale = t.tscale;
    c.zero = t.tzero;
    // Our TFORM-derived offset must agree with CFITSIO's own, or neither is trusted.
    offsets_known = offsets_known && c.bytes >= 0 && t.tbcol == offset;
    c.offset = offset;
    offset += std::max<int64_t>(c.bytes, 0);
    columns_.push_back(std::move(c));
  }
  if (!offsets_known || offset != f->Fptr->rowlength) {
    for (auto& c : columns_) c.offset = -1;
  }
  columns_valid_ = true;
  return columns_;
}

const fits_column* fits_file::find_column(std::string_view name) {
  for (const auto& c : columns()) {
    if (iequals(c.name, name)) return &c;
  }
  return nullptr;
}

std::optional<int> fits_file::column_index(std::string_view name) {
  const fits_column* c = find_column(name);
  if (!c) return std::nullopt;
  return c->index;
}

long fits_file::rows() {
  LONGLONG n = 0;
  int status = 0;
  fits_get_num_rowsll(ff(live()), &n, &status);
  check(status, "cannot get the row count");
  return long(n);
}

int64_t fits_file::row_bytes() {
  (void)columns();  // validates a binary table and syncs Fptr to this handle's HDU
  return ff(fptr_)->Fptr->rowlength;  // NAXIS1, as parsed by CFITSIO
}

int64_t fits_file::heap_bytes() {
  (void)columns();  // as row_bytes(): a binary table, Fptr synced to this handle's HDU
  return ff(fptr_)->Fptr->heapsize;  // PCOUNT, as parsed by CFITSIO
}

template <class T>
std::optional<T> fits_file::read_key(int datatype, const char* key) {
  T value{};
  int status = 0;
  if (datatype == TLONGLONG || datatype == TLONG || datatype == TINT) {
    check_integer_value(key);
    rewind_header();  // the typed read must find the card the check saw
  }
  fits_write_errmark();
  fits_read_key(ff(live()), datatype, key, &value, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmark();  // an absent key is an answer, not an error
    return std::nullopt;
  }
  check(status, std::string("cannot read keyword ") + key);
  return value;
}

void fits_file::rewind_header() {
  char card[FLEN_CARD] = {};
  int status = 0;
  fits_read_record(ff(live()), 0, card, &status);  // record 0: moves the search to the first card
  check(status, "cannot rewind the header");
}

void fits_file::check_integer_value(const char* key) {
  // CFITSIO 4.2's integer conversion (ffc2j) appends up to 30 characters of a value it cannot
  // convert to an 81-byte message that already holds 52: a longer bad value (found by
  // fuzz/fuzz_sdss_spec_reader: "FIBERID = (   366 / Fiber number (1-1000)", which CFITSIO reads
  // as a complex value up to the ')' of the comment) overflowed it, and glibc's fortify check
  // aborted the process. No integer needs more than 20 characters (24 allows "1.0E+01" forms).
  // CFITSIO searches for a keyword from the card after the last one read, wrapping around: with
  // a keyword twice in the header, the check and the read found different cards (fuzz: FIBERID
  // = 49.1309 checked, then FIBERID = ( 366 converted). Both start from the first card now.
  char raw[FLEN_VALUE] = {};
  int status = 0;
  rewind_header();
  fits_write_errmark();
  fits_read_keyword(ff(live()), key, raw, nullptr, &status);
  fits_clear_errmark();  // absent or unreadable: the typed read below reports it
  if (status == 0 && std::strlen(raw) > 24) {
    throw fits_error("'" + path_.string() + "': keyword " + key + " = " + raw + " is not an integer", BAD_INTKEY);
  }
}

std::optional<std::string> fits_file::key_string(const char* key) {
  char value[FLEN_VALUE] = {};
  int status = 0;
  fits_write_errmark();
  fits_read_key(ff(live()), TSTRING, key, value, nullptr, &status);
  if (status == KEY_NO_EXIST) {
    fits_clear_errmark();
    return std::nullopt;
  }
  check(status, std::string("cannot read keyword ") + key);
  return trim_right(value);
}

std::optional<long long> fits_file::key_long(const char* key) { return read_key<long long>(TLONGLONG, key); }

std::optional<double> fits_file::key_double(const char* key) { return read_key<double>(TDOUBLE, key); }

std::optional<bool> fits_file::key_bool(const char* key) {
  const auto v = read_key<int>(TLOGICAL, key);
  if (!v) return std::nullopt;
  return *v != 0;
}

void fits_file::declare_unsigned64(int colnum, const char* comment) {
  int status = 0;
  const std::string n = std::to_string(colnum);
  fits_write_key_dbl(ff(fptr_), ("TSCAL" + n).c_str(), 1.0, -1, "", &status);
  ffpkyuj(ff(fptr_), ("TZERO" + n).c_str(), uint64_t{1} << 63, comment, &status);
  fits_set_tscale(ff(fptr_), colnum, 1.0, 9223372036854775808.0, &status);
  check(status, "declaring column " + n + " unsigned 64-bit");
}

void fits_file::create_table(std::string_view extname, const std::vector<table_column>& columns, int64_t rows) {
  std::vector<std::string> strings;  // CFITSIO takes char**: copies it may not modify
  strings.reserve(columns.size() * 3 + 1);
  std::vector<char*> ttype, tform, tunit;
  for (const auto& c : columns) {
    ttype.push_back(strings.emplace_back(c.name).data());
    tform.push_back(strings.emplace_back(c.form).data());
    tunit.push_back(strings.emplace_back(c.unit).data());  // "" writes no TUNITn
  }
  std::string name(extname);
  int status = 0;
  columns_valid_ = false;
  fits_create_tbl(ff(live()), BINARY_TBL, LONGLONG(rows), int(columns.size()), ttype.data(), tform.data(), tunit.data(),
                  name.c_str(), &status);
  check(status, "cannot create table " + name);
}

void fits_file::write_key(const char* key, std::string_view value, const char* comment) {
  // fits_write_key_longstr writes a value that fits one card exactly as fits_write_key_str does.
  const std::string v(value);
  int status = 0;
  fits_write_key_longstr(ff(live()), key, v.c_str(), comment, &status);
  check(status, std::string("cannot write keyword ") + key);
}

void fits_file::write_key(const char* key, int64_t value, const char* comment) {
  int status = 0;
  fits_write_key_lng(ff(live()), key, LONGLONG(value), comment, &status);
  check(status, std::string("cannot write keyword ") + key);
}

void fits_file::write_key(const char* key, double value, const char* comment) {
  int status = 0;
  fits_write_key_dbl(ff(live()), key, value, -15, comment, &status);
  check(status, std::string("cannot write keyword ") + key);
}

void fits_file::write_values(int datatype, int colnum, int64_t row, size_t n, const void* values) {
  if (n == 0) return;
  int status = 0;
  // CFITSIO's write functions take non-const pointers but only read through them.
  fits_write_col(ff(live()), datatype, colnum, LONGLONG(row), 1, LONGLONG(n), const_cast<void*>(values), &status);
  check(status, "cannot write column " + std::to_string(colnum) + " at row " + std::to_string(row));
}

void fits_file::write_column(int colnum, int64_t row, std::span<const float> v) {
  write_values(TFLOAT, colnum, row, v.size(), v.data());
}
void fits_file::write_column(int colnum, int64_t row, std::span<const double> v) {
  write_values(TDOUBLE, colnum, row, v.size(), v.data());
}
void fits_file::write_column(int colnum, int64_t row, std::span<const int32_t> v) {
  static_assert(sizeof(int) == sizeof(int32_t));
  write_values(TINT, colnum, row, v.size(), v.data());
}
void fits_file::write_column(int colnum, int64_t row, std::span<const uint64_t> v) {
  static_assert(sizeof(unsigned long long) == sizeof(uint64_t));
  write_values(TULONGLONG, colnum, row, v.size(), v.data());
}
void fits_file::write_column(int colnum, int64_t row, std::span<const int64_t> v) {
  static_assert(sizeof(long long) == sizeof(int64_t));
  write_values(TLONGLONG, colnum, row, v.size(), v.data());
}
void fits_file::write_column(int colnum, int64_t row, std::span<const std::string> v) {
  // TSTRING takes an array of char*; CFITSIO only reads through them.
  std::vector<char*> p(v.size());
  for (size_t i = 0; i < v.size(); ++i) p[i] = const_cast<char*>(v[i].c_str());
  write_values(TSTRING, colnum, row, v.size(), p.data());
}
void fits_file::write_logical_column(int colnum, int64_t row, std::span<const uint8_t> v) {
  write_values(TLOGICAL, colnum, row, v.size(), v.data());
}

}  // namespace specmill
