#pragma once
// Streams a specObj-*.fits / spAll-*.fits catalog (HDU 1 binary table) in row chunks, mapping
// each row to spec_meta exactly as read_sdss_spectrum maps a spec file's HDU 2 row.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <vector>

#include "core/spectrum.hpp"

namespace specmill {

class fits_file;
class spec_meta_table;

class sdss_catalog_reader {
 public:
  // Opens the file and resolves the columns. Throws fits_error (unreadable) or data_error
  // (a required column missing), naming the file.
  explicit sdss_catalog_reader(const std::filesystem::path& file);
  ~sdss_catalog_reader();
  sdss_catalog_reader(sdss_catalog_reader&&) noexcept;
  sdss_catalog_reader& operator=(sdss_catalog_reader&&) noexcept;

  size_t rows() const { return rows_; }
  // Rows [first_row, first_row + count), 0-based; memory is proportional to count, so read a
  // large catalog in chunks. Throws invalid_argument when the range passes the end and
  // data_error when a row's SPECOBJID disagrees with its PLATE/MJD/FIBERID/RUN2D.
  // Not thread-safe (one CFITSIO handle); use one reader per thread.
  std::vector<spec_meta> read(size_t first_row, size_t count);

 private:
  std::unique_ptr<fits_file> file_;
  std::unique_ptr<spec_meta_table> table_;
  size_t rows_ = 0;
};

}  // namespace specmill
