#pragma once
// The fixed summation groups of the mean stacks, shared by accumulate_means_direct
// (stack_direct.cpp, one process) and the batch ranks (stack_ranks.cpp): both must cut the
// list into the same windows, sort each window the same way and split it into the same groups,
// or a batch mean stops being bit-identical to the single-process one.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "io/store/block_file.hpp"

namespace specmill::detail {

// Items planned together: sorted by (block, row), so each block's rows are read in file order.
inline constexpr size_t window_items = 4096;
// The sorted items of a window are split into this many fixed groups, each summed in order into
// its own arrays and the groups added in order at the end: the result does not depend on the
// thread count or the scheduling (16 x 24 bytes a pixel: ~2 MB at SDSS widths).
inline constexpr size_t n_groups = 16;
// Open block readers kept between windows; past this, those the window did not use close.
inline constexpr size_t max_open_blocks = 64;

struct stack_item {
  int64_t block_id;
  int32_t row;
  size_t index;  // in the list
};

struct group_state {
  std::vector<double> a, b;  // weighted: sum ivar, sum ivar f; mean: sum f, sum 1/ivar
  std::vector<long long> n;
  std::vector<float> flux, ivar;  // one spectrum's stored pixels
  std::vector<int32_t> mask;
};

// The window [first, last) of the list as items to sum (stored, with a positive scale), in
// (block, row, index) order.
inline void sorted_window_items(std::span<const resolved_id> ids, size_t first, size_t last, const double* row_scale,
                                std::vector<stack_item>& items) {
  items.clear();
  for (size_t i = first; i < last; ++i)
    if (ids[i].has_pixels() && row_scale[i] > 0)
      items.push_back({ids[i].entry->location->block_id, ids[i].entry->location->row, i});
  std::sort(items.begin(), items.end(), [](const stack_item& x, const stack_item& y) {
    return x.block_id != y.block_id ? x.block_id < y.block_id : x.row != y.row ? x.row < y.row : x.index < y.index;
  });
}

}  // namespace specmill::detail
