#pragma once
// getSpec's dense results (aligned, cut out or resampled): every column a 2-D array
// [n_spectra, n_pixels] in request order over one wavelength grid, arriving a window of rows at
// a time with all columns, handed to the format's sink as io/formats/table_sink.hpp's "dense"
// layout (docs/cli.md, "get"):
//   npz   one 2-D array per column, plus loglam and wavelength (1-D float64, the pixel centers),
//         specobjid (uint64) and found (bool)
//   npy   one column: that 2-D array alone (what the original service sent); several: one 2-D
//         structured array with a field per column
//   fits  binary table SPECTRA, one row per spectrum (SPECOBJID, FOUND, a fixed-length vector
//         per column), and a table GRID with LOGLAM and WAVELENGTH per pixel
//   hdf5  the npz arrays as datasets, attributes context and grid
//   csv   one line per (spectrum, pixel): specobjid, pixel, wavelength, then the columns
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/get/get.hpp"

namespace specmill {

struct dense_layout {
  std::vector<std::string> names;  // column names, as in the spec files
  std::vector<bool> is_int;        // int32 (masks) or float32, per column
  size_t n_rows = 0;
  int64_t width = 0;
  std::vector<double> loglam;      // per pixel: log10 of the center in Angstrom
  std::vector<double> wavelength;  // per pixel: center in Angstrom
  std::vector<uint64_t> specobjid; // per row
  std::vector<uint8_t> found;      // per row
  std::string context;
  std::string grid;                // e.g. "lattice 35500+4600", "log:3.55,4.0,1e-4"
  bool one_dimensional = false;    // npy: a single row written with shape (width,)
};

class dense_sink {
 public:
  virtual ~dense_sink() = default;
  // Rows [row0, row0+nrows); cols[k] points at nrows * width 4-byte elements of column k.
  // Windows arrive in order, each once.
  virtual void write(size_t row0, size_t nrows, std::span<const void* const> cols) = 0;
  // Column passes instead (table_sink::column_passes: an npz to a stream): all of column 0 in
  // row order, then column 1, ...; `col` points at nrows * width elements of that column.
  virtual bool column_passes() const = 0;
  virtual void write_column(size_t column, size_t row0, size_t nrows, const void* col) = 0;
  virtual void close() = 0;
};

// To `out` ("-": standard output), or chunk by chunk to `stream` when it is set.
std::unique_ptr<dense_sink> make_dense_sink(get_format f, const std::filesystem::path& out, dense_layout layout,
                                            const std::function<void(const char*, size_t)>& stream = {});

}  // namespace specmill
