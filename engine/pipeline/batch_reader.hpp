#pragma once
// Reads the pixels of a list of spectra in request order, a window of the list at a time:
// within a window the spectra are grouped by block and each block is read once per column,
// with one hyperslab selection over the rows and the pixel span they need. Memory is bounded
// by the window size, whatever the list's length.
#include <cstdint>
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/store/store.hpp"

namespace specmill {

class batch_reader {
 public:
  struct window {
    size_t first = 0, last = 0;     // items [first, last) of the list
    std::vector<int64_t> offsets;   // last-first+1 pixel offsets, CSR style, from 0
    int64_t pixels() const { return offsets.back(); }
  };

  // max_window_pixels bounds one window's output (4 bytes a pixel a column) and its staging.
  batch_reader(store& st, std::span<const resolved_id> ids, int64_t max_window_pixels = int64_t(1) << 24);

  const std::vector<window>& windows() const { return windows_; }
  // Column c of the window's spectra, concatenated in request order, into dst (w.pixels()
  // elements of 4 bytes: float, or int32 for the masks). Unknown IDs contribute no pixels.
  void read(const window& w, column c, void* dst);

 private:
  store& store_;
  std::span<const resolved_id> ids_;
  std::vector<window> windows_;
  std::vector<uint8_t> staging_;
};

}  // namespace specmill
