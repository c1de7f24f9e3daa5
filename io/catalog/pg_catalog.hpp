#pragma once
// A store's catalog in PostgreSQL (`specmill catalog export`, then `specmill store set-catalog`):
// the same tables as the SQLite catalog (store_info, contexts, blocks, specobjall and the view
// specobj, catalogs and the registered value-added tables) with q3c indexes on the positions.
// Read-only: ingest writes the SQLite catalog; an export copies it here (docs/postgres.md).
#include <memory>
#include <string>

#include "io/catalog/catalog_reader.hpp"
#include "io/catalog/pg.hpp"

namespace specmill {

// The RA that q3c indexes and searches: `ra` reduced to [0, 360). q3c places RA 360 (which
// specmill's regions treat as RA 0) outside every region; the export's q3c indexes and the
// queries' q3c calls use this same expression, so the index still serves them.
std::string pg_q3c_ra(const std::string& ra);
// Bump when the exported indexes change (tests keep exported databases by this number).
inline constexpr int pg_export_revision = 2;

class pg_catalog final : public catalog_reader {
 public:
  // Connects; throws pg_error when it cannot, data_error when the database holds no exported
  // catalog (no store_info format_version).
  explicit pg_catalog(const std::string& url);

  std::string backend() const override { return "postgresql"; }
  int version() const override { return version_; }
  bool has_healpix_index() const override { return true; }  // q3c, from the export

  bool has_context(std::string_view name) override;
  std::vector<context_info> contexts() override;
  std::optional<spectrum_location> find_pixels(uint64_t specobjid) override;
  std::optional<catalog_entry> lookup(std::string_view context, uint64_t specobjid) override;
  std::optional<catalog_entry> lookup(std::string_view context, int32_t plate, int32_t mjd, int32_t fiberid) override;
  std::vector<block_record> blocks() override;
  void for_each_located(std::string_view context, const std::function<void(const catalog_entry&)>& fn) override;
  std::vector<catalog_table_info> catalog_tables() override;
  std::unique_ptr<catalog_locator> locator(std::string context) override;

  pg_connection& connection() { return conn_; }

 private:
  pg_connection conn_;
  int version_ = 0;
};

}  // namespace specmill
