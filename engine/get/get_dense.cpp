#include "engine/get/get_dense.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <future>

#include "core/error.hpp"
#include "engine/pipeline/aligned_reader.hpp"
#include "engine/get/dense_output.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/resample.hpp"

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
  l.one_dimensional = opts.squeeze_single;
  l.grid = "lattice " + std::to_string(grid.start) + "+" + std::to_string(grid.width) + " (" + describe_lattice(grid.grid) + ")";
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

// Two list windows in flight: the next is read (on another thread) while `consume` handles
// the current one, computing on the chosen backend and writing.
template <class Consume>
void pipeline(aligned_reader& reader, const std::vector<column>& cols, progress_meter& meter, Consume&& consume) {
  const auto& windows = reader.windows();
  size_t max_rows = 0;
  for (const auto& w : windows) max_rows = std::max(max_rows, w.rows());
  const size_t bytes = max_rows * size_t(reader.grid().width) * 4;
  window_buffers slots[2] = {window_buffers(cols.size(), bytes),
                             window_buffers(cols.size(), windows.size() > 1 ? bytes : 0)};
  std::future<void> next;
  if (!windows.empty()) next = std::async(std::launch::async, [&] { read_window(reader, windows[0], cols, slots[0]); });
  size_t done = 0;
  for (size_t k = 0; k < windows.size(); ++k) {
    next.get();
    if (k + 1 < windows.size())
      next = std::async(std::launch::async, [&, k] { read_window(reader, windows[k + 1], cols, slots[(k + 1) % 2]); });
    consume(windows[k], slots[k % 2]);
    done += windows[k].rows();
    meter.update(done);
  }
}

// log10(1+z) per list item for the rest frame: the supplied list or the catalog's z. An
// unusable z (not finite, <= -1) gives NaN, which the kernel turns into a row of zeros.
std::vector<double> rest_frame_shifts(const get_options& opts, const std::vector<resolved_id>& ids) {
  SPECMILL_EXPECTS(opts.redshifts.empty() || opts.redshifts.size() == ids.size(),
                   "the redshift list has " + std::to_string(opts.redshifts.size()) + " values for " +
                       std::to_string(ids.size()) + " IDs (one z a line, in ID order)");
  std::vector<double> shift(ids.size(), std::numeric_limits<double>::quiet_NaN());
  for (size_t i = 0; i < ids.size(); ++i) {
    const double z = !opts.redshifts.empty() ? opts.redshifts[i] : ids[i].entry ? double(ids[i].entry->meta.z) : NAN;
    if (std::isfinite(z) && z > -1) shift[i] = std::log10(1.0 + z);
  }
  return shift;
}

std::vector<column> resampled_columns(const get_options& opts) {
  check_wavelength_grid(*opts.resample);
  std::vector<column> outs;
  for (column c : opts.columns) {
    if (c == column::loglam) continue;  // the grid
    SPECMILL_EXPECTS(c == column::flux || c == column::ivar || c == column::and_mask,
                     "column '" + std::string(column_names[int(c)]) +
                         "' cannot be resampled (resampling gives flux, ivar and and_mask)");
    outs.push_back(c);
  }
  SPECMILL_EXPECTS(!outs.empty(), "no columns left to write: loglam alone is the grid, given with every dense result");
  return outs;
}

lattice_window aligned_grid(const get_options& opts, const std::vector<resolved_id>& ids, const native_grid& native) {
  const lattice_window grid = opts.window ? *opts.window : opts.cutout ? cutout_window(*opts.cutout, native) : list_span(ids, native);
  SPECMILL_EXPECTS(grid.width > 0 && grid.width <= 1'000'000, "the wavelength window holds " +
                                                                 std::to_string(grid.width) + " pixels (1 to 1,000,000)");
  return grid;
}

void write_resampled(const get_options& opts, store& st, const std::vector<resolved_id>& ids, get_summary& sum,
                     progress_meter& meter) {
  const wavelength_grid& grid = *opts.resample;
  const std::vector<column> outs = resampled_columns(opts);
  const int64_t n_out = grid.size();
  sum.width = n_out;

  const std::vector<column> in_cols{column::flux, column::ivar, column::and_mask};
  aligned_reader reader(st, ids, list_span(ids, st.grid()), opts.device, opts.window_bytes);
  std::vector<double> shifts;
  if (opts.rest_frame) shifts = rest_frame_shifts(opts, ids);

  dense_layout l = layout_for(opts, outs, ids, lattice_window{});
  l.width = n_out;
  for (int64_t k = 0; k < n_out; ++k) {
    l.wavelength.push_back(grid.center_angstrom(k));
    l.loglam.push_back(std::log10(grid.center_angstrom(k)));
  }
  l.grid = to_string(grid) + (opts.rest_frame ? " (rest frame)" : " (observed frame)");
  auto sink = make_dense_sink(opts.format, opts.out, std::move(l), opts.sink);

  size_t max_rows = 0;
  for (const auto& w : reader.windows()) max_rows = std::max(max_rows, w.rows());
  window_buffers results(outs.size(), max_rows * size_t(n_out) * 4);
  const size_t width = size_t(reader.grid().width);
  pipeline(reader, in_cols, meter, [&](const aligned_reader::window& w, window_buffers& in) {
    lattice_batch batch;
    batch.n_spectra = w.rows();
    batch.width = width;
    batch.lattice_start = reader.grid().start;
    batch.grid = reader.grid().grid;
    batch.flux = in.cols[0].data<float>();
    batch.ivar = in.cols[1].data<float>();
    batch.and_mask = in.cols[2].data<int32_t>();
    batch.log10_1pz = shifts.empty() ? nullptr : shifts.data() + w.first;
    resampled_batch out;
    for (size_t k = 0; k < outs.size(); ++k) {
      if (outs[k] == column::flux) out.flux = results.cols[k].data<float>();
      if (outs[k] == column::ivar) out.ivar = results.cols[k].data<float>();
      if (outs[k] == column::and_mask) out.and_mask = results.cols[k].data<int32_t>();
    }
    resample(opts.device, batch, grid, opts.mask_bits, out);
    sink->write(w.first, w.rows(), results.ptrs);
  });
  sink->close();
}

}  // namespace

int64_t check_dense(const get_options& opts, const std::vector<resolved_id>& ids, const native_grid& native) {
  if (opts.resample) {
    resampled_columns(opts);
    if (opts.rest_frame) rest_frame_shifts(opts, ids);
    return opts.resample->size();
  }
  dense_columns(opts.columns, opts.format);
  return aligned_grid(opts, ids, native).width;
}

void write_dense(const get_options& opts, store& st, const std::vector<resolved_id>& ids, get_summary& sum,
                 progress_meter& meter) {
  if (opts.resample) {
    write_resampled(opts, st, ids, sum, meter);
    return;
  }
  const std::vector<column> cols = dense_columns(opts.columns, opts.format);
  const lattice_window grid = aligned_grid(opts, ids, st.grid());
  sum.width = grid.width;
  aligned_reader reader(st, ids, grid, opts.device, opts.window_bytes);
  auto sink = make_dense_sink(opts.format, opts.out, layout_for(opts, cols, ids, grid), opts.sink);
  pipeline(reader, cols, meter, [&](const aligned_reader::window& w, window_buffers& slot) {
    sink->write(w.first, w.rows(), slot.ptrs);
  });
  sink->close();
}

}  // namespace specmill
