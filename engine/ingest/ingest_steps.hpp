#pragma once
// The separable steps of an SDSS spec-file ingest (engine/ingest/ingest.cpp), shared by the
// one-process pipeline and `specmill batch ingest` (engine/batch/batch_ingest.cpp):
//   decode: read_item, on any thread of any rank: read the file once, digest its bytes, parse
//           and check its spectrum;
//   decide: block_packer, on one thread of one process: take the decoded items in input order,
//           deduplicate, choose each accepted spectrum's block, commit each written block's
//           catalog rows;
//   write:  a block_sink packs the accepted spectra into those blocks and writes them: in this
//           process (local_block_sink, the one-process ingest), or on the rank that decoded
//           them (batch ingest).
// Whatever runs the decode and write steps, which spectra are stored and their catalog rows
// depend only on the order the packer takes items in; the block layout also on the lanes.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/spectrum.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/store/store.hpp"
#include "io/store/block_file.hpp"
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
  // Batch ingest: the lane (the rank that decoded the item and holds its pixels, which writes
  // the blocks of that lane), the item's number in the run's input order (how rank 0 names it
  // to that rank), and why a block cannot hold its spectrum (block_builder's check, run where
  // it was decoded; empty: it can). The one-process ingest leaves them 0 and empty.
  int lane = 0;
  int64_t serial = 0;
  std::string block_error;
};

// A block written and durable, as the catalog records it: the packer's commit takes these.
struct written_block {
  block_record record;
  std::vector<block_row_meta> rows;
};

// The record of the block just written at `path` (reads its attributes and meta table back).
written_block written_block_of(const std::filesystem::path& path, int64_t block_id);

// The write step's seam: where the packer's accepted spectra are packed into blocks and written.
// Each lane has one open block; the packer numbers a block when it closes it.
class block_sink {
 public:
  virtual ~block_sink() = default;
  // The item's spectrum into the open block of item.lane (it may be moved from); throws a
  // specmill::error, taking nothing, when a block cannot hold it.
  virtual void add(work_item& item) = 0;
  // The open block of `lane` is complete: it is written as `block_id`. Returns the blocks now
  // written and durable (of any lane), for the packer to commit.
  virtual std::vector<written_block> close(int lane, int64_t block_id) = 0;
  // Waits for every block closed so far; returns those not returned yet.
  virtual std::vector<written_block> drain() = 0;
};

// The decode step on one file: its digest, then (unless only touched) its spectrum, both from one
// read of its bytes (engine/ingest/whole_file). A file that cannot be read leaves its reason in
// item.error, in the words reading it through the path gives; nothing throws.
void read_item(work_item& item);

// The file's key (absolute, normalised path), size and mtime; size -1 when it cannot be stat'ed.
file_stamp stamp_of(const std::filesystem::path& p);

// Stage 1's look-up of an input's record in the context ("ingested before?"), on its own read
// connection. A context that has no record when the run starts (a first ingest) is not asked
// for each file: a file met twice in one run is a duplicate by its SPECOBJID (block_packer).
class file_records {
 public:
  file_records(catalog_db& probe, std::string context);
  // The context's record of the file; none when it cannot be stat'ed (size -1).
  std::optional<ingested_file> find(const file_stamp& stamp);

 private:
  catalog_db& probe_;
  std::string context_;
  bool any_;
};

// Before the first file: removes an interrupted run's orphans, checks the store's grid, makes the
// context and loads --catalog.
void prepare_store(store& st, const ingest_options& opts, ingest_summary& sum);

// The decide step: the serial, in-order end of the ingest. With the first constructor it packs
// and writes blocks itself (one lane; each block on its own writer thread while the next is
// packed); with the second, `sink` does (it must outlive the packer). Owns no thread of the
// caller's.
class block_packer {
 public:
  block_packer(store& st, const ingest_options& opts, ingest_summary& sum);
  block_packer(store& st, const ingest_options& opts, ingest_summary& sum, block_sink& sink);
  ~block_packer();
  block_packer(const block_packer&) = delete;
  block_packer& operator=(const block_packer&) = delete;
  // The next item in input order (its spectrum may be moved from).
  void take(work_item& item);
  // After the last item: deferred repaired copies, the last blocks, pending links and marks.
  // The same as close_all(), commit(the sink's drain()), commit_rest().
  void finish();
  // finish() in steps, for a sink whose blocks are written elsewhere: close_all() accepts the
  // deferred copies and closes every lane's open block; commit() records blocks the sink wrote
  // (each once, every one the packer closed); commit_rest() the links and file marks left.
  void close_all();
  void commit(const std::vector<written_block>& blocks);
  void commit_rest();
  // After finish(): fills the summary's duplicates with the copies kept.
  void report_duplicates();

 private:
  class impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace specmill::ingest_steps
