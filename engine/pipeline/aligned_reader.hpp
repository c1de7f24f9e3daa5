#pragma once
// Reads a list of spectra onto one lattice window (align, cutout), a window of the list at a
// time, in request order: the batch planner behind getSpec's aligned forms.
//
// Per list window the spectra are sorted by (block, row), so every block is visited once and
// its rows in file order, and each spectrum's overlap with the output window is read with one
// pread straight into its output row (blocks with the default contiguous layout; chunked blocks
// go through HDF5 one row at a time). Rows are read in parallel on TBB threads; the padding is
// zeroed. Memory: the caller's output buffer for one list window, plus open block readers.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/pipeline/stored_rows.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "engine/pipeline/window_size.hpp"

namespace specmill {

class aligned_reader {
 public:
  struct window {
    size_t first = 0, last = 0;  // items [first, last) of the list
    size_t rows() const { return last - first; }
  };

  // max_window_bytes bounds one column of one list window (rows * width * 4 bytes).
  aligned_reader(store& st, std::span<const resolved_id> ids, lattice_window grid, backend b,
                 size_t max_window_bytes = default_window_bytes);
  ~aligned_reader();

  const lattice_window& grid() const { return grid_; }
  const std::vector<window>& windows() const { return windows_; }

  // Column c of the window's spectra on the grid: dst is row-major [w.rows()][grid().width] of
  // 4-byte elements (float; int32 for the masks). IDs without pixels give rows of zeros.
  // column::loglam gives each spectrum's own stored loglam where it has pixels (0 elsewhere).
  void read(const window& w, column c, void* dst);

  // A window's stored spectra read in place, for kernels that take one spectrum at a time:
  // fn(index in the list, row) for every item that has pixels, on TBB threads in no fixed
  // order. row.data[k] holds the spectrum's own npix values of columns[k] (float, int32 for the
  // masks): a pointer into its block file's read-only mapping where the column is stored
  // contiguous (no copy at all), else a copy in the calling task (chunked blocks, through HDF5
  // one caller at a time). Valid during the call only. CPU only; at most 4 columns, no loglam.
  using stored_row = specmill::stored_row;  // engine/pipeline/stored_rows.hpp
  void for_each_stored(const window& w, std::span<const column> columns,
                       const std::function<void(size_t, const stored_row&)>& fn);

 private:
  // The window's items with pixels, sorted by (block, row, index), their blocks opened and checked.
  std::vector<stored_item> plan(const window& w);
  void read_cpu(const std::vector<stored_item>& items, const window& w, column c, char* dst);
  void read_cuda(const std::vector<stored_item>& items, const window& w, column c, char* dst);

  std::span<const resolved_id> ids_;
  lattice_window grid_;
  backend backend_;
  std::vector<window> windows_;
  stored_rows rows_;  // the open blocks
  pinned_host_buffer staging_;  // read_cuda's ragged staging, reused between reads
};

}  // namespace specmill
