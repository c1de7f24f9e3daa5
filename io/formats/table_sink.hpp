#pragma once
// One sink per output format (npz, npy, csv, fits, hdf5), behind one small interface: the
// engine describes its result once (table_schema), hands it over a window of rows at a time
// (append), then finish()es. The engine names no format and no C library; each sink owns its
// format's layout, its library, and the one place where a format that cannot stream spools.
//
// Layouts (what `get` and `stack` produce; docs/cli.md and docs/stack.md describe the files):
//   ragged  one row per list item, each with its own number of pixels (CSR `offsets`); every
//           column one 4-byte value per pixel (float32 or int32)
//   dense   one row per list item, `width` pixels each on one wavelength grid
//   table   `n_rows` rows of scalar columns of any npy_dtype (the stack: one row per pixel)
//
// Formats:
//   npz   ragged: each column 1-D over all pixels, then offsets (int64), specobjid (uint64),
//         found (bool). dense: each column 2-D [rows, width], then loglam and wavelength
//         (float64 per pixel), specobjid, found. table: each column, then `metadata` (the
//         items as JSON text in uint8).
//   npy   ragged: one structured array over all pixels (a field per column). dense: one column
//         alone as [rows, width] ((width,) with one_dimensional and one row), several as a
//         structured [rows, width].
//   csv   ragged: specobjid,pixel,<columns> per pixel. dense: specobjid,pixel,wavelength,
//         <columns>. table: "# key: value" lines for the metadata, then <columns>. Numbers in
//         their shortest round-trip text (bit-exact).
//   fits  ragged: binary table SPECTRA, one row per found item: SPECOBJID, PLATE, MJD, FIBERID,
//         NPIX, each column variable-length (1PE/1PJ). dense: SPECTRA with SPECOBJID, FOUND and
//         a fixed-length vector per column (names upper-cased), then table GRID (LOGLAM,
//         WAVELENGTH). table: one binary table `extname`. Metadata items with a header_key
//         become keywords of the first table.
//   hdf5  the npz arrays as datasets (1-D or 2-D), metadata items as root attributes.
// Catalog rows (ragged only, schema.meta not empty; io/formats/meta_table.hpp): one record per
// found row, in row order, arriving with each window (table_window::meta):
//   npz   member `meta`, a structured array (a field per column, text as |S<width>), and
//         `meta_units`, {"column": "unit"} as JSON text in uint8
//   hdf5  group `meta`, a 1-D dataset per column, each with a string attribute `units`
//   fits  binary table CATALOG after SPECTRA, row for row (TUNITn where a column has a unit)
//   csv   the columns after the pixel columns on every line of the spectrum (specobjid, first
//         on the line already, not repeated)
//   npy   none (invalid_argument)
// Row arrays (schema.row_arrays, npz only; other formats refuse them): per row a fixed-shape
// array, member `name` of shape [rows, shape...] after the columns (get --with-resolution: the
// resolution diagonals [rows, 11, pixels]).
// FITS and HDF5 are written by their libraries into a staged file (io/formats/byte_output.hpp)
// that becomes the output, or is copied into a stream, at finish(); npz to a stream takes column
// passes where it can (column_passes below) and otherwise spools members whose turn has not
// come. A sink destroyed before finish() leaves no file.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "io/formats/byte_output.hpp"
#include "io/formats/meta_table.hpp"
#include "io/formats/npy.hpp"

namespace specmill {

enum class output_format { npz, npy, fits, csv, hdf5 };
std::string_view to_string(output_format f);

enum class table_layout { ragged, dense, table };

struct column_spec {
  std::string name;                  // as the files name it ("flux"); FITS upper-cases dense/table names
  npy_dtype type = npy_dtype::f4;    // ragged and dense: f4 or i4
  std::string unit;                  // table: FITS TUNIT ("" for none)
};

// One item of metadata: how the output was made (stack) or what it holds (context, grid).
struct meta_item {
  std::string key;                                   // JSON key, HDF5 attribute, CSV comment
  std::variant<std::string, int64_t, double> value;
  std::string header_key;                            // FITS keyword (<= 8 characters); empty: none
  std::string comment;                               // FITS keyword comment
};

// A per-row array of fixed shape (npz only).
struct row_array_spec {
  std::string name;
  npy_dtype type = npy_dtype::f4;
  std::vector<uint64_t> shape;  // of one row
  uint64_t row_elements() const {
    uint64_t n = 1;
    for (uint64_t d : shape) n *= d;
    return n;
  }
};

struct table_schema {
  table_layout layout = table_layout::ragged;
  std::vector<column_spec> columns;
  std::vector<meta_item> metadata;
  std::string extname = "SPECTRA";  // FITS name of the (first) table

  // ragged and dense: per row (list item)
  std::vector<uint64_t> specobjid;
  std::vector<uint8_t> found;
  // ragged: pixel offsets (rows + 1, offsets[0] = 0) and each row's catalog keys (FITS)
  std::vector<int64_t> offsets;
  std::vector<int32_t> plate, mjd, fiberid;
  // dense: pixels per row and the grid, per pixel
  int64_t width = 0;
  std::vector<double> loglam, wavelength;
  bool one_dimensional = false;  // npy: a single row written with shape (width,)
  // table
  uint64_t n_rows = 0;
  // ragged: the catalog columns carried with each found row; empty: none
  meta_schema meta;
  // ragged and dense, npz only: per-row arrays, each [rows, shape...]
  std::vector<row_array_spec> row_arrays;

  uint64_t rows() const { return layout == table_layout::table ? n_rows : specobjid.size(); }
  // Rows with found set in [row0, row0 + nrows): the meta records of those rows.
  size_t found_rows(size_t row0, size_t nrows) const;
  // Elements of each column in rows [row0, row0 + nrows).
  uint64_t elements(size_t row0, size_t nrows) const;
};

// Rows [row0, row0 + nrows) of every column: columns[k] points at elements(row0, nrows) values
// of column k's type (ragged: the rows' pixels one after another; dense: row-major).
struct table_window {
  size_t row0 = 0, nrows = 0;
  std::span<const void* const> columns;
  meta_window meta;  // schema.meta not empty: the records of the window's found rows
  std::span<const void* const> row_arrays;  // schema.row_arrays: nrows x row_elements() values each
};

class table_sink {
 public:
  virtual ~table_sink() = default;
  // Windows arrive in row order, each row once, every column in each (invalid_argument
  // otherwise); each goes to the layout's append_* of the format.
  void append(const table_window& w) {
    take(w);
    switch (layout_) {
      case table_layout::ragged: return append_ragged(w);
      case table_layout::dense: return append_dense(w);
      case table_layout::table: return append_table(w);
    }
  }
  // After the last row: completes the output (and moves a staged file into place). Sinks call
  // check_complete() first.
  virtual void finish() = 0;

  // Column passes, the other way to fill a sink: all of column 0 a window at a time in row
  // order, then all of column 1, and so on, each window's `columns` holding that one column
  // (no meta, no row arrays). What an npz to a stream asks for (column_passes() true): there
  // each column follows the one before it on the wire, where windows of every column would
  // make it spool all but the first (the engine reads the list once per column instead: from
  // the page cache, cheaper than writing and reading back the spool). A sink is filled one way
  // or the other; invalid_argument for a column out of order or a sink that cannot.
  virtual bool column_passes() const { return false; }
  void append_column(size_t column, const table_window& w);

 protected:
  table_sink(table_layout layout, uint64_t rows, size_t columns) : layout_(layout), rows_(rows), columns_(columns) {}
  virtual void append_ragged(const table_window& w) = 0;
  virtual void append_dense(const table_window& w) = 0;
  virtual void append_table(const table_window& w) = 0;
  // Rows of one column in a pass (column_passes() sinks override it).
  virtual void append_column_rows(size_t column, const table_window& w);
  // invalid_argument unless every row has been appended.
  void check_complete() const;
  // The sink's own copy of the schema, for take()'s check that each window brings one catalog
  // record per found row (sinks that carry meta call it in their constructor).
  void watch_schema(const table_schema& s) { schema_ = &s; }

 private:
  void take(const table_window& w);  // the row-order and column-count checks
  table_layout layout_;
  uint64_t rows_, next_ = 0;
  size_t columns_;
  enum class fill { unknown, windows, passes } fill_ = fill::unknown;
  size_t pass_ = 0;  // column passes: the column being filled
  const table_schema* schema_ = nullptr;
};

// Checks the schema against the format (invalid_argument), creates the output and returns the
// sink that fills it.
std::unique_ptr<table_sink> begin_table(output_format f, table_schema schema, output_target target);

// The per-format sinks (io/formats/<format>_sink.cpp); begin_table chooses.
std::unique_ptr<table_sink> begin_npz(table_schema schema, output_target target);
std::unique_ptr<table_sink> begin_npy(table_schema schema, output_target target);
std::unique_ptr<table_sink> begin_csv(table_schema schema, output_target target);
std::unique_ptr<table_sink> begin_fits(table_schema schema, output_target target);
std::unique_ptr<table_sink> begin_hdf5(table_schema schema, output_target target);

}  // namespace specmill
