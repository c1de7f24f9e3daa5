#pragma once
// `specmill catalog add`: loads a FITS binary table (a value-added catalog) into the store's
// catalog database as a registered table that `query --catalog NAME` searches.
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include "io/catalog/catalog_tables.hpp"
#include "io/fits/fits_scalar_table.hpp"

namespace specmill {

struct catalog_add_options {
  std::filesystem::path store;  // must exist
  std::string name;             // the table name (check_catalog_name)
  std::filesystem::path file;   // FITS binary table (first HDU with columns)
  std::string id_column = "specobjid";  // FITS column names, matched case-insensitively
  std::string ra_column = "ra";
  std::string dec_column = "dec";
  bool replace = false;         // replace a catalog of the same name
};

struct catalog_add_summary {
  catalog_table_info table;
  size_t columns = 0;                  // loaded
  std::vector<skipped_column> skipped;  // not loaded, with why
  size_t invalid_positions = 0;        // rows whose (ra, dec) is not a valid position: no healpix
  double seconds = 0;
};

// Throws invalid_argument (bad name, unknown or unusable id/ra/dec column, name taken),
// not_found (store or file missing), fits_error/data_error (unreadable table, an ID that is not
// an integer). All rows are loaded in one transaction: a failure loads nothing.
catalog_add_summary add_catalog(const catalog_add_options& opts);

std::vector<catalog_table_info> list_catalogs(const std::filesystem::path& store);

}  // namespace specmill
