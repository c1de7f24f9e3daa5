#pragma once
// Which catalog a store's readers use: the embedded SQLite file (the default) or a PostgreSQL
// database that `specmill catalog export` filled. Recorded in STORE/catalog.url (one line, the
// libpq URL; absent: SQLite), so that every command on the store and every `specmill serve`
// replica over it makes the same choice. docs/postgres.md.
#include <filesystem>
#include <optional>
#include <string>

namespace specmill {

// The PostgreSQL URL the store's readers use; empty: its SQLite catalog.
std::optional<std::string> catalog_url(const std::filesystem::path& store_root);
// Records `url` (written whole, then renamed; mode 0600: it may carry a password), or removes
// the record when url is "sqlite". invalid_argument for anything that is neither.
void set_catalog_url(const std::filesystem::path& store_root, const std::string& url);

}  // namespace specmill
