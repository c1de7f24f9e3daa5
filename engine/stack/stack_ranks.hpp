#pragma once
// compute_stack's work shared among the ranks of a batch job (`specmill batch stack`,
// engine/batch): internal to engine/stack*.cpp. Every share is chosen so that the result on
// rank 0 is bit-identical to the one-process stack, whatever the number of ranks:
//   * normalisers: one per list item, computed by the rank whose block of the list holds it
//     (each item's normaliser depends on that item alone) and gathered everywhere;
//   * the mean methods on the lattice (CPU, accumulate_means_direct): whole groups of the 16
//     fixed groups of sums per rank, the group sums added on rank 0 in group order, exactly as
//     one process adds them;
//   * every other path (grids, the rest frame, cuda, the median and the clipped mean): whole
//     pixel ranges per rank (each pixel's value depends on that pixel's column of the list
//     alone: its rows summed, or sorted, in list order), gathered on rank 0 in pixel order.
#include <span>
#include <utility>
#include <vector>

#include "engine/stack/stack.hpp"
#include "engine/stack/stack_frame.hpp"
#include "io/mpi/communicator.hpp"

namespace specmill::detail {

// Blocks of the list, pixels or tiles per rank: rank_block (io/mpi/communicator.hpp).

// normalize_rows on this rank's block of the list; every rank ends with the whole list's scale
// and the total dropped.
void normalize_rows_ranks(const communicator& comm, store& st, std::span<const resolved_id> ids, const stack_frame& f,
                          const wavelength_range* window, const std::string& band, backend b, uint32_t mask_bits,
                          size_t window_bytes, std::vector<double>& scale, size_t* dropped);

// accumulate_means_direct with this rank summing only its groups (the same windows of the list,
// the same groups, the same order, so only the items of its groups are read); `out` (span.width
// elements) is written on rank 0 only.
void accumulate_means_direct_ranks(const communicator& comm, store& st, std::span<const resolved_id> ids,
                                   const lattice_window& span, stack_method m, uint32_t mask_bits,
                                   const double* row_scale, const std::function<void(size_t)>& progress,
                                   const stack_output& out);

// Each rank computed output pixels [k0, k1) of `res` (flux, ivar, error, n, and n_input when
// not empty); rank 0 receives every rank's pixels into place. Ranks' ranges are contiguous and
// in rank order.
void gather_pixels(const communicator& comm, size_t k0, size_t k1, stack_result& res, std::vector<int32_t>& n_input);

}  // namespace specmill::detail
