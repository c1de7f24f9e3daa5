#include "engine/get/get_dense.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "engine/pipeline/aligned_reader.hpp"
#include "engine/pipeline/rest_frame.hpp"
#include "engine/pipeline/window_pipeline.hpp"
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

dense_layout layout_for(const get_options& opts, const std::vector<column>& cols, const resolved_list& ids,
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

// The aligned forms' column reader: stored columns through the reader; loglam is the grid's,
// the same in every row (the structured npy's field).
window_pipeline::column_reader aligned_columns(aligned_reader& reader, const std::vector<column>& cols) {
  return [&reader, &cols](const aligned_reader::window& w, size_t k, void* dst) {
    if (cols[k] != column::loglam) {
      reader.read(w, cols[k], dst);
      return;
    }
    const lattice_window& g = reader.grid();
    auto* out = static_cast<float*>(dst);
    for (size_t r = 0; r < w.rows(); ++r)
      for (int64_t j = 0; j < g.width; ++j) out[r * size_t(g.width) + size_t(j)] = lattice_loglam(g.start + int32_t(j));
  };
}

std::vector<const void*> host_columns(staged_window& s) {
  std::vector<const void*> ptrs;
  for (size_t k = 0; k < s.columns(); ++k) ptrs.push_back(s.host(k));
  return ptrs;
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

lattice_window aligned_grid(const get_options& opts, const resolved_list& ids, const native_grid& native) {
  const lattice_window grid = opts.window ? *opts.window : opts.cutout ? cutout_window(*opts.cutout, native) : list_span(ids, native);
  SPECMILL_EXPECTS(grid.width > 0 && grid.width <= 1'000'000, "the wavelength window holds " +
                                                                 std::to_string(grid.width) + " pixels (1 to 1,000,000)");
  return grid;
}

void write_resampled(const get_options& opts, store& st, const resolved_list& ids, get_summary& sum,
                     progress_meter& meter) {
  const wavelength_grid& grid = *opts.resample;
  const std::vector<column> outs = resampled_columns(opts);
  const int64_t n_out = grid.size();
  sum.width = n_out;

  // Read on the CPU straight into place (align moves 4-byte words: bit-identical to the device
  // align); held on the chosen backend, so on cuda each window goes to the device once, is
  // resampled there, and only the resampled columns come back.
  const backend b = opts.device;
  aligned_reader reader(st, ids, list_span(ids, st.grid()), backend::cpu, opts.window_bytes);
  std::vector<double> shifts;
  if (opts.rest_frame) shifts = rest_frame_shifts(opts.redshifts, ids);
  device_buffer device_shifts;
  if (b == backend::cuda && !shifts.empty()) device_shifts = device_buffer::from_host(std::span<const double>(shifts));

  dense_layout l = layout_for(opts, outs, ids, lattice_window{});
  l.width = n_out;
  for (int64_t k = 0; k < n_out; ++k) {
    l.wavelength.push_back(grid.center_angstrom(k));
    l.loglam.push_back(std::log10(grid.center_angstrom(k)));
  }
  l.grid = to_string(grid) + (opts.rest_frame ? " (rest frame)" : " (observed frame)");
  auto sink = make_dense_sink(opts.format, opts.out, std::move(l), opts.sink);

  window_pipeline pipe(reader, {column::flux, column::ivar, column::and_mask}, b);
  staged_window results(b, outs.size(), pipe.max_rows() * size_t(n_out) * 4);  // once per run
  const std::vector<const void*> result_ptrs = host_columns(results);
  const size_t width = size_t(reader.grid().width);
  pipe.run(
      [&](const aligned_reader::window& w, staged_window& in) {
        lattice_batch batch;
        batch.n_spectra = w.rows();
        batch.width = width;
        batch.lattice_start = reader.grid().start;
        batch.grid = reader.grid().grid;
        batch.flux = in.on_backend<float>(0);
        batch.ivar = in.on_backend<float>(1);
        batch.and_mask = in.on_backend<int32_t>(2);
        if (!shifts.empty())
          batch.log10_1pz = (b == backend::cuda ? device_shifts.data<double>() : shifts.data()) + w.first;
        resampled_batch out;
        for (size_t k = 0; k < outs.size(); ++k) {
          if (outs[k] == column::flux) out.flux = results.on_backend<float>(k);
          if (outs[k] == column::ivar) out.ivar = results.on_backend<float>(k);
          if (outs[k] == column::and_mask) out.and_mask = results.on_backend<int32_t>(k);
        }
        if (b == backend::cuda) {
          // The window's stream orders upload, kernel and the copies back.
          resample_range_device(batch, grid, 0, -1, opts.mask_bits, out, in.stream());
          const size_t bytes = w.rows() * size_t(n_out) * 4;
          for (size_t k = 0; k < outs.size(); ++k) results.download(k, bytes, in.stream());  // behind the kernel
          in.synchronize();
        } else {
          resample(backend::cpu, batch, grid, opts.mask_bits, out);
        }
        sink->write(w.first, w.rows(), result_ptrs);
      },
      [&](size_t done) { meter.update(done); });
  sink->close();
}

}  // namespace

int64_t check_dense(const get_options& opts, const resolved_list& ids, const native_grid& native) {
  if (opts.resample) {
    resampled_columns(opts);
    if (opts.rest_frame) rest_frame_shifts(opts.redshifts, ids);
    return opts.resample->size();
  }
  dense_columns(opts.columns, opts.format);
  return aligned_grid(opts, ids, native).width;
}

void write_dense(const get_options& opts, store& st, const resolved_list& ids, get_summary& sum,
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
  // The aligned window is itself the result: held on the host (the reader aligns on the chosen
  // backend), handed to the sink as is.
  if (!sink->column_passes()) {
    window_pipeline pipe(reader, cols, backend::cpu, aligned_columns(reader, cols));
    pipe.run([&](const aligned_reader::window& w, staged_window& slot) { sink->write(w.first, w.rows(), host_columns(slot)); },
             [&](size_t done) { meter.update(done); });
  } else {
    // An npz streamed (the REST reply): the list once per column, each column straight to the
    // wire after the one before (windows of every column would spool all but the first).
    window_slots slots;
    const size_t n = ids.size();
    for (size_t k = 0; k < cols.size(); ++k) {
      const std::vector<column> one{cols[k]};
      window_pipeline pipe(reader, one, backend::cpu, aligned_columns(reader, one), &slots);
      pipe.run([&](const aligned_reader::window& w, staged_window& slot) { sink->write_column(k, w.first, w.rows(), slot.host(0)); },
               [&](size_t done) { meter.update((k * n + done) / cols.size()); });
    }
  }
  sink->close();
}

}  // namespace specmill
