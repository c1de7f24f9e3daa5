#pragma once
// The fixed summation groups of the mean stacks, shared by accumulate_means_direct
// (stack_direct.cpp, one process) and the batch ranks (stack_ranks.cpp): both must cut the
// list into the same windows, sort each window the same way and split it into the same groups,
// or a batch mean stops being bit-identical to the single-process one.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/pipeline/stored_rows.hpp"
#include "kernels/stack.hpp"

namespace specmill::detail {

// Items planned together: sorted by (block, row), so each block's rows are read in file order.
inline constexpr size_t window_items = 4096;
// The sorted items of a window are split into this many fixed groups, each summed in order into
// its own arrays and the groups added in order at the end: the result does not depend on the
// thread count or the scheduling (16 x 24 bytes a pixel: ~2 MB at SDSS widths).
inline constexpr size_t n_groups = 16;
struct group_state {
  std::vector<double> a, b;  // weighted: sum ivar, sum ivar f; mean: sum f, sum 1/ivar
  std::vector<long long> n;
  stored_row_buffers copies;  // one spectrum's pixels where they cannot be read in place
};

// The window [first, last) of the list as items to sum (stored, with a positive scale), in
// (block, row, index) order.
inline void sorted_window_items(const stored_rows& rows, size_t first, size_t last, const double* row_scale,
                                std::vector<stored_item>& items) {
  rows.sorted_items(first, last, [row_scale](size_t i) { return row_scale[i] > 0; }, items);
}

// The stored columns a stack reads: flux and ivar, and and_mask when mask_bits exclude any
// pixel (it is not consulted otherwise).
inline std::span<const column> stack_columns(uint32_t mask_bits) {
  static constexpr column columns[3] = {column::flux, column::ivar, column::and_mask};
  return {columns, size_t(mask_bits ? 3 : 2)};
}

// Adds the items [t0, t1) of a window, in order, to one group's sums: each spectrum's stored
// flux, ivar (and and_mask with mask_bits) in place from its block.
inline void sum_items(const stored_rows& rows, std::span<const stored_item> items, const lattice_window& span,
                      bool weighted, uint32_t mask_bits, const double* row_scale, group_state& g) {
  const std::span<const column> read = stack_columns(mask_bits);
  for (const stored_item& it : items) {
    const stored_row r = rows.row(it, read, g.copies);
    const stack_window w{1,
                         size_t(r.npix),
                         static_cast<const float*>(r.data[0]),
                         static_cast<const float*>(r.data[1]),
                         mask_bits ? static_cast<const int32_t*>(r.data[2]) : nullptr,
                         mask_bits,
                         row_scale + it.index};
    const size_t at = size_t(r.lattice_start - span.start);  // the span holds every listed spectrum
    accumulate_cpu_serial(w, weighted, g.a.data() + at, g.b.data() + at, g.n.data() + at);
  }
}

}  // namespace specmill::detail
