#include "engine/pipeline/aligned_reader.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <mutex>

#include "core/error.hpp"
#include "kernels/align.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
aligned_reader::aligned_reader(store& st, std::span<const resolved_id> ids, lattice_window grid, backend b,
                               size_t max_window_bytes)
    : ids_(ids), grid_(grid), backend_(b), rows_(st, ids) {
  SPECMILL_EXPECTS(grid.width >= 0, "aligned_reader: negative width");
  const size_t row_bytes = std::max<size_t>(1, size_t(grid.width) * 4);
  const size_t rows_per_window = std::max<size_t>(1, max_window_bytes / row_bytes);
  for (size_t i = 0; i < ids.size(); i += rows_per_window) windows_.push_back({i, std::min(ids.size(), i + rows_per_window)});
}

aligned_reader::~aligned_reader() = default;

std::vector<stored_item> aligned_reader::plan(const window& w) {
  SPECMILL_EXPECTS(w.first <= w.last && w.last <= ids_.size(), "aligned_reader: window out of range");
  std::vector<stored_item> items;
  items.reserve(w.rows());
  rows_.sorted_items(w.first, w.last, [](size_t) { return true; }, items);
  rows_.open(items);
  return items;
}

void aligned_reader::read(const window& w, column c, void* dst) {
  const std::vector<stored_item> items = plan(w);
  auto* out = static_cast<char*>(dst);
  if (backend_ == backend::cuda)
    read_cuda(items, w, c, out);
  else
    read_cpu(items, w, c, out);
  rows_.close_unused(items);
}

void aligned_reader::for_each_stored(const window& w, std::span<const column> columns,
                                     const std::function<void(size_t, const stored_row&)>& fn) {
  stored_rows::check_columns(columns, "aligned_reader::for_each_stored");
  const std::vector<stored_item> items = plan(w);
  tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 4), [&](const tbb::blocked_range<size_t>& range) {
    stored_row_buffers copies;  // this task's rows of blocks that are not mapped
    for (size_t k = range.begin(); k != range.end(); ++k) fn(items[k].index, rows_.row(items[k], columns, copies));
  });
  rows_.close_unused(items);
}

// Each row: zero the padding, pread the overlap into place. Rows without pixels stay zero.
void aligned_reader::read_cpu(const std::vector<stored_item>& items, const window& w, column c, char* dst) {
  const size_t width = size_t(grid_.width), row_bytes = width * 4;
  std::vector<uint8_t> has(w.rows(), 0);
  for (const stored_item& it : items) has[it.index - w.first] = 1;
  for (size_t r = 0; r < w.rows(); ++r)
    if (!has[r]) std::memset(dst + r * row_bytes, 0, row_bytes);
  const align_span_op op{grid_.start, grid_.width};
  std::mutex hdf5_mutex;  // chunked blocks read through HDF5, which wants one caller per reader
  tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 4), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t k = range.begin(); k != range.end(); ++k) {
      const stored_item& it = items[k];
      const spectrum_location loc = ids_[it.index].location();
      const block_reader& b = rows_.block(it.block_id);
      const align_span s = op(loc.lattice_start, loc.npix);
      char* row = dst + (it.index - w.first) * row_bytes;
      zero_row_padding(s, width, row);  // the kernel's placement: the span is pread into place
      if (s.size() == 0) continue;
      const size_t pix0 = size_t(loc.lattice_start - b.lattice_start() + s.src_begin);
      b.read_row_span(c, size_t(it.row), pix0, size_t(s.size()), row + s.dst_begin * 4, hdf5_mutex);
    }
  });
}

// The device path: each spectrum's overlap is read (as above, in parallel) into pinned ragged
// staging, which goes to the device, is aligned there by align_rows_device and comes back.
void aligned_reader::read_cuda(const std::vector<stored_item>& items, const window& w, column c, char* dst) {
  const align_span_op op{grid_.start, grid_.width};
  std::vector<int64_t> offsets(w.rows() + 1, 0);
  std::vector<int32_t> starts(w.rows(), grid_.start);
  std::vector<align_span> spans(w.rows());
  for (const stored_item& it : items) {
    const spectrum_location loc = ids_[it.index].location();
    spans[it.index - w.first] = op(loc.lattice_start, loc.npix);
  }
  for (size_t r = 0; r < w.rows(); ++r) {
    offsets[r + 1] = offsets[r] + spans[r].size();
    starts[r] = int32_t(grid_.start + spans[r].dst_begin);  // the staged row holds only the overlap
  }
  // Pinned once and grown only when a window needs more: pinning is too slow to repeat per read.
  const size_t staged_bytes = size_t(offsets.back()) * 4 + 4;
  if (staging_.size() < staged_bytes) staging_ = pinned_host_buffer(staged_bytes);
  pinned_host_buffer& staging = staging_;
  std::mutex hdf5_mutex;
  tbb::parallel_for(tbb::blocked_range<size_t>(0, items.size(), 4), [&](const tbb::blocked_range<size_t>& range) {
    for (size_t k = range.begin(); k != range.end(); ++k) {
      const stored_item& it = items[k];
      const size_t r = it.index - w.first;
      if (spans[r].size() == 0) continue;
      const spectrum_location loc = ids_[it.index].location();
      const block_reader& b = rows_.block(it.block_id);
      const size_t pix0 = size_t(loc.lattice_start - b.lattice_start() + spans[r].src_begin);
      char* to = staging.data<char>() + offsets[r] * 4;
      b.read_row_span(c, size_t(it.row), pix0, size_t(spans[r].size()), to, hdf5_mutex);
    }
  });
  align_rows(backend::cuda, ragged_rows{w.rows(), offsets.data(), starts.data()}, staging.data(), grid_.start,
             size_t(grid_.width), dst);
}

}  // namespace specmill
