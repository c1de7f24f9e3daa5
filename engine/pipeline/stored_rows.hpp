#pragma once
// A list's stored spectra read from their block files, a list window at a time: the one reader
// behind aligned_reader (its aligned windows and for_each_stored) and the mean stacks' fixed
// summation groups (engine/stack/stack_groups.hpp). It sorts a window's items by (block, row,
// index), opens each block once and checks the rows, hands a row's pixels in place (a pointer
// into the block's read-only mapping) or, where a column is not mapped, copied into the reading
// task's buffers, and past max_open_blocks closes the blocks a window did not use. The callers
// keep their own loops: for_each_stored takes the items in any order, a mean stack sums each of
// its groups in the items' order, so its result does not depend on the threads.
#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/store/store.hpp"

namespace specmill {

// One listed spectrum with pixels: where it is stored, and where it is in the list.
struct stored_item {
  int64_t block_id;
  int32_t row;
  size_t index;  // in the list
};

// A stored spectrum's own npix values of up to 4 columns (float; int32 for the masks).
struct stored_row {
  int32_t lattice_start = 0;
  int64_t npix = 0;
  const void* data[4] = {};
};

// One reading task's copies of the columns it cannot read in place, reused from row to row.
struct stored_row_buffers {
  std::vector<float> floats[4];
  std::vector<int32_t> ints[4];
};

class stored_rows {
 public:
  // Open block readers kept between list windows; past this, those a window did not use close.
  static constexpr size_t max_open_blocks = 64;

  stored_rows(store& st, std::span<const resolved_id> ids) : store_(st), ids_(ids) {}

  // Items [first, last) of the list that have pixels and pass keep(index), sorted by (block,
  // row, index): every block once, its rows in file order, and one fixed order for equal rows.
  template <class Keep>
  void sorted_items(size_t first, size_t last, Keep keep, std::vector<stored_item>& items) const {
    items.clear();
    for (size_t i = first; i < last; ++i)
      if (ids_[i].has_pixels() && keep(i)) items.push_back({ids_[i].block_id(), ids_[i].location().row, i});
    std::sort(items.begin(), items.end(), [](const stored_item& x, const stored_item& y) {
      return x.block_id != y.block_id ? x.block_id < y.block_id : x.row != y.row ? x.row < y.row : x.index < y.index;
    });
  }

  // Opens the blocks of `items` (sorted by block) not open yet; data_error when an item's row
  // lies beyond its block.
  void open(std::span<const stored_item> items);
  // Past max_open_blocks, closes the blocks that `items` (sorted by block) do not use.
  void close_unused(std::span<const stored_item> items);

  // An open block (invalid_argument when it is not).
  const block_reader& block(int64_t block_id) const;
  // The item's own pixels of `columns` (at most 4, no loglam), its block open: in place where
  // the column is mapped, else copied into `copies`. Thread-safe with one `copies` per thread
  // (chunked blocks are read through HDF5 one caller at a time); valid while the block stays
  // open and `copies` is not reused.
  stored_row row(const stored_item& it, std::span<const column> columns, stored_row_buffers& copies) const;
  // invalid_argument unless row() can take `columns`.
  static void check_columns(std::span<const column> columns, const char* who);

 private:
  store& store_;
  std::span<const resolved_id> ids_;
  std::map<int64_t, std::shared_ptr<const block_reader>> blocks_;  // the store's (store::shared_block)
  mutable std::mutex hdf5_;  // chunked blocks read through HDF5, which takes one caller at a time
};

}  // namespace specmill
