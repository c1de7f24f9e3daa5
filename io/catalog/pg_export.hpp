#pragma once
// Copies a store's SQLite catalog into a PostgreSQL database (`specmill catalog export`): the
// tables the read paths use (store_info, contexts, blocks, specobjall and the view specobj,
// catalogs, every registered value-added table), in one transaction that replaces what an
// earlier export left, with q3c indexes on the positions and the role pg_reader_role
// (io/catalog/pg_guard.hpp) granted SELECT on the searchable tables only. The writer-only
// ingested_files table stays in SQLite.
#include <cstdint>
#include <string>
#include <vector>

#include "io/catalog/catalog_db.hpp"

namespace specmill {

struct pg_export_table {
  std::string name;
  int64_t rows = 0;
};

struct pg_export_summary {
  std::vector<pg_export_table> tables;
  double seconds = 0;
};

pg_export_summary export_to_postgres(catalog_db& source, const std::string& url);

}  // namespace specmill
