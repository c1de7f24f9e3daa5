#pragma once
// What the read paths (query, get, stack, photometry, image, serve) ask of a store's catalog,
// whatever holds it: the embedded SQLite file (catalog_db, the default) or a PostgreSQL database
// (pg_catalog, `specmill store set-catalog`). Both answer the same questions with the same rows
// in the same order; writes (ingest, catalog add) go to the SQLite catalog only and reach
// PostgreSQL through `specmill catalog export` (docs/postgres.md).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/spectrum.hpp"

namespace specmill {

struct spectrum_location {
  int64_t block_id = 0;
  int32_t row = 0;
  int32_t lattice_start = 0;  // lattice index of the spectrum's first pixel
  int32_t npix = 0;
};

struct catalog_entry {
  std::string context;
  spec_meta meta;
  std::optional<spectrum_location> location;  // empty: catalog row without pixel data
};

struct block_record {
  int64_t block_id = 0;
  std::string path;          // relative to the store root
  int64_t n_spectra = 0;
  int32_t lattice_start = 0;
  int64_t n_pixels = 0;
  int64_t bytes = 0;
};

struct context_info {
  std::string name;
  std::string description;
  int64_t spectra = 0;       // rows in specobjall
  int64_t with_pixels = 0;   // rows whose pixels are stored
};

// A registered value-added catalog (`specmill catalog add`, io/catalog/catalog_tables.hpp).
struct catalog_table_info {
  std::string name;        // the table
  std::string source;      // the file it was loaded from
  int64_t rows = 0;
  std::string id_column;   // a SPECOBJID-like INTEGER column (same 64 bits as uint64)
  std::string ra_column;   // degrees
  std::string dec_column;  // degrees
  std::string created;     // UTC, SQLite datetime() text
};

// Fast ID resolution for the bulk paths (getSpec, photometry, stacking): the catalog row of an
// ID reduced to what those paths use (SPECOBJID, plate, mjd, fiberid, z, specprimary and the
// pixel location), from prepared statements, without the row's strings. Entries come back with
// an empty `context` and the other meta fields at their defaults. One per thread.
class catalog_locator {
 public:
  virtual ~catalog_locator() = default;
  virtual std::optional<catalog_entry> find(uint64_t specobjid) = 0;
  // The primary (then stored, then newest) spectrum of a plate-mjd-fiber, as catalog_reader::lookup.
  virtual std::optional<catalog_entry> find(int32_t plate, int32_t mjd, int32_t fiberid) = 0;
  // The SPECOBJIDs of the stored spectra of a plate (all its MJDs when mjd is empty) with
  // fiberid in [fiber_lo, fiber_hi], by mjd then fiberid then SPECOBJID: the service's partial
  // tuples (plate,), (plate, mjd), (plate, mjd, 'lo-hi').
  virtual std::vector<uint64_t> expand(int32_t plate, std::optional<int32_t> mjd, int32_t fiber_lo,
                                       int32_t fiber_hi) = 0;
};

// Not thread-safe: one per thread (the service keeps one store per worker thread).
class catalog_reader {
 public:
  virtual ~catalog_reader() = default;

  virtual std::string backend() const = 0;  // "sqlite" or "postgresql"
  virtual int version() const = 0;
  virtual bool has_healpix_index() const = 0;

  virtual bool has_context(std::string_view name) = 0;
  virtual std::vector<context_info> contexts() = 0;
  // The stored spectrum with this SPECOBJID in any context.
  virtual std::optional<spectrum_location> find_pixels(uint64_t specobjid) = 0;
  virtual std::optional<catalog_entry> lookup(std::string_view context, uint64_t specobjid) = 0;
  // The primary (then stored, then newest) spectrum of a plate-mjd-fiber in the context.
  virtual std::optional<catalog_entry> lookup(std::string_view context, int32_t plate, int32_t mjd,
                                              int32_t fiberid) = 0;
  virtual std::vector<block_record> blocks() = 0;
  // Every row that has pixels (all contexts when context is empty), in (block_id, row) order.
  virtual void for_each_located(std::string_view context, const std::function<void(const catalog_entry&)>& fn) = 0;
  // The registered value-added catalogs, by name.
  virtual std::vector<catalog_table_info> catalog_tables() = 0;
  virtual std::unique_ptr<catalog_locator> locator(std::string context) = 0;
};

}  // namespace specmill
