#include "engine/stack/stack_frame.hpp"

#include <algorithm>
#include <cmath>
#include <future>

#include "core/error.hpp"
#include "core/spectrum.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/resample.hpp"

namespace specmill::detail {
namespace {

// One list window's stored columns, pinned so that the cuda backend's uploads go at full speed
// (without a device pinned_host_buffer is plain aligned memory).
struct window_slot {
  pinned_host_buffer flux, ivar, mask;
  explicit window_slot(size_t elements)
      : flux(elements * 4 + 4), ivar(elements * 4 + 4), mask(elements * 4 + 4) {}
};

void read_slot(aligned_reader& reader, const aligned_reader::window& w, window_slot& s) {
  reader.read(w, column::flux, s.flux.data());
  reader.read(w, column::ivar, s.ivar.data());
  reader.read(w, column::and_mask, s.mask.data());
}

int64_t lattice_index_floor(double angstrom, const native_grid& g) { return int64_t(std::floor(std::log10(angstrom) / g.step + 0.5)); }

}  // namespace

double stack_frame::center_angstrom(int64_t k) const {
  return grid ? grid->center_angstrom(k) : std::pow(10.0, double(span.start + k) * span.grid.step);
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
                           backend b, uint32_t mask_bits, const double* row_scale, size_t window_bytes,
                           const stack_consumer& consume) {
  const lattice_window in = f.input_for(k0, k1);
  const size_t out_width = size_t(k1 - k0), in_width = size_t(in.width);
  // No stored pixel can reach these output pixels: nothing to hand over (they stay empty).
  if (ids.empty() || out_width == 0 || in_width == 0) return;
  // Window rows bound both the stored columns and, on a grid, the resampled ones.
  const size_t widest = std::max<size_t>({in_width, f.grid ? out_width : 0, 1});
  aligned_reader reader(st, ids, in, backend::cpu, std::max<size_t>(1, window_bytes * std::max<size_t>(1, in_width) / widest));
  const auto& windows = reader.windows();
  size_t max_rows = 0;
  for (const auto& w : windows) max_rows = std::max(max_rows, w.rows());
  window_slot slots[2] = {window_slot(max_rows * in_width), window_slot(windows.size() > 1 ? max_rows * in_width : 0)};
  std::vector<float> resampled_flux, resampled_ivar;
  if (f.grid) {
    resampled_flux.resize(max_rows * out_width);
    resampled_ivar.resize(max_rows * out_width);
  }
  std::future<void> next = std::async(std::launch::async, [&] { read_slot(reader, windows[0], slots[0]); });
  for (size_t k = 0; k < windows.size(); ++k) {
    next.get();
    if (k + 1 < windows.size())
      next = std::async(std::launch::async, [&, k] { read_slot(reader, windows[k + 1], slots[(k + 1) % 2]); });
    const auto& w = windows[k];
    window_slot& s = slots[k % 2];
    stack_window values;
    values.n_rows = w.rows();
    values.row_scale = row_scale ? row_scale + w.first : nullptr;
    if (!f.grid) {
      values.width = in_width;
      values.flux = s.flux.data<float>();
      values.ivar = s.ivar.data<float>();
      values.and_mask = s.mask.data<int32_t>();
      values.mask_bits = mask_bits;
    } else {
      lattice_batch batch;
      batch.n_spectra = w.rows();
      batch.width = in_width;
      batch.lattice_start = in.start;
      batch.grid = in.grid;
      batch.flux = s.flux.data<float>();
      batch.ivar = s.ivar.data<float>();
      batch.and_mask = s.mask.data<int32_t>();
      batch.log10_1pz = f.shifts ? f.shifts + w.first : nullptr;
      // The masked pixels are excluded here; the resampled and_mask (an OR of every pixel
      // under a target pixel, good or not) is not wanted.
      resample_range(b, batch, *f.grid, k0, int64_t(out_width), int32_t(mask_bits),
                     {resampled_flux.data(), resampled_ivar.data()});
      values.width = out_width;
      values.flux = resampled_flux.data();
      values.ivar = resampled_ivar.data();
    }
    consume(w, values);
  }
}

}  // namespace specmill::detail
