#pragma once
// `specmill batch get`: get_spectra's stored form (the ragged layout: npz, npy, fits, csv, hdf5)
// over the ranks of a batch job. The list is cut into chunks of at most `opts.window_bytes` of
// pixels (all columns), dealt to the ranks in turn; each rank reads only its chunks' spectra and
// sends their columns to rank 0, which hands them to the format's sink in list order and writes
// the one output, byte for byte what `specmill get` writes. Rank 0 holds one round of chunks.
// The dense forms (--align, --cutout, --resample) are not distributed yet: invalid_argument.
#include <vector>

#include "engine/get/get.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// `ids`: the same list on every rank (broadcast_id_list). The summary is complete on rank 0.
get_summary run_batch_get(const communicator& comm, const get_options& opts, std::vector<spectrum_id> ids);

}  // namespace specmill
