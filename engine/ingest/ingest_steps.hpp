#pragma once
// The two separable steps of an SDSS spec-file ingest (engine/ingest/ingest.cpp), shared by the
// one-process pipeline and `specmill batch ingest` (engine/batch/batch_ingest.cpp):
//   decode: read_item, on any thread of any rank: digest the file, read and check its spectrum;
//   write:  block_packer, on one thread of one process: take the decoded items in input order,
//           deduplicate, pack blocks, write each block and commit its catalog rows.
// Whatever runs the decode step, the store depends only on the order the packer takes items in.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "core/spectrum.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/store/store.hpp"
#include "io/catalog/catalog_db.hpp"

namespace specmill::ingest_steps {

// The grid of what ingest reads: SDSS coadd FITS files (io/fits/sdss_spec_reader) are on the
// SDSS lattice. A reader for another survey brings its own grid with it.
inline constexpr native_grid ingest_grid = sdss_native_grid;

struct file_stamp {
  std::string path;  // absolute, normalised: the key for "already ingested"
  int64_t size = 0;
  int64_t mtime = 0;
};

struct work_item {
  std::filesystem::path path;
  file_stamp stamp;
  // The file's record when it was ingested before under another size or mtime: it is then
  // either touched (same digest: nothing to read) or changed (its spectrum is replaced).
  std::optional<ingested_file> record;
  std::optional<sdss_spectrum> spectrum;
  std::string error;
  uint64_t digest = 0;
  bool touched = false;
};

// The decode step on one file: its digest, then (unless only touched) its spectrum. A file that
// cannot be read leaves its reason in item.error; nothing throws.
void read_item(work_item& item);

// The file's key (absolute, normalised path), size and mtime; size -1 when it cannot be stat'ed.
file_stamp stamp_of(const std::filesystem::path& p);

// Before the first file: removes an interrupted run's orphans, checks the store's grid, makes the
// context and loads --catalog.
void prepare_store(store& st, const ingest_options& opts, ingest_summary& sum);

// The write step: the serial, in-order end of the ingest. Owns no thread of the caller's; writes
// each block on its own writer thread while the next is packed.
class block_packer {
 public:
  block_packer(store& st, const ingest_options& opts, ingest_summary& sum);
  ~block_packer();
  block_packer(const block_packer&) = delete;
  block_packer& operator=(const block_packer&) = delete;
  // The next item in input order (its spectrum may be moved from).
  void take(work_item& item);
  // After the last item: deferred repaired copies, the last block, pending links and marks.
  void finish();
  // After finish(): fills the summary's duplicates with the copies kept.
  void report_duplicates();

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace specmill::ingest_steps
