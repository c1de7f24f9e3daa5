#pragma once
// Value-added catalogs in the store's catalog database: a FITS table loaded as an ordinary
// SQLite table with a `healpix` column and index, registered in table `catalogs` so that
// `query --catalog NAME` can search it (docs/store-format.md, "Registered catalogs").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/catalog/catalog_reader.hpp"
#include "io/catalog/sqlite.hpp"

namespace specmill {

enum class sql_type { integer, real, text };

struct table_column {
  std::string name;  // a valid identifier (see sql_identifier)
  sql_type type = sql_type::real;
};

// Whether `name` is a plain lowercase identifier: [a-z_][a-z0-9_]*, at most 64 bytes.
bool is_plain_identifier(std::string_view name);
// A FITS column name as a plain identifier: lowercased, other characters replaced by '_', a
// leading digit prefixed with 'c'.
std::string sql_identifier(std::string_view fits_name);
// Throws invalid_argument unless `name` can name a registered catalog: a plain identifier that
// is not one of the store's own tables and does not start with sqlite_ or specmill_.
void check_catalog_name(std::string_view name);

std::vector<catalog_table_info> list_catalog_tables(const sqlite_db& db);
std::optional<catalog_table_info> find_catalog_table(const sqlite_db& db, std::string_view name);

// Creates table info.name (dropping a registered one of that name first when `replace`),
// inserts rows and, in finish(), builds the index and registers the table. Use inside one
// transaction so that a failure leaves no half-loaded catalog.
class catalog_table_writer {
 public:
  catalog_table_writer(sqlite_db& db, catalog_table_info info, std::vector<table_column> columns, bool replace);
  // One row, values in column order. The healpix value is computed from the ra/dec columns;
  // returns false when that position is not valid (the row is stored with healpix NULL).
  bool insert(const std::vector<sql_value>& row);
  void finish();
  int64_t rows() const { return rows_; }

 private:
  sqlite_db& db_;
  catalog_table_info info_;
  std::vector<table_column> columns_;
  size_t ra_ = 0, dec_ = 0;
  sqlite_stmt insert_;
  int64_t rows_ = 0;
};

}  // namespace specmill
