#pragma once
// A specmill store on disk:
//   STORE/catalog.sqlite        the SQLite catalog (io/catalog/catalog_db.hpp)
//   STORE/catalog.url           optional: readers use this PostgreSQL copy of it instead
//                               (engine/store/catalog_setting.hpp)
//   STORE/blocks/blk-NNNNNNNN.h5 immutable column-major HDF5 blocks (io/store/block_file.hpp)
//   STORE/.lock                 held (flock) by the one writer, ingest
// Blocks are written to a .tmp file and renamed before the catalog commits the rows that point
// at them, so any crash leaves either an orphan block (removed by the next writer) or nothing.
// The catalog itself is created whole under a temporary name and renamed into place
// (catalog_db), so a store killed while being created has no catalog.sqlite (readers: "no
// catalog", not a store yet) or a valid one, never one without its format_version.
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "io/store/block_file.hpp"
#include "io/catalog/catalog_db.hpp"
#include "core/default_context.hpp"

namespace specmill {

class store {
 public:
  enum class access { read, write };
  // read: the store must exist. write: creates it when missing and takes the writer lock
  // (io_error if another writer holds it).
  store(const std::filesystem::path& root, access a);
  store(const store&) = delete;
  store& operator=(const store&) = delete;
  ~store();

  const std::filesystem::path& root() const { return root_; }
  // What readers use: the PostgreSQL catalog when the store names one (read access only), else
  // the SQLite file.
  catalog_reader& catalog();
  // The SQLite catalog itself (writers: ingest, catalog add, upgrade; opened on first use by a
  // reader of a store whose readers use PostgreSQL).
  catalog_db& sqlite_catalog();
  std::filesystem::path block_path(int64_t block_id) const;
  static std::string block_relative_path(int64_t block_id);

  // Writers only: delete *.tmp files and block files that no catalog row references (what a
  // crash between the block's rename and the catalog's commit leaves), and catalog.sqlite.new-*
  // files (a catalog whose creation was killed). Returns files removed.
  size_t remove_orphans();

  // An open reader for a block, from a small LRU cache (HDF5 opens are not free), held for as
  // long as the caller keeps it (the cache may let it go meanwhile). Thread-safe. What the
  // in-place readers (engine/pipeline/stored_rows) hold, so that a store kept open (a server's)
  // keeps its blocks' mappings, and their page tables, from one job to the next instead of
  // mapping every page again per job.
  std::shared_ptr<const block_reader> shared_block(int64_t block_id);

  // The native grid of the store's pixels: that of its blocks (ingest keeps them all on one;
  // read from the first block, once), the SDSS lattice for a store without blocks or whose
  // blocks predate the grid attribute. Operations take it from here, never assume a step.
  const native_grid& grid();

 private:
  std::filesystem::path root_;
  std::unique_ptr<catalog_db> catalog_;
  std::unique_ptr<catalog_reader> remote_;  // the PostgreSQL catalog, when catalog.url names one
  int lock_fd_ = -1;
  std::optional<native_grid> grid_;
  std::mutex cache_mutex_;
  std::list<std::pair<int64_t, std::shared_ptr<const block_reader>>> cache_;
};

}  // namespace specmill
