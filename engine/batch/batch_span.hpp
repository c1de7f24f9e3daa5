#pragma once
// `specmill batch span`: listSpan (get_list_span, engine/get/get.hpp) over the ranks. Each rank
// resolves a contiguous block of the list against the catalog (the lookups are the whole cost
// of a span) and takes its block's lowest start, highest end and count of spectra with pixels;
// rank 0 combines them. The span is the union of the found spectra's lattice ranges (the
// original service's align span), so the combination is exact: min of the starts, max of the
// ends, sum of the counts.
#include <vector>

#include "core/error.hpp"
#include "engine/get/get.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// Run by every rank with the same store, context and list (broadcast_id_list). The result is
// complete on rank 0 only: found 0 (and an empty span) when none of the IDs has pixels, where
// get_list_span throws not_found; the caller raises batch_span_none_found's then, once MPI has
// ended (a result, not a failed rank: no MPI_Abort).
// An unknown context throws invalid_argument on every rank, as get_list_span does.
list_span_result run_batch_span(const communicator& comm, const std::filesystem::path& store_root,
                                const std::string& context, std::vector<spectrum_id> ids);

// list_span's error for a list of `requested` IDs none of which has pixels, word for word (the
// batch tests compare it with `specmill span`'s).
not_found batch_span_none_found(size_t requested);

}  // namespace specmill
