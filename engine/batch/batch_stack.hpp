#pragma once
// `specmill batch stack`: run_stack over the ranks of a batch job. Every rank opens the store
// (a shared file system), resolves the same list and does its share of compute_stack
// (engine/stack/stack_ranks.hpp: groups of the sums, or blocks of pixels / tiles); rank 0 writes
// the one output, byte for byte what `specmill stack` writes with the same options (CPU).
#include <vector>

#include "engine/stack/stack.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// `ids`: the same list on every rank (broadcast_id_list). The summary is complete on rank 0.
stack_summary run_batch_stack(const communicator& comm, const stack_options& opts, std::vector<spectrum_id> ids);

}  // namespace specmill
