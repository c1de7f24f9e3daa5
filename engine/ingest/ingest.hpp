#pragma once
// Ingest: SDSS spec files -> HDF5 blocks + catalog rows. A TBB pipeline reads files in
// parallel (CFITSIO), packs blocks in input order, writes each block atomically and then
// commits its catalog rows in one transaction. Idempotent and resumable: files and spectra
// already in the context are skipped; a spectrum stored for another context is linked, not
// stored twice.
// Staleness: a file recorded with the same size and mtime is skipped unread; one whose size or
// mtime differs is digested (file_digest's value, taken from the one read of its bytes that also
// gives its spectrum): the same bytes only update the record ("touched"),
// other bytes holding the same SPECOBJID are re-read and replace the stored spectrum. The new
// pixels go into a new block and the row moves to them in that block's commit, so a kill at
// any moment leaves the old spectrum or the new one, never neither. (The old pixels stay in
// their block, unreferenced from this context.) check_stale reports without changing anything.
// The decode and write steps are engine/ingest/ingest_steps.hpp, shared with `specmill batch
// ingest` (engine/batch/batch_ingest.hpp), which runs the decode step on every MPI rank.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "io/store/block_file.hpp"
#include "core/default_context.hpp"

namespace specmill {

struct ingest_options {
  std::filesystem::path store;
  std::string context{default_context};
  std::string context_description;
  std::optional<std::filesystem::path> catalog;  // specObj/spAll FITS whose rows override HDU 2
  std::vector<std::string> inputs;               // files, directories, @listfiles
  unsigned jobs = 0;                             // reader threads; 0 = all cores
  size_t block_spectra = default_block_spectra;
  block_layout layout;
  bool progress = true;
  // DESI coadds only (invalid_argument for SDSS input): store each target's b, r and z camera
  // spectra as in the file, and/or its resolution diagonals (brz merged; each camera's too with
  // with_cameras), in the block's optional group `extra` (docs/store-format.md). Blocks then
  // hold fewer spectra (desi_extras_block_spectra).
  bool with_cameras = false;
  bool with_resolution = false;
  size_t max_reported_failures = 1000;           // failures kept in the summary (all are logged)
};

struct ingest_failure {
  std::string file;
  std::string reason;
};

// A file skipped because another file of the run (or the store) holds the same SPECOBJID.
struct ingest_duplicate {
  std::string file;     // the copy skipped
  std::string kept;     // the copy stored (empty when no ingested file is on record for it)
  uint64_t specobjid = 0;
};

struct ingest_summary {
  size_t files = 0;           // inputs seen
  size_t ingested = 0;        // spectra stored (new pixels)
  size_t linked = 0;          // spectra already stored for another context, added to this one
  size_t skipped = 0;         // files already ingested, or spectra already in this context
  size_t replaced = 0;        // files changed since they were stored: their spectra replaced
  size_t touched = 0;         // of the skipped: new mtime or size record, same bytes (digest)
  size_t failed = 0;          // unreadable / corrupt / not SDSS
  size_t blocks = 0;          // block files written
  size_t catalog_rows = 0;    // rows read from --catalog
  size_t orphans_removed = 0; // leftovers of an interrupted run that were cleaned up
  double seconds = 0;
  std::vector<ingest_failure> failures;
  // Skipped copies of a spectrum stored from another file (also counted in `skipped`; at most
  // max_reported_failures kept, all logged). When one spectrum comes in several files, a copy
  // that read cleanly wins over one whose non-finite pixels had to be zeroed, whatever the input
  // order; otherwise the first in input order wins. A file that fails to read never wins.
  std::vector<ingest_duplicate> duplicates;
};

ingest_summary ingest(const ingest_options& opts);

}  // namespace specmill
