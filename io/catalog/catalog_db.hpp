#pragma once
// The store's SQLite catalog (catalog.sqlite): one row per (context, spectrum) in table
// `specobjall` with DR16 column names, the view `specobj` (specprimary = 1), the location of
// each spectrum's pixels (block_id, row), the block list and the files already ingested.
// docs/store-format.md describes the schema.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/spectrum.hpp"
#include "io/catalog/catalog_reader.hpp"
#include "io/catalog/sqlite.hpp"

namespace specmill {

// specobjall's metadata columns in the order catalog_db binds and reads them (after `context`):
// DR16 names, lowercase. The PostgreSQL catalog reads its rows in the same order.
const std::vector<std::string_view>& specobjall_meta_columns();

// The tail of a plate-mjd-fiber lookup (after "SELECT <columns> "): the primary, then located,
// then newest row of ?2-?3-?4 in context ?1. It names its index: with the ORDER BY ... LIMIT 1
// and no statistics, SQLite's planner searched the primary key on context alone instead, a
// scan of every row of the context per ID (2.6 ms an ID in a 10,000-row store; 10,000
// plate-mjd-fiber IDs took 26 s to resolve). The index exists in every store's schema.
inline constexpr const char* pmf_lookup_sql =
    "FROM specobjall INDEXED BY specobjall_pmf WHERE context = ?1 AND plate = ?2 AND mjd = ?3 AND fiberid = ?4 "
    "ORDER BY specprimary DESC, block_id IS NULL, specobjid DESC LIMIT 1";

// What ingested_files holds for one input file: the stamp it had when it was ingested and, since
// the staleness check, a digest of its bytes (empty for files recorded by an older build).
struct ingested_file {
  std::string path;
  int64_t size = 0;
  int64_t mtime = 0;
  uint64_t specobjid = 0;
  std::optional<uint64_t> digest;
};

class catalog_db final : public catalog_reader {
 public:
  // 2: specobjall.healpix + its index, the `catalogs` registry (docs/store-format.md).
  static constexpr int format_version = 2;
  // read_write creates the file and schema when missing and upgrades a format-1 catalog in
  // place (one transaction); read_only requires an existing catalog of format 1 or 2.
  // Creation is atomic: the catalog is built complete, format_version included, under a
  // temporary name (FILE.new-PID) and renamed into place, so a kill at any moment leaves either
  // no catalog or a valid one (and perhaps a FILE.new-* leftover, which is never read).
  catalog_db(const std::filesystem::path& file, sqlite_db::mode m);

  std::string backend() const override { return "sqlite"; }
  int version() const override { return version_; }
  bool has_healpix_index() const override { return version_ >= 2; }

  sqlite_db& db() { return db_; }
  sqlite_transaction transaction() { return sqlite_transaction(db_); }

  // ---- contexts
  void ensure_context(std::string_view name, std::string_view description = {});
  bool has_context(std::string_view name) override;
  std::vector<context_info> contexts() override;

  // ---- writes (wrap several in one transaction())
  void insert_block(const block_record& b);
  // A spectrum with its pixels: inserts the row, or, when the context already has a catalog-only
  // row for this SPECOBJID (from --catalog), keeps that row's metadata and sets the location.
  void put_spectrum(std::string_view context, const spec_meta& meta, const spectrum_location& loc);
  // A catalog row (from a specObj/spAll file): inserted without location, or its metadata
  // updated when the row exists (the location is kept).
  void put_catalog_row(std::string_view context, const spec_meta& meta);
  void mark_file(std::string_view context, std::string_view path, int64_t size, int64_t mtime,
                 uint64_t specobjid, std::optional<uint64_t> digest = std::nullopt);
  // A re-processed file's spectrum: the row takes the file's metadata and the new location
  // (unlike put_spectrum, which never moves a located row). The old pixels stay in their block,
  // unreferenced from this context.
  void replace_spectrum(std::string_view context, const spec_meta& meta, const spectrum_location& loc);

  // ---- reads
  bool file_done(std::string_view context, std::string_view path, int64_t size, int64_t mtime);
  // Whether the context has any ingested file recorded.
  bool has_files(std::string_view context);
  // The record of one ingested file, if any.
  std::optional<ingested_file> file_record(std::string_view context, std::string_view path);
  // Every file recorded for the context, in path order.
  void for_each_file(std::string_view context, const std::function<void(const ingested_file&)>& fn);
  // The ingested files recorded for these SPECOBJIDs in the context (for each, the stored copy
  // and any duplicates skipped in its favour), as (specobjid, path) in path order. One scan of
  // ingested_files, however many IDs: it has no index on specobjid.
  std::vector<std::pair<uint64_t, std::string>> files_of(std::string_view context,
                                                         const std::vector<uint64_t>& specobjids);
  bool has_pixels(std::string_view context, uint64_t specobjid);
  std::optional<spectrum_location> find_pixels(uint64_t specobjid) override;  // in any context
  std::optional<catalog_entry> lookup(std::string_view context, uint64_t specobjid) override;
  // The primary (then newest) spectrum of a plate-mjd-fiber in the context.
  std::optional<catalog_entry> lookup(std::string_view context, int32_t plate, int32_t mjd, int32_t fiberid) override;
  std::vector<block_record> blocks() override;
  int64_t max_block_id();
  std::vector<catalog_table_info> catalog_tables() override;
  std::unique_ptr<catalog_locator> locator(std::string context) override;
  // Every row that has pixels (all contexts when context is empty), in (block_id, row) order.
  void for_each_located(std::string_view context, const std::function<void(const catalog_entry&)>& fn) override;

 private:
  int read_version(const std::filesystem::path& file);
  void create_atomically(const std::filesystem::path& file);
  void register_functions();
  void create_or_upgrade_schema(const std::filesystem::path& file);
  void upgrade_from_1(const std::filesystem::path& file);
  void add_file_digest_column();
  bool has_file_digest_column();
  sqlite_stmt& stmt(int which, std::string_view sql);

  sqlite_db db_;
  int version_ = 0;
  std::optional<bool> has_digest_;  // ingested_files.digest exists (a read-only older catalog may lack it)
  std::vector<sqlite_stmt> stmts_;
};

}  // namespace specmill
