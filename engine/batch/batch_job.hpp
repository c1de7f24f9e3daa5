#pragma once
// What every batch command (`specmill batch <command>`, api/cli/cmd_batch.cpp) shares: the ID
// list read once on rank 0 and sent to every rank, the GPU a rank uses, and the test hook that
// makes one rank fail mid-job. docs/scale-out.md describes running them.
#include <memory>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "engine/pipeline/id_list.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// The ID list at `path` (a file, or "-": stdin, which mpirun connects to rank 0 only), read on
// rank 0 and broadcast; every rank gets the same list, in the same order. A read error on rank
// 0 throws there (the job then aborts).
std::vector<spectrum_id> broadcast_id_list(const communicator& comm, const std::string& path);

// resolve_ids (engine/pipeline/id_list.hpp) shared among the ranks: each resolves its block of
// the list against the catalog and every rank receives every entry, so the catalog lookups
// (the one serial part of a batch job otherwise, ~0.25 ms of CPU an ID for plate-mjd-fiber lines) are
// divided too. The result equals resolve_ids's on every rank (the same 32-byte entries, the same
// texts for the entries without pixels).
resolved_list resolve_ids_ranks(const communicator& comm, catalog_reader& cat, const std::string& context,
                                std::vector<spectrum_id> ids);

// One GPU per rank: unless the launcher already chose (CUDA_VISIBLE_DEVICES set, as Slurm does
// with --gpus-per-task), makes GPU (node_rank % GPUs on the node) the only one this rank sees.
// Must run before anything in the process touches CUDA. Returns the ordinal chosen, -1 when
// the rank's devices were left as they are (none found, or the launcher chose).
int bind_rank_device(const communicator& comm);

// The engine's threads (TBB) for one rank: its share of the node's cores, min(the cores this
// rank may run on, the node's cores / the ranks on the node), at least 1, so that N ranks on a
// node do not each start a thread per core. Held for the job; `threads` gets the number.
std::unique_ptr<tbb::global_control> limit_rank_threads(const communicator& comm, int* threads = nullptr);

// Test hook: with SPECMILL_BATCH_TEST_FAIL=<rank>:<throw|kill> in the environment, that rank
// throws an io_error (`throw`) or kills itself with SIGKILL (`kill`) when it reaches `stage`
// (mid-job: after the list is resolved, while the other ranks work or wait on it). Nothing
// otherwise.
void batch_test_hook(const communicator& comm, const char* stage);

}  // namespace specmill
