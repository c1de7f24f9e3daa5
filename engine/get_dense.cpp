#include "engine/get_dense.hpp"

#include <algorithm>
#include <future>

#include "core/error.hpp"
#include "engine/aligned_reader.hpp"
#include "engine/dense_output.hpp"
#include "kernels/device_buffer.hpp"

namespace specmill {
namespace {

// loglam is the grid: npz, hdf5 and fits carry it as 1-D arrays, csv as a wavelength field.
// Only the structured npy keeps a loglam field, rewritten to the common grid in every row, as
// the original service's aligned .npy had it.
std::vector<column> dense_columns(const std::vector<column>& requested, get_format f) {
  std::vector<column> cols;
  for (column c : requested)
    if (c != column::loglam || (f == get_format::npy && requested.size() > 1)) cols.push_back(c);
  SPECMILL_EXPECTS(!cols.empty(), "no columns left to write: loglam alone is the grid, given with every dense result");
  return cols;
}

dense_layout layout_for(const get_options& opts, const std::vector<column>& cols, const std::vector<resolved_id>& ids,
                        const lattice_window& grid) {
  dense_layout l;
  for (column c : cols) {
    l.names.emplace_back(column_names[int(c)]);
    l.is_int.push_back(column_is_int(c));
  }
  l.n_rows = ids.size();
  l.width = grid.width;
  for (int64_t j = 0; j < grid.width; ++j) {
    l.loglam.push_back(grid.loglam(j));
    l.wavelength.push_back(grid.wavelength(j));
  }
  for (const auto& r : ids) {
    l.specobjid.push_back(r.specobjid());
    l.found.push_back(r.has_pixels());
  }
  l.context = opts.context;
  l.grid = "lattice " + std::to_string(grid.start) + "+" + std::to_string(grid.width) + " (loglam = index * 1e-4)";
  return l;
}

// One list window's columns in pinned host memory (the device path's staging), allocated
// once at the largest window's size: pinning is too slow to repeat per window.
struct window_buffers {
  std::vector<pinned_host_buffer> cols;
  std::vector<const void*> ptrs;
  window_buffers(size_t n_cols, size_t bytes) {
    for (size_t k = 0; k < n_cols; ++k) {
      cols.emplace_back(bytes + 4);
      ptrs.push_back(cols.back().data());
    }
  }
};

void read_window(aligned_reader& reader, const aligned_reader::window& w, const std::vector<column>& cols,
                 window_buffers& into) {
  const lattice_window& g = reader.grid();
  for (size_t k = 0; k < cols.size(); ++k) {
    if (cols[k] != column::loglam) {
      reader.read(w, cols[k], into.cols[k].data());
      continue;
    }
    auto* out = into.cols[k].data<float>();
    for (size_t r = 0; r < w.rows(); ++r)
      for (int64_t j = 0; j < g.width; ++j) out[r * size_t(g.width) + size_t(j)] = lattice_loglam(g.start + int32_t(j));
  }
}

}  // namespace

void write_dense(const get_options& opts, store& st, const std::vector<resolved_id>& ids, get_summary& sum,
                 progress_meter& meter) {
  const std::vector<column> cols = dense_columns(opts.columns, opts.format);
  const lattice_window grid = opts.cutout ? cutout_window(*opts.cutout) : list_span(ids);
  sum.width = grid.width;
  aligned_reader reader(st, ids, grid, opts.device, opts.window_bytes);
  auto sink = make_dense_sink(opts.format, opts.out, layout_for(opts, cols, ids, grid));
  // Two windows in flight: the next is read on another thread while this one is written.
  const auto& windows = reader.windows();
  size_t max_rows = 0;
  for (const auto& w : windows) max_rows = std::max(max_rows, w.rows());
  const size_t bytes = max_rows * size_t(grid.width) * 4;
  window_buffers slots[2] = {window_buffers(cols.size(), bytes),
                             window_buffers(cols.size(), windows.size() > 1 ? bytes : 0)};
  std::future<void> next;
  if (!windows.empty()) next = std::async(std::launch::async, [&] { read_window(reader, windows[0], cols, slots[0]); });
  size_t done = 0;
  for (size_t k = 0; k < windows.size(); ++k) {
    next.get();
    if (k + 1 < windows.size())
      next = std::async(std::launch::async, [&, k] { read_window(reader, windows[k + 1], cols, slots[(k + 1) % 2]); });
    sink->write(windows[k].first, windows[k].rows(), slots[k % 2].ptrs);
    done += windows[k].rows();
    meter.update(done);
  }
  sink->close();
}

}  // namespace specmill
