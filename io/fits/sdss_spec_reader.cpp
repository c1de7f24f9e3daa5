#include "io/fits/sdss_spec_reader.hpp"

#include <spdlog/spdlog.h>

#include <bit>
#include <cmath>
#include <compare>
#include <cstring>
#include <iterator>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <sys/stat.h>

#include "core/error.hpp"
#include "io/fits/compressed_file.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/spec_meta_direct.hpp"
#include "io/fits/spec_meta_table.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

// Appending (not '"'" + s + "'"') sidesteps GCC 12's false -Wrestrict (PR 105651).
std::string quoted(const fs::path& p) {
  std::string s(1, '\'');
  s += p.string();
  s += '\'';
  return s;
}

struct primary_keys {
  std::optional<std::string> run2d;  // BOSS only; legacy files carry RUN2D in HDU 2 alone
  std::optional<long long> plate, mjd, fiberid;
};

primary_keys read_primary(fits_file& f) {
  // CFITSIO searches on from the last keyword found, wrapping at END; asking in the order
  // idlspec2d writes them (MJD, PLATEID, RUN2D, FIBERID) makes it one pass, not four.
  primary_keys p;
  p.mjd = f.key_long("MJD");
  p.plate = f.key_long("PLATEID");
  p.run2d = f.key_string("RUN2D");
  p.fiberid = f.key_long("FIBERID");
  return p;
}

const char* file_type_name(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO (named pipe)";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISDIR(m)) return "a directory";
  return "not a regular file";
}

// Opens a spec file without letting the input decide how long it blocks or how much it
// costs. stat() follows symlinks, so a link to a regular file is fine. (The check and the open
// are two steps: a file swapped for a FIFO in between would still block. Inputs are trusted
// that far.)
fits_file open_spec_file(const fs::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    throw io_error(quoted(file) + " is " + file_type_name(st.st_mode) + ": only regular files are read");
  }
  // stat failing (missing, no permission) is left to CFITSIO, whose fits_error names the file.
  const compression_kind c = sniff_compression(file);
  if (c.kind == compression::gzip) return fits_file::open_memory(gunzip_bounded(file, max_spec_file_bytes), file);
  SPECMILL_DATA_CHECK(c.kind == compression::none,
                      quoted(file) + " is " + std::string(c.name) + "-compressed: only gzip spec files are read");
  return fits_file::open_read(file);
}

// The table's rows and heap must lie inside the file. CFITSIO trusts NAXIS1/NAXIS2/PCOUNT and
// only fails when a read runs off the end; checked first, a corrupt count costs nothing. A
// claim larger than any spec file can be is a corrupt header (data_error); a smaller one that
// still runs past the end is a truncated file (fits_error END_OF_FILE, as CFITSIO would say).
void check_table_geometry(fits_file& f, int hdu, const char* label) {
  const int64_t rows = f.rows(), row_bytes = f.row_bytes(), heap = f.heap_bytes();
  const int64_t start = f.hdu_address().data_start, size = f.file_bytes();
  int64_t table = 0, end = 0;
  const bool overflow = rows < 0 || row_bytes < 0 || heap < 0 || __builtin_mul_overflow(rows, row_bytes, &table) ||
                        __builtin_add_overflow(table, heap, &table) || __builtin_add_overflow(start, table, &end);
  if (!overflow && end <= size) return;
  const std::string claim = "HDU " + std::to_string(hdu) + " (" + label + ") claims " + std::to_string(rows) +
                            " rows of " + std::to_string(row_bytes) + " bytes plus a " + std::to_string(heap) +
                            "-byte heap";
  SPECMILL_DATA_CHECK(!overflow && uint64_t(end) <= max_spec_file_bytes,
                      quoted(f.path()) + ": " + claim + ", more than any spec file holds (" +
                          std::to_string(max_spec_file_bytes >> 20) +
                          " MiB): a corrupt NAXIS1/NAXIS2/PCOUNT/TFORM; not read");
  f.check(END_OF_FILE, claim + ", past the end of the " + std::to_string(size) + "-byte file: truncated");
}

// Moves to table HDU `hdu`. A file that simply ends before it is a valid FITS file that is
// not a spectrum (data_error); one that ends inside it is a broken file (fits_error).
void enter_table(fits_file& f, int hdu, const char* label) {
  const int64_t previous_end = f.hdu_address().data_end;
  try {
    f.move_to(hdu);
  } catch (const fits_error& e) {
    if (e.status == END_OF_FILE && f.file_bytes() == previous_end) {
      throw data_error(quoted(f.path()) + ": no HDU " + std::to_string(hdu) + " (" + label +
                       "): the file ends after HDU " + std::to_string(hdu - 1) +
                       ", so it is not an SDSS spec file");
    }
    throw;
  }
  SPECMILL_DATA_CHECK(f.hdu_type() == BINARY_TBL, quoted(f.path()) + ": HDU " + std::to_string(hdu) +
                                                      " (" + label + ") is not a binary table");
  check_table_geometry(f, hdu, label);
}

// One big-endian 4-byte column of a block of table rows, read as T: an iterator, so that a
// vector is built from the column directly (vector::assign) instead of zero-filled by resize
// first and then overwritten (the fill was ~2% of ingest's CPU).
template <class T>
class be32_column {
 public:
  using iterator_category = std::random_access_iterator_tag;
  using value_type = T;
  using difference_type = std::ptrdiff_t;
  using pointer = const T*;
  using reference = T;
  static_assert(sizeof(T) == 4);

  be32_column(const unsigned char* at, int64_t stride) : at_(at), stride_(stride) {}
  T operator*() const {
    uint32_t u;
    std::memcpy(&u, at_, 4);
    if constexpr (std::endian::native == std::endian::little) u = __builtin_bswap32(u);
    return std::bit_cast<T>(u);
  }
  T operator[](difference_type i) const { return *(*this + i); }
  be32_column& operator++() { return *this += 1; }
  be32_column operator++(int) { auto old = *this; ++*this; return old; }
  be32_column& operator--() { return *this -= 1; }
  be32_column operator--(int) { auto old = *this; --*this; return old; }
  be32_column& operator+=(difference_type d) { at_ += d * stride_; return *this; }
  be32_column& operator-=(difference_type d) { at_ -= d * stride_; return *this; }
  friend be32_column operator+(be32_column a, difference_type d) { return a += d; }
  friend be32_column operator+(difference_type d, be32_column a) { return a += d; }
  friend be32_column operator-(be32_column a, difference_type d) { return a -= d; }
  friend difference_type operator-(const be32_column& a, const be32_column& b) { return (a.at_ - b.at_) / a.stride_; }
  friend bool operator==(const be32_column& a, const be32_column& b) { return a.at_ == b.at_; }
  friend auto operator<=>(const be32_column& a, const be32_column& b) { return a.at_ <=> b.at_; }

 private:
  const unsigned char* at_;
  int64_t stride_;
};

template <class T>
void decode_be32(const unsigned char* first, int64_t stride, size_t n, std::vector<T>& out) {
  const be32_column<T> begin(first, stride);
  out.assign(begin, begin + std::ptrdiff_t(n));
}

template <class T>
std::vector<T>& target(coadd& c, column col) {
  if constexpr (std::is_same_v<T, int32_t>) {
    return col == column::and_mask ? c.and_mask : c.or_mask;
  } else {
    switch (col) {
      case column::flux: return c.flux;
      case column::loglam: return c.loglam;
      case column::ivar: return c.ivar;
      case column::wdisp: return c.wdisp;
      case column::sky: return c.sky;
      default: return c.model;
    }
  }
}

// The whole COADD table arrives in one fits_read_tblbytes call and is decoded here from the
// TFORM-derived byte offsets: ~10x cheaper than eight fits_read_col calls with per-element
// type dispatch. Columns with another type or non-identity TSCAL/TZERO go through
// fits_read_col, which applies the conversion.
coadd read_coadd(fits_file& f) {
  const fs::path& file = f.path();
  const long nrows = f.rows();
  SPECMILL_DATA_CHECK(nrows > 0, quoted(file) + ": COADD table (HDU 1) has no rows");

  const fits_column* cols[n_columns];
  bool raw[n_columns];
  bool any_raw = false;
  for (int k = 0; k < n_columns; ++k) {
    const auto name = column_names[size_t(k)];
    const fits_column* c = f.find_column(name);
    SPECMILL_DATA_CHECK(c, "COADD column '" + std::string(name) + "' missing in " + quoted(file));
    SPECMILL_DATA_CHECK(c->repeat == 1 && c->typecode > 0 && c->typecode != TSTRING && c->typecode != TBIT,
                        "COADD column '" + std::string(name) + "' in " + quoted(file) +
                            " is not a numeric scalar");
    const int want = column_is_int(column(k)) ? TINT32BIT : TFLOAT;
    raw[k] = c->offset >= 0 && c->typecode == want && c->width == 4 && c->identity_scaling();
    any_raw = any_raw || raw[k];
    cols[k] = c;
  }

  coadd out;
  const size_t n = size_t(nrows);

  if (any_raw) {
    const int64_t stride = f.row_bytes();
    const int64_t bytes = stride * int64_t(n);  // fits in the file: enter_table checked
    const unsigned char* table = nullptr;
    if (const auto image = f.memory_bytes(); !image.empty()) {
      // A file in memory (ingest's one read, a gunzipped file): decoded where its rows lie, the
      // same bytes fits_read_tblbytes would copy out.
      table = image.data() + f.hdu_address().data_start;
    } else {
      // Reused per thread: the table is ~150 KB, above malloc's mmap threshold. One that is
      // unusually large is not kept for the rest of the run.
      thread_local std::vector<unsigned char> scratch;
      if (scratch.capacity() > (size_t(16) << 20)) scratch = {};
      scratch.resize(size_t(bytes));
      int status = 0;
      fits_read_tblbytes(native(f), 1, 1, bytes, scratch.data(), &status);
      f.check(status, "cannot read the COADD table");
      table = scratch.data();
    }
    for (int k = 0; k < n_columns; ++k) {
      if (!raw[k]) continue;
      const unsigned char* first = table + cols[k]->offset;
      if (column_is_int(column(k))) {
        decode_be32(first, stride, n, target<int32_t>(out, column(k)));
      } else {
        decode_be32(first, stride, n, target<float>(out, column(k)));
      }
    }
  }
  for (int k = 0; k < n_columns; ++k) {
    if (raw[k]) continue;
    int status = 0, anynul = 0;
    if (column_is_int(column(k))) {
      int nulval = 0;
      auto& v = target<int32_t>(out, column(k));
      v.resize(n);
      fits_read_col(native(f), TINT, cols[k]->index, 1, 1, nrows, &nulval, v.data(), &anynul, &status);
    } else {
      float nulval = 0;
      auto& v = target<float>(out, column(k));
      v.resize(n);
      fits_read_col(native(f), TFLOAT, cols[k]->index, 1, 1, nrows, &nulval, v.data(), &anynul, &status);
    }
    f.check(status, "cannot read COADD column " + std::string(column_names[size_t(k)]));
  }
  return out;
}

void check_lattice(coadd& c, const fs::path& file) {
  const auto& ll = c.loglam;
  // |loglam| < 100 also keeps the lattice index far inside int32.
  SPECMILL_DATA_CHECK(std::isfinite(ll[0]) && std::fabs(ll[0]) < 100.0f,
                      quoted(file) + ": loglam[0] is not a finite log10 wavelength");
  c.lattice_start = int32_t(std::lround(double(ll[0]) / sdss_native_grid.step));
  bool exact = true;
  for (size_t i = 0; i < ll.size(); ++i) {
    const int32_t index = c.lattice_start + int32_t(i);
    // Every real file is bit-exact; the tolerance test is only needed when it is not.
    if (std::bit_cast<uint32_t>(ll[i]) == std::bit_cast<uint32_t>(lattice_loglam(index))) continue;
    exact = false;
    SPECMILL_DATA_CHECK(std::isfinite(ll[i]), quoted(file) + ": non-finite loglam at pixel " + std::to_string(i));
    SPECMILL_DATA_CHECK(std::fabs(double(ll[i]) * sdss_native_grid.inv_step - double(index)) < 0.05,
                        quoted(file) + ": pixel " + std::to_string(i) + " (loglam " + std::to_string(ll[i]) +
                            ") is not on the 1e-4 dex lattice");
  }
  c.loglam_exact = exact;
}

bool is_nonfinite(float v) { return (std::bit_cast<uint32_t>(v) & 0x7f800000u) == 0x7f800000u; }

// A NaN/Inf that reached a stack would poison every spectrum summed with it; zero the value
// and give the pixel no weight instead. Real files have none, so a branch-free scan that
// vectorises decides first whether the per-pixel repair is needed at all.
int32_t zero_nonfinite(coadd& c) {
  std::vector<float>* const columns[] = {&c.flux, &c.ivar, &c.wdisp, &c.sky, &c.model};
  bool any = false;
  for (const auto* v : columns) {
    uint32_t seen = 0;
    for (float x : *v) seen |= uint32_t(is_nonfinite(x));
    any = any || seen != 0;
  }
  if (!any) return 0;
  int32_t count = 0;
  for (size_t i = 0; i < c.npix(); ++i) {
    bool bad = false;
    for (auto* v : columns) {
      if (is_nonfinite((*v)[i])) {
        (*v)[i] = 0.0f;
        bad = true;
      }
    }
    if (bad) {
      c.ivar[i] = 0.0f;
      ++count;
    }
  }
  return count;
}

void cross_check(const primary_keys& p, const spec_meta& m, const fs::path& file) {
  auto same = [&](const std::optional<long long>& header, int32_t table, const char* key, const char* col) {
    SPECMILL_DATA_CHECK(!header || *header == table,
                        quoted(file) + ": primary header " + key + " = " + std::to_string(*header) +
                            " disagrees with HDU 2 " + col + " = " + std::to_string(table));
  };
  same(p.plate, m.plate, "PLATEID", "PLATE");
  same(p.mjd, m.mjd, "MJD", "MJD");
  same(p.fiberid, m.fiberid, "FIBERID", "FIBERID");
  SPECMILL_DATA_CHECK(!p.run2d || *p.run2d == m.run2d, quoted(file) + ": primary header RUN2D '" +
                                                           p.run2d.value_or("") + "' disagrees with HDU 2 RUN2D '" +
                                                           m.run2d + "'");
}

spec_meta read_meta_cfitsio(fits_file& f, const std::optional<std::string>& run2d_fallback) {
  enter_table(f, 2, "SPECOBJ/SPALL metadata");
  const long rows = f.rows();
  SPECMILL_DATA_CHECK(rows == 1, quoted(f.path()) + ": metadata table (HDU 2) has " + std::to_string(rows) +
                                     " rows, expected 1");
  const spec_meta_table table(f, run2d_fallback);
  return std::move(table.read(f, 0, 1).front());
}

sdss_spectrum read_opened(fits_file& f, const fs::path& file) {
  const primary_keys primary = read_primary(f);

  sdss_spectrum s;
  enter_table(f, 1, "COADD");
  s.data = read_coadd(f);
  check_lattice(s.data, file);
  s.data.nonfinite_pixels = zero_nonfinite(s.data);
  if (s.data.nonfinite_pixels > 0) {
    spdlog::warn("{}: {} pixel(s) with non-finite flux/ivar/wdisp/sky/model set to 0 with ivar 0",
                 file.string(), s.data.nonfinite_pixels);
  }

  // HDU 2 straight from its bytes where it is plain; CFITSIO's parse of its 236 columns was
  // half the cost of a BOSS file. Anything else (and every error) goes the CFITSIO way.
  if (auto meta = read_spec_meta_direct(f, f.hdu_address().data_end, primary.run2d)) {
    s.meta = std::move(*meta);
  } else {
    s.meta = read_meta_cfitsio(f, primary.run2d);
  }
  cross_check(primary, s.meta, file);
  return s;
}

}  // namespace

sdss_spectrum read_sdss_spectrum(const fs::path& file) {
  fits_file f = open_spec_file(file);
  sdss_spectrum s = read_opened(f, file);
  // A FITS file is a whole number of 2880-byte records. Only HDUs 0-2 were read, so a full file
  // cut short in its exposure HDUs would otherwise pass as intact; this catches it cheaply.
  // file_bytes() is the decompressed size for a .gz, so those are checked too.
  const int64_t size = f.file_bytes();
  SPECMILL_DATA_CHECK(size % 2880 == 0, quoted(file) + ": truncated (" + std::to_string(size) +
                                            " bytes is not a whole number of 2880-byte FITS records)");
  return s;
}

sdss_spectrum read_sdss_spectrum(const void* data, size_t size, const fs::path& name) {
  fits_file f = fits_file::open_memory_view({static_cast<const unsigned char*>(data), size}, name);
  return read_opened(f, name);
}

sdss_spectrum read_sdss_spectrum(const fs::path& file, std::span<const unsigned char> bytes) {
  // The path route's own checks first: its truncation check (size % 2880, after it has read
  // HDUs 0-2, in its words) and its sniffing of compressed files.
  if (bytes.empty() || bytes.size() % 2880 != 0 || sniff_compression(bytes).kind != compression::none) {
    return read_sdss_spectrum(file);
  }
  try {
    return read_sdss_spectrum(bytes.data(), bytes.size(), file);
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception&) {
    // The in-memory route words some failures otherwise (check_in_memory's END_OF_FILE where a
    // disk file reaches check_table_geometry): the path route says what it always said.
  }
  return read_sdss_spectrum(file);
}

}  // namespace specmill
