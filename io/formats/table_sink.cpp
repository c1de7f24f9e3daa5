#include "io/formats/table_sink.hpp"

#include "core/error.hpp"

namespace specmill {

std::string_view to_string(output_format f) {
  switch (f) {
    case output_format::npz: return "npz";
    case output_format::npy: return "npy";
    case output_format::fits: return "fits";
    case output_format::csv: return "csv";
    case output_format::hdf5: return "hdf5";
  }
  return "?";
}

uint64_t table_schema::elements(size_t row0, size_t nrows) const {
  switch (layout) {
    case table_layout::ragged: return uint64_t(offsets[row0 + nrows] - offsets[row0]);
    case table_layout::dense: return uint64_t(nrows) * uint64_t(width);
    case table_layout::table: return nrows;
  }
  return 0;
}

size_t table_schema::found_rows(size_t row0, size_t nrows) const {
  size_t n = 0;
  for (size_t i = row0; i < row0 + nrows; ++i) n += found[i] ? 1 : 0;
  return n;
}

namespace {

void check_schema(const table_schema& s) {
  const size_t rows = s.specobjid.size();
  if (s.layout != table_layout::table) {
    SPECMILL_EXPECTS(s.found.size() == rows, "table_schema: specobjid and found differ in length");
    for (const auto& c : s.columns)
      SPECMILL_EXPECTS(c.type == npy_dtype::f4 || c.type == npy_dtype::i4,
                       "table_schema: per-pixel column '" + c.name + "' is not float32 or int32");
  }
  if (s.layout == table_layout::ragged) {
    SPECMILL_EXPECTS(s.offsets.size() == rows + 1 && s.offsets.front() == 0, "table_schema: offsets need rows + 1 entries from 0");
    for (size_t i = 0; i < rows; ++i)
      SPECMILL_EXPECTS(s.offsets[i + 1] >= s.offsets[i], "table_schema: offsets decrease");
    SPECMILL_EXPECTS((s.plate.empty() && s.mjd.empty() && s.fiberid.empty()) ||
                         (s.plate.size() == rows && s.mjd.size() == rows && s.fiberid.size() == rows),
                     "table_schema: plate, mjd and fiberid need one value a row");
  }
  if (s.layout == table_layout::dense) {
    SPECMILL_EXPECTS(s.width >= 0 && s.loglam.size() == size_t(s.width) && s.wavelength.size() == size_t(s.width),
                     "table_schema: the grid needs loglam and wavelength for each of the width pixels");
  }
  SPECMILL_EXPECTS(s.meta.empty() || s.layout == table_layout::ragged,
                   "table_schema: catalog rows (meta) go with the ragged layout only");
  for (size_t k = 0; k < s.meta.columns.size(); ++k) {
    const auto& c = s.meta.columns[k];
    SPECMILL_EXPECTS(c.type != meta_type::text || c.width > 0, "table_schema: text column '" + c.name + "' of width 0");
    for (size_t j = 0; j < k; ++j)
      SPECMILL_EXPECTS(c.name != s.meta.columns[j].name, "table_schema: meta column '" + c.name + "' twice");
  }
  for (size_t k = 0; k < s.columns.size(); ++k)
    for (size_t j = 0; j < k; ++j)
      SPECMILL_EXPECTS(s.columns[k].name != s.columns[j].name, "table_schema: column '" + s.columns[k].name + "' twice");
}

}  // namespace

std::unique_ptr<table_sink> begin_table(output_format f, table_schema schema, output_target target) {
  check_schema(schema);
  SPECMILL_EXPECTS(schema.row_arrays.empty() || (f == output_format::npz && schema.layout != table_layout::table),
                   "per-spectrum arrays (" + (schema.row_arrays.empty() ? std::string() : schema.row_arrays[0].name) +
                       ") are written to npz only, not " + std::string(to_string(f)) + ": use --format npz");
  switch (f) {
    case output_format::npz: return begin_npz(std::move(schema), std::move(target));
    case output_format::npy:
      SPECMILL_EXPECTS(schema.meta.empty(), "npy output cannot carry catalog rows (--meta): use npz, hdf5, fits or csv");
      return begin_npy(std::move(schema), std::move(target));
    case output_format::csv: return begin_csv(std::move(schema), std::move(target));
    case output_format::fits: return begin_fits(std::move(schema), std::move(target));
    case output_format::hdf5: return begin_hdf5(std::move(schema), std::move(target));
  }
  throw invalid_argument("unknown output format");
}

void table_sink::take(const table_window& w) {
  SPECMILL_EXPECTS(fill_ != fill::passes, "output windows of every column after column passes began");
  fill_ = fill::windows;
  SPECMILL_EXPECTS(w.row0 == next_ && w.nrows <= rows_ - next_,
                   "output window of rows [" + std::to_string(w.row0) + ", " + std::to_string(w.row0 + w.nrows) +
                       ") out of order (next row " + std::to_string(next_) + " of " + std::to_string(rows_) + ")");
  SPECMILL_EXPECTS(w.columns.size() == columns_, "output window with " + std::to_string(w.columns.size()) +
                                                     " columns, the table has " + std::to_string(columns_));
  SPECMILL_EXPECTS(!schema_ || schema_->meta.empty() || w.meta.rows == schema_->found_rows(w.row0, w.nrows),
                   "output window of rows [" + std::to_string(w.row0) + ", " + std::to_string(w.row0 + w.nrows) +
                       ") with " + std::to_string(w.meta.rows) + " catalog rows for its found rows");
  next_ += w.nrows;
}

void table_sink::append_column(size_t column, const table_window& w) {
  SPECMILL_EXPECTS(column_passes(), "this output takes windows of every column, not column passes");
  SPECMILL_EXPECTS(fill_ != fill::windows, "a column pass after output windows of every column");
  fill_ = fill::passes;
  if (column == pass_ + 1 && next_ == rows_) {  // the previous column is complete: the next one starts
    pass_ = column;
    next_ = 0;
  }
  SPECMILL_EXPECTS(column == pass_ && column < columns_,
                   "column pass " + std::to_string(column) + " out of order (column " + std::to_string(pass_) + " of " +
                       std::to_string(columns_) + " at row " + std::to_string(next_) + ")");
  SPECMILL_EXPECTS(w.row0 == next_ && w.nrows <= rows_ - next_,
                   "column " + std::to_string(column) + ": rows [" + std::to_string(w.row0) + ", " +
                       std::to_string(w.row0 + w.nrows) + ") out of order (next row " + std::to_string(next_) + ")");
  SPECMILL_EXPECTS(w.columns.size() == 1 && w.row_arrays.empty() && w.meta.rows == 0,
                   "a column pass window holds its one column alone");
  append_column_rows(column, w);
  next_ += w.nrows;
}

void table_sink::append_column_rows(size_t, const table_window&) {
  throw invalid_argument("this output takes windows of every column, not column passes");
}

void table_sink::check_complete() const {
  SPECMILL_EXPECTS(next_ == rows_ && (fill_ != fill::passes || rows_ == 0 || pass_ + 1 == columns_),
                   "output finished after " + std::to_string(next_) + " of " + std::to_string(rows_) + " rows" +
                       (fill_ == fill::passes ? " of column " + std::to_string(pass_) + " of " + std::to_string(columns_)
                                              : std::string()));
}

}  // namespace specmill
