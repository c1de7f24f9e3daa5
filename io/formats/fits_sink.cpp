// fits: binary tables through io/fits's fits_file (io/formats/table_sink.hpp). CFITSIO writes a
// file by name and fixes NAXIS2 and the heap itself, so the sink writes into a staged file
// that finish() renames into place, or copies into a stream: FITS's one spooling path.
#include <algorithm>
#include <cctype>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "io/fits/fits_file.hpp"
#include "io/fits/sdss_spec_writer.hpp"
#include "io/formats/byte_output.hpp"
#include "io/formats/sink_detail.hpp"
#include "io/formats/spec_file_output.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

using column = fits_file::table_column;

std::string upper(std::string s) {
  for (char& ch : s) ch = char(std::toupper(static_cast<unsigned char>(ch)));
  return s;
}

// TFORM type letter of a column element.
char form_letter(npy_dtype t) {
  switch (t) {
    case npy_dtype::f4: return 'E';
    case npy_dtype::f8: return 'D';
    case npy_dtype::i2: return 'I';
    case npy_dtype::i4: return 'J';
    case npy_dtype::i8: return 'K';
    case npy_dtype::u1: return 'B';
    case npy_dtype::b1: return 'L';
    case npy_dtype::u8: break;  // FITS has no unsigned 64-bit column but by TZERO (declare_unsigned64)
  }
  throw invalid_argument("a FITS table column cannot hold this element type");
}

template <class T>
std::span<const T> elements(const void* p, size_t n) {
  return {static_cast<const T*>(p), n};
}

class fits_sink final : public table_sink {
 public:
  fits_sink(table_schema s, output_target target)
      : table_sink(s.layout, s.rows(), s.columns.size()),
        s_(std::move(s)), staged_(std::move(target)), file_(fits_file::create(staged_.path())) {
    switch (s_.layout) {
      case table_layout::ragged: begin_ragged(); break;
      case table_layout::dense: begin_dense(); break;
      case table_layout::table: begin_table(); break;
    }
    watch_schema(s_);
    // Catalog records wait in a spool for the CATALOG table, written after SPECTRA is complete
    // (a second table written alongside would move with every growth of SPECTRA's heap).
    if (!s_.meta.empty()) meta_spool_ = std::make_unique<spool_file>(staged_.path().parent_path());
    for (const auto& item : s_.metadata) {
      if (item.header_key.empty()) continue;
      std::visit([&](const auto& v) { file_.write_key(item.header_key.c_str(), v, item.comment.c_str()); }, item.value);
    }
  }

  void finish() override {
    check_complete();
    if (s_.layout == table_layout::dense) {
      file_.create_table("GRID", {{"LOGLAM", "1D", ""}, {"WAVELENGTH", "1D", "Angstrom"}}, 0);
      file_.write_column(1, 1, std::span<const double>(s_.loglam));
      file_.write_column(2, 1, std::span<const double>(s_.wavelength));
    }
    if (meta_spool_) write_catalog();
    file_.close();
    staged_.commit();
  }

 private:
  // One row per item with pixels: its keys, then each column as a variable-length array.
  void begin_ragged() {
    SPECMILL_EXPECTS(s_.plate.size() == s_.rows(), "FITS output of spectra needs plate, mjd and fiberid");
    int64_t max_npix = 1, found = 0;
    for (size_t i = 0; i < s_.rows(); ++i) {
      if (!s_.found[i]) continue;
      max_npix = std::max(max_npix, s_.offsets[i + 1] - s_.offsets[i]);
      ++found;
    }
    std::vector<column> cols = {{"SPECOBJID", "1K", ""}, {"PLATE", "1J", ""}, {"MJD", "1J", ""},
                                {"FIBERID", "1J", ""}, {"NPIX", "1J", ""}};
    for (const auto& c : s_.columns)
      cols.push_back({c.name, std::string("1P") + form_letter(c.type) + "(" + std::to_string(max_npix) + ")", ""});
    // Every row exists before the first write: appending rows one at a time moves the whole
    // variable-length heap behind the table on each insert, which made 3,000 spectra take 240 s.
    file_.create_table(s_.extname, cols, found);
    file_.declare_unsigned64(1, "unsigned 64-bit SPECOBJID");
  }

  void append_ragged(const table_window& w) override {
    if (meta_spool_) meta_spool_->append(w.meta.records, w.meta.rows * s_.meta.record_bytes());
    const int64_t base = s_.offsets[w.row0];
    for (size_t i = w.row0; i < w.row0 + w.nrows; ++i) {
      if (!s_.found[i]) continue;
      ++fits_row_;
      const int32_t npix = int32_t(s_.offsets[i + 1] - s_.offsets[i]);
      file_.write_column(1, fits_row_, std::span<const uint64_t>(&s_.specobjid[i], 1));
      file_.write_column(2, fits_row_, std::span<const int32_t>(&s_.plate[i], 1));
      file_.write_column(3, fits_row_, std::span<const int32_t>(&s_.mjd[i], 1));
      file_.write_column(4, fits_row_, std::span<const int32_t>(&s_.fiberid[i], 1));
      file_.write_column(5, fits_row_, std::span<const int32_t>(&npix, 1));
      const size_t first = size_t(s_.offsets[i] - base);
      for (size_t k = 0; k < s_.columns.size(); ++k)
        write_elements(int(6 + k), fits_row_, s_.columns[k].type, w.columns[k], first, size_t(npix));
    }
  }

  // Table CATALOG: row i is the catalog row of SPECTRA's row i. Column names upper-cased like
  // the other tables', units as TUNITn; the spooled records go in a few MiB at a time.
  void write_catalog() {
    const meta_schema& m = s_.meta;
    std::vector<column> cols;
    for (const auto& c : m.columns) {
      std::string form;
      switch (c.type) {
        case meta_type::i4: form = "1J"; break;
        case meta_type::i8:
        case meta_type::u8: form = "1K"; break;
        case meta_type::f8: form = "1D"; break;
        case meta_type::text: form = std::to_string(c.width) + "A"; break;
      }
      cols.push_back({upper(c.name), form, c.unit});
    }
    const size_t rec = m.record_bytes();
    file_.create_table("CATALOG", cols, int64_t(meta_spool_->size() / rec));
    for (size_t k = 0; k < m.columns.size(); ++k)
      if (m.columns[k].type == meta_type::u8) file_.declare_unsigned64(int(k + 1), "unsigned 64-bit");
    std::string pending;  // records cut by a chunk boundary wait here for their rest
    int64_t row = 1;
    meta_spool_->replay([&](const char* data, size_t n) {
      pending.append(data, n);
      const size_t whole = pending.size() / rec;
      write_records(pending.data(), whole, row);
      row += int64_t(whole);
      pending.erase(0, whole * rec);
    });
  }

  void write_records(const char* records, size_t n, int64_t row) {
    const meta_schema& m = s_.meta;
    const size_t rec = m.record_bytes();
    for (size_t k = 0; k < m.columns.size(); ++k) {
      const char* p = records + m.offset(k);
      auto gather = [&](auto v) {
        std::vector<decltype(v)> col(n);
        for (size_t r = 0; r < n; ++r) std::memcpy(&col[r], p + r * rec, sizeof v);
        file_.write_column(int(k + 1), row, std::span<const decltype(v)>(col));
      };
      switch (m.columns[k].type) {
        case meta_type::i4: gather(int32_t{}); break;
        case meta_type::i8: gather(int64_t{}); break;
        case meta_type::u8: gather(uint64_t{}); break;
        case meta_type::f8: gather(double{}); break;
        case meta_type::text: {
          std::vector<std::string> col(n);
          for (size_t r = 0; r < n; ++r) col[r].assign(p + r * rec, strnlen(p + r * rec, m.columns[k].width));
          file_.write_column(int(k + 1), row, std::span<const std::string>(col));
          break;
        }
      }
    }
  }

  // One row per item: SPECOBJID, FOUND and a fixed-length vector per column.
  void begin_dense() {
    std::vector<column> cols = {{"SPECOBJID", "1K", ""}, {"FOUND", "1L", ""}};
    for (const auto& c : s_.columns) cols.push_back({upper(c.name), std::to_string(s_.width) + form_letter(c.type), ""});
    file_.create_table(s_.extname, cols, 0);
    file_.declare_unsigned64(1, "unsigned 64-bit SPECOBJID");
  }

  void append_dense(const table_window& w) override {
    if (w.nrows == 0) return;
    const int64_t first = int64_t(w.row0) + 1;
    file_.write_column(1, first, std::span<const uint64_t>(s_.specobjid).subspan(w.row0, w.nrows));
    std::vector<uint8_t> found(w.nrows);
    for (size_t r = 0; r < w.nrows; ++r) found[r] = s_.found[w.row0 + r] ? 1 : 0;
    file_.write_logical_column(2, first, found);
    // A fixed-length vector column is contiguous across rows: one call writes the whole window.
    for (size_t k = 0; k < s_.columns.size(); ++k)
      write_elements(int(3 + k), first, s_.columns[k].type, w.columns[k], 0, w.nrows * size_t(s_.width));
  }

  // A plain table: one FITS row per row, upper-case names.
  void begin_table() {
    std::vector<column> cols;
    for (const auto& c : s_.columns) {
      cols.push_back({upper(c.name), c.type == npy_dtype::u8 ? std::string("1K") : std::string("1") + form_letter(c.type), c.unit});
    }
    file_.create_table(s_.extname, cols, 0);
    for (size_t k = 0; k < s_.columns.size(); ++k)
      if (s_.columns[k].type == npy_dtype::u8) file_.declare_unsigned64(int(k + 1), "unsigned 64-bit");
  }

  void append_table(const table_window& w) override {
    for (size_t k = 0; k < s_.columns.size(); ++k)
      write_elements(int(1 + k), int64_t(w.row0) + 1, s_.columns[k].type, w.columns[k], 0, w.nrows);
  }

  // n elements of a column's window buffer from element `first`, into FITS row `row` on.
  void write_elements(int colnum, int64_t row, npy_dtype t, const void* data, size_t first, size_t n) {
    const char* p = static_cast<const char*>(data) + first * npy_itemsize(t);
    switch (t) {
      case npy_dtype::f4: return file_.write_column(colnum, row, elements<float>(p, n));
      case npy_dtype::f8: return file_.write_column(colnum, row, elements<double>(p, n));
      case npy_dtype::i4: return file_.write_column(colnum, row, elements<int32_t>(p, n));
      case npy_dtype::u8: return file_.write_column(colnum, row, elements<uint64_t>(p, n));
      case npy_dtype::b1: return file_.write_logical_column(colnum, row, elements<uint8_t>(p, n));
      default: throw invalid_argument("FITS output: no writer for this column type");
    }
  }

  table_schema s_;
  staged_file staged_;
  fits_file file_;
  int64_t fits_row_ = 0;  // ragged: the last row written (rows without pixels have none)
  std::unique_ptr<spool_file> meta_spool_;  // the catalog records, until finish()
};

}  // namespace

std::unique_ptr<table_sink> begin_fits(table_schema schema, output_target target) {
  return std::make_unique<fits_sink>(std::move(schema), std::move(target));
}

void write_spec_file(const sdss_spectrum& s, output_target target) {
  byte_output out(std::move(target));
  write_sdss_spec_lite(s, [&](const char* data, size_t n) { out.write(data, n); });
  out.close();
}

}  // namespace specmill
