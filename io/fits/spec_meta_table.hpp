#pragma once
// The one mapping from a specObj/spAll-style table (the HDU 2 row of a spec file, or a
// specObj-*.fits / spAll-*.fits catalog) to spec_meta. Shared by read_sdss_spectrum and
// sdss_catalog_reader so both eras' quirks are handled in one place.
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/fits/fits_file.hpp"
#include "io/fits/spec_meta_columns.hpp"
#include "core/spectrum.hpp"

namespace specmill {

class spec_meta_table {
 public:
  // Resolves the columns of f's current HDU (case-insensitive; meta_columns, and SPECOBJID).
  // Throws data_error naming the file when a required column (PLATE, MJD, FIBERID, Z, CLASS,
  // and RUN2D unless run2d_fallback is given) is missing or has an unusable shape.
  spec_meta_table(fits_file& f, std::optional<std::string> run2d_fallback);

  // Rows [first_row, first_row + count), 0-based, read with CFITSIO type conversion (column
  // types differ between eras). Each row's SPECOBJID must equal pack_specobjid of its
  // PLATE/MJD/FIBERID/RUN2D (data_error otherwise); an absent SPECOBJID column is rebuilt.
  // f must still be positioned on the HDU given to the constructor.
  std::vector<spec_meta> read(fits_file& f, size_t first_row, size_t count) const;

 private:
  struct col {
    int index = 0;  // 0: absent
    int typecode = 0;
    int64_t repeat = 0;
    double scale = 1.0, zero = 0.0;
    explicit operator bool() const { return index != 0; }
  };
  std::array<col, meta_columns.size()> columns_;  // meta_columns' order
  col specobjid_;
  std::optional<std::string> run2d_fallback_;
};

}  // namespace specmill
