#pragma once
// `specmill batch ingest`: an SDSS spec-file ingest whose decode step (opening, checking and
// decoding each FITS file) and write step (packing and writing block files) run on every rank,
// and whose decisions and catalog commits run on rank 0, so that the store holds what a single
// `specmill ingest` of the same inputs stores: the same spectra, IDs, catalog rows and failures,
// in blocks of its own (each rank fills its own).
//
// Rank 0 walks the inputs in the single process's order and sends them out in rounds of at most
// batch_ingest_files_per_rank files a rank (the files a single process would skip unread, as
// already ingested, never leave rank 0). Each rank decodes a contiguous block of the round
// (rank_block) and sends rank 0 what the packer decides on: each file's outcome and spectrum
// metadata, not its pixels. Rank 0's packer (engine/ingest/ingest_steps) takes them in input
// order, deduplicates, and places each accepted spectrum in the open block of the rank that holds
// its pixels (one lane a rank), numbering a block when it is full; it sends every rank those
// placements, each rank packs its blocks and writes them (fsynced, renamed into place) on a
// writer thread during the next round, sends back what it wrote, and rank 0 commits each
// block's catalog rows only then. So a job ended at any
// moment leaves committed blocks and, at worst, block files no row points at, which verify notes
// and the next ingest removes (the single ingest's crash safety).
// Memory: every rank its share of a round (files_per_rank decoded spectra), its open block (up
// to --block-size spectra, as one ingest), the blocks its writer thread is writing and the
// repaired copies it decoded that wait for the end of the run; rank 0 in addition the round's
// metadata and the catalog work.
//
// DESI coadds (many spectra a file, engine/ingest/ingest_desi) are not distributed: with more
// than one rank, invalid_argument; with one, the plain ingest runs.
#include <cstddef>

#include "engine/ingest/ingest.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// Files a rank decodes per round: enough for its threads to stay busy, few enough that a round's
// decoded spectra stay tens of MB a rank.
inline constexpr size_t batch_ingest_files_per_rank = 128;

// Run by every rank with the same options. The summary is complete on rank 0 only.
ingest_summary run_batch_ingest(const communicator& comm, const ingest_options& opts);

}  // namespace specmill
