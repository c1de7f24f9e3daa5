#pragma once
// Reads the scalar columns of a FITS binary table as SQL values, for loading value-added
// catalogs into the catalog database (engine/query/catalog_add.hpp). Array, bit, complex and
// variable-length columns are skipped and listed with the reason; docs/store-format.md has the
// type mapping.
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "io/catalog/catalog_tables.hpp"
#include "io/catalog/sqlite.hpp"

namespace specmill {

class fits_file;

struct fits_scalar_column {
  std::string fits_name;  // TTYPEn as written
  int index = 0;          // CFITSIO column number
  sql_type type = sql_type::real;
  enum class read_as { int64, uint64, real, text, logical } how = read_as::real;
};

struct skipped_column {
  std::string fits_name;
  std::string reason;
};

class fits_scalar_table {
 public:
  // Opens the first binary-table HDU with columns. Throws fits_error (unreadable file) or
  // data_error (no binary table), naming the file.
  explicit fits_scalar_table(const std::filesystem::path& file);
  ~fits_scalar_table();
  fits_scalar_table(const fits_scalar_table&) = delete;
  fits_scalar_table& operator=(const fits_scalar_table&) = delete;

  size_t rows() const { return rows_; }
  const std::vector<fits_scalar_column>& columns() const { return columns_; }
  const std::vector<skipped_column>& skipped() const { return skipped_; }
  // Column c (index into columns()), rows [first, first + count), 0-based. Undefined values
  // (TNULLn integers and logicals, NaN floats) are NULL; strings lose trailing blanks.
  std::vector<sql_value> read(size_t c, size_t first, size_t count);

 private:
  std::unique_ptr<fits_file> file_;
  size_t rows_ = 0;
  std::vector<fits_scalar_column> columns_;
  std::vector<skipped_column> skipped_;
};

}  // namespace specmill
