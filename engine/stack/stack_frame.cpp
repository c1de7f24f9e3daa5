#include "engine/stack/stack_frame.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/spectrum.hpp"
#include "engine/pipeline/window_pipeline.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/memory/staged_window.hpp"
#include "kernels/resample.hpp"

namespace specmill::detail {
namespace {

// The lattice pixel whose span holds `angstrom` (log10 or linear lattice).
int64_t lattice_index_floor(double angstrom, const native_grid& g) {
  if (!g.is_log_lattice()) return int64_t(std::floor(angstrom / g.step + 0.5));
  return int64_t(std::floor(std::log10(angstrom) / g.step + 0.5));
}

}  // namespace

double stack_frame::center_angstrom(int64_t k) const {
  // native_grid::angstrom is pow(10, index * step) on a log10 lattice: the expression used here before.
  return grid ? grid->center_angstrom(k) : span.grid.angstrom(span.start + k);
}

lattice_window stack_frame::input_for(int64_t k0, int64_t k1) const {
  if (k1 <= k0) return {span.start, 0, span.grid};
  if (!grid) return {int32_t(span.start + k0), k1 - k0, span.grid};
  // Observed wavelengths the tile can reach: its edges times (1+z) at the extreme z.
  const double lo = grid->lower_edge_angstrom(k0) * std::pow(10.0, shift_min);
  const double hi = grid->upper_edge_angstrom(k1 - 1) * std::pow(10.0, shift_max);
  int64_t first = lo > 0 && std::isfinite(lo) ? lattice_index_floor(lo, span.grid) - 1 : int64_t(span.start);
  int64_t last = std::isfinite(hi) ? lattice_index_floor(hi, span.grid) + 1 : int64_t(span.end()) - 1;
  first = std::max<int64_t>(first, span.start);
  last = std::min<int64_t>(last, int64_t(span.end()) - 1);
  if (last < first) return {span.start, 0, span.grid};
  return {int32_t(first), last - first + 1, span.grid};
}

std::pair<int64_t, int64_t> stack_frame::pixels_in(double lo, double hi) const {
  // Centers increase with k: binary searches, with a 1e-9 relative slack so that a bound typed
  // as a printed center includes that pixel.
  auto first_at_least = [&](double x) {
    int64_t a = 0, b = width;
    while (a < b) {
      const int64_t m = a + (b - a) / 2;
      if (center_angstrom(m) < x * (1 - 1e-9)) a = m + 1;
      else b = m;
    }
    return a;
  };
  auto first_above = [&](double x) {
    int64_t a = 0, b = width;
    while (a < b) {
      const int64_t m = a + (b - a) / 2;
      if (center_angstrom(m) > x * (1 + 1e-9)) b = m;
      else a = m + 1;
    }
    return a;
  };
  const int64_t a = first_at_least(lo), b = first_above(hi);
  SPECMILL_EXPECTS(b > a, "--normalize " + std::to_string(lo) + "-" + std::to_string(hi) +
                              ": no pixel of the stacking grid (" + std::to_string(center_angstrom(0)) + "-" +
                              std::to_string(center_angstrom(width - 1)) + " A) has its center in that range");
  return {a, b};
}

void for_each_stack_window(store& st, std::span<const resolved_id> ids, const stack_frame& f, int64_t k0, int64_t k1,
                           backend b, backend deliver, uint32_t mask_bits, const double* row_scale, size_t window_bytes,
                           const stack_consumer& consume, stack_buffers* buffers) {
  SPECMILL_EXPECTS(deliver == backend::cpu || b == backend::cuda, "stack windows on the device need the cuda backend");
  const lattice_window in = f.input_for(k0, k1);
  const size_t out_width = size_t(k1 - k0), in_width = size_t(in.width);
  // No stored pixel can reach these output pixels: nothing to hand over (they stay empty).
  if (ids.empty() || out_width == 0 || in_width == 0) return;
  // Window rows bound both the stored columns and, on a grid, the resampled ones.
  const size_t widest = std::max<size_t>({in_width, f.grid ? out_width : 0, 1});
  aligned_reader reader(st, ids, in, backend::cpu, std::max<size_t>(1, window_bytes * std::max<size_t>(1, in_width) / widest));
  // The window lives where the work is: on the device when resampling there or when the caller
  // takes device windows; the lattice stack on the CPU needs no copy at all.
  const backend hold = (f.grid && b == backend::cuda) || deliver == backend::cuda ? backend::cuda : backend::cpu;
  stack_buffers local;
  stack_buffers& run = buffers ? *buffers : local;
  window_pipeline pipe(reader, {column::flux, column::ivar, column::and_mask}, hold, {}, &run.slots);
  // Per-run device copies of the per-item arrays the kernels read (scale and shift).
  device_buffer& d_scale = run.scale;
  device_buffer& d_shifts = run.shifts;
  if (hold == backend::cuda) {
    if (row_scale && deliver == backend::cuda && d_scale.empty())
      d_scale = device_buffer::from_host(std::span<const double>(row_scale, ids.size()));
    if (f.grid && f.shifts && d_shifts.empty())
      d_shifts = device_buffer::from_host(std::span<const double>(f.shifts, ids.size()));
  }
  // The resampled window: on the device (and its host copy when the caller wants host values),
  // grown only when a tile needs more than the last.
  const backend resampled_on = f.grid ? hold : backend::cpu;
  const size_t resampled_bytes = f.grid ? pipe.max_rows() * out_width * 4 : 0;
  if (f.grid && (run.resampled.where() != resampled_on || run.resampled.columns() < 2 ||
                 run.resampled.bytes() < resampled_bytes))
    run.resampled = staged_window(resampled_on, 2, resampled_bytes);
  staged_window& resampled = run.resampled;
  pipe.run([&](const aligned_reader::window& w, staged_window& s) {
    stack_window values;
    values.n_rows = w.rows();
    if (row_scale) values.row_scale = (deliver == backend::cuda ? d_scale.data<double>() : row_scale) + w.first;
    if (!f.grid) {
      values.width = in_width;
      values.flux = deliver == backend::cuda ? s.device<float>(0) : s.host<float>(0);
      values.ivar = deliver == backend::cuda ? s.device<float>(1) : s.host<float>(1);
      values.and_mask = deliver == backend::cuda ? s.device<int32_t>(2) : s.host<int32_t>(2);
      values.mask_bits = mask_bits;
      if (deliver == backend::cuda) values.stream = s.stream();
      consume(w, values);
      return;
    }
    lattice_batch batch;
    batch.n_spectra = w.rows();
    batch.width = in_width;
    batch.lattice_start = in.start;
    batch.grid = in.grid;
    batch.flux = s.on_backend<float>(0);
    batch.ivar = s.on_backend<float>(1);
    batch.and_mask = s.on_backend<int32_t>(2);
    if (f.shifts) batch.log10_1pz = (hold == backend::cuda ? d_shifts.data<double>() : f.shifts) + w.first;
    // The masked pixels are excluded here; the resampled and_mask (an OR of every pixel
    // under a target pixel, good or not) is not wanted.
    const resampled_batch out{resampled.on_backend<float>(0), resampled.on_backend<float>(1)};
    if (hold == backend::cuda) {
      resample_range_device(batch, *f.grid, k0, int64_t(out_width), int32_t(mask_bits), out, s.stream());
      if (deliver == backend::cpu) {
        resampled.download(0, w.rows() * out_width * 4, s.stream());
        resampled.download(1, w.rows() * out_width * 4, s.stream());
        s.synchronize();  // the host values are read at once
      } else {
        values.stream = s.stream();  // the consumer's kernels queue behind the resampling
      }
    } else {
      resample_range(backend::cpu, batch, *f.grid, k0, int64_t(out_width), int32_t(mask_bits), out);
    }
    values.width = out_width;
    values.flux = deliver == backend::cuda ? resampled.device<float>(0) : resampled.host<float>(0);
    values.ivar = deliver == backend::cuda ? resampled.device<float>(1) : resampled.host<float>(1);
    consume(w, values);
  });
}

}  // namespace specmill::detail
