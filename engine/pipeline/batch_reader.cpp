#include "engine/pipeline/batch_reader.hpp"

#include <algorithm>
#include <cstring>
#include <map>

#include "core/error.hpp"

namespace specmill {

batch_reader::batch_reader(store& st, std::span<const resolved_id> ids, int64_t max_window_pixels)
    : store_(st), ids_(ids) {
  window w;
  w.offsets.push_back(0);
  for (size_t i = 0; i < ids.size(); ++i) {
    const int64_t n = ids[i].has_pixels() ? ids[i].npix() : 0;
    if (w.last > w.first && w.offsets.back() + n > max_window_pixels) {
      windows_.push_back(std::move(w));
      w = window{};
      w.first = w.last = i;
      w.offsets.assign(1, 0);
    }
    w.offsets.push_back(w.offsets.back() + n);
    w.last = i + 1;
  }
  if (w.last > w.first) windows_.push_back(std::move(w));
}

void batch_reader::read(const window& w, column c, void* dst) {
  constexpr size_t elem = 4;
  // block_id -> items of this window stored in it
  std::map<int64_t, std::vector<size_t>> by_block;
  for (size_t i = w.first; i < w.last; ++i)
    if (ids_[i].has_pixels()) by_block[ids_[i].block_id()].push_back(i);

  auto* out = static_cast<uint8_t*>(dst);
  std::vector<uint32_t> rows;
  for (const auto& [block_id, items] : by_block) {
    const auto held = store_.shared_block(block_id);  // kept while read, whatever other threads open
    const block_reader& block = *held;
    rows.clear();
    int32_t lo = INT32_MAX, hi = INT32_MIN;
    for (size_t i : items) {
      const spectrum_location loc = ids_[i].location();
      SPECMILL_DATA_CHECK(size_t(loc.row) < block.n_spectra(),
                          "catalog row " + std::to_string(loc.row) + " beyond block " + std::to_string(block_id));
      rows.push_back(uint32_t(loc.row));
      lo = std::min(lo, loc.lattice_start);
      hi = std::max(hi, loc.lattice_start + loc.npix);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const size_t pix0 = size_t(lo - block.lattice_start());
    const size_t width = size_t(hi - lo);
    staging_.resize(rows.size() * width * elem);
    block.read_rows(c, rows, pix0, width, staging_.data());
    for (size_t i : items) {
      const spectrum_location loc = ids_[i].location();
      const size_t r = size_t(std::lower_bound(rows.begin(), rows.end(), uint32_t(loc.row)) - rows.begin());
      const uint8_t* src = staging_.data() + (r * width + size_t(loc.lattice_start - lo)) * elem;
      std::memcpy(out + size_t(w.offsets[i - w.first]) * elem, src, size_t(loc.npix) * elem);
    }
  }
}

}  // namespace specmill
