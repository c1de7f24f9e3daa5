#pragma once
// `specmill batch ingest`: an SDSS spec-file ingest whose decode step (opening, checking and
// decoding each FITS file: the part that divides) runs on every rank, and whose write step runs
// on rank 0 alone, so that the store is the one a single `specmill ingest` of the same inputs
// makes: the same spectra, IDs, blocks and catalog rows.
//
// Rank 0 walks the inputs in the single process's order and sends them out in rounds of at most
// batch_ingest_files_per_rank files a rank (the files a single process would skip unread, as
// already ingested, never leave rank 0). Each rank decodes a contiguous block of the round
// (rank_block) and sends the results back; rank 0 hands them to the packer in input order.
// Memory: one round of decoded spectra and the messages they came in on rank 0 (2 x ranks x
// files_per_rank x ~150-200 kB for SDSS), one share on the others. The store is written by rank
// 0 only, with the single process's crash safety: a job ended mid-way leaves a valid store that
// a plain `specmill ingest` resumes.
//
// DESI coadds (many spectra a file, engine/ingest/ingest_desi) are not distributed: with more
// than one rank, invalid_argument; with one, the plain ingest runs.
#include <cstddef>

#include "engine/ingest/ingest.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// Files a rank decodes per round: enough for its threads to stay busy, few enough that rank 0's
// round stays tens of MB a rank (the spectra and the messages they came in).
inline constexpr size_t batch_ingest_files_per_rank = 128;

// Run by every rank with the same options. The summary is complete on rank 0 only.
ingest_summary run_batch_ingest(const communicator& comm, const ingest_options& opts);

}  // namespace specmill
