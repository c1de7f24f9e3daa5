#pragma once
// `specmill batch photometry`: run_photometry over the ranks of a batch job. The list is cut
// into chunks of `chunk_ids` IDs (fewer for a short list: at most its share per rank) dealt to
// the ranks in turn (chunk j to rank j % ranks), so each
// round's chunks, gathered in rank order, are the next stretch of the list: rank 0 writes them
// as they come and holds at most one round of rows, whatever the list's length. The CSV is byte
// for byte what `specmill photometry` writes.
#include <vector>

#include "engine/photometry/photometry.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// `ids`: the same list on every rank (broadcast_id_list). The summary is complete on rank 0.
photometry_summary run_batch_photometry(const communicator& comm, const photometry_options& opts,
                                        std::vector<spectrum_id> ids, size_t chunk_ids = 16384);

}  // namespace specmill
