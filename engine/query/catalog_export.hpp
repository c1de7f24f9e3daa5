#pragma once
// `specmill catalog export`: a store's catalog into PostgreSQL (io/catalog/pg_export.hpp), and
// `specmill store set-catalog`: which catalog the store's readers use (docs/postgres.md).
#include <filesystem>
#include <string>

#include "io/catalog/pg_export.hpp"

namespace specmill {

// Reads the store's SQLite catalog (whatever its readers use) and replaces the PostgreSQL copy.
pg_export_summary export_catalog(const std::filesystem::path& store_root, const std::string& url);

// Points the store's readers at `url` ("sqlite": back to the SQLite file). A PostgreSQL URL is
// checked first: it must hold this store's exported catalog (same contexts and row counts).
void set_store_catalog(const std::filesystem::path& store_root, const std::string& url);

}  // namespace specmill
