#pragma once
// `specmill batch image`: write_stacked_image over the ranks of a batch job. The image's rows
// (one an ID, or bins of consecutive IDs with --max-height) are split among the ranks in whole
// bins: each rank reads only the IDs of its bins, on the whole list's lattice window, and bins
// them exactly as one process would (a bin's sums never mix ranks); rank 0 gathers the rows,
// then sets the limits, encodes and writes the one PNG or .npy, byte for byte what
// `specmill image` writes. Each rank holds the float image at its full size (bounded by
// max_image_pixels), most of it masked.
#include <filesystem>
#include <vector>

#include "engine/render/stacked_image.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill {

// `ids`: the same list on every rank (broadcast_id_list). The summary is complete on rank 0.
stacked_image_summary run_batch_image(const communicator& comm, const stacked_image_options& opts,
                                      std::vector<spectrum_id> ids, const std::filesystem::path& out);

}  // namespace specmill
