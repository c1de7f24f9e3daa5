#pragma once
// The stack's frame (lattice or grid) and its reading loop: internal to engine/stack*.cpp.
#include <functional>
#include <optional>
#include <span>

#include "engine/pipeline/aligned_reader.hpp"
#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/pipeline/stored_rows.hpp"
#include "engine/pipeline/window_pipeline.hpp"
#include "engine/store/store.hpp"
#include "kernels/stack.hpp"
#include "core/wavelength_grid.hpp"

namespace specmill::detail {

struct stack_frame {
  lattice_window span;                 // the list's span: every stored pixel of it lies inside
  std::optional<wavelength_grid> grid; // none: output pixel k is lattice pixel span.start + k
  int64_t width = 0;                   // output pixels
  const double* shifts = nullptr;      // rest frame: log10(1+z) per list item (NaN: unusable)
  double shift_min = 0, shift_max = 0; // over the usable shifts (0 in the observed frame)

  double center_angstrom(int64_t k) const;
  // The lattice pixels that can overlap output pixels [k0, k1) in any row: the pixels
  // themselves on the lattice; on a grid, those under the pixels' wavelengths times (1+z) for
  // every usable z (one pixel of margin each side), within the span. Width 0: none.
  lattice_window input_for(int64_t k0, int64_t k1) const;
  // The output pixels whose centers lie in [lo, hi] Angstrom: [first, last + 1); invalid_argument
  // when there is none.
  std::pair<int64_t, int64_t> pixels_in(double lo, double hi) const;
};

// Output pixels [k0, k1) of every list item, a list window at a time, in list order (the one
// window pipeline, engine/pipeline/window_pipeline.hpp): the stored pixels on the lattice (with
// their and_mask and `mask_bits`) or resampled onto the grid pixels on `b` (masked pixels
// excluded there). row_scale (host, may be null) is passed through per row. `deliver`: where
// the values' pointers (row_scale included) live: cpu, or cuda (needs b == cuda), where each
// window is copied to the device once, resampled there, and handed over without coming back.
// The next window is read on another thread while `consume` runs.
// Device windows carry their slot's stream (stack_window::stream): queue kernels there.
using stack_consumer = std::function<void(const aligned_reader::window& w, const stack_window& values)>;

// What for_each_stack_window allocates, kept by a caller that calls it once per tile so that
// the staging, the device copies of row_scale and the shifts, and the resampled window are
// made once per run. Every call sharing one must pass the same ids, frame and row_scale.
struct stack_buffers {
  window_slots slots;
  device_buffer scale, shifts;  // uploaded by the first call that needs them
  staged_window resampled;
};

void for_each_stack_window(store& st, std::span<const resolved_id> ids, const stack_frame& f, int64_t k0,
                           int64_t k1, backend b, backend deliver, uint32_t mask_bits, const double* row_scale,
                           size_t window_bytes, const stack_consumer& consume, stack_buffers* buffers = nullptr);

// The mean methods on the observed lattice on the CPU in one pass over the input
// (engine/stack/stack_direct.cpp): each spectrum read from its block into a small buffer and added
// at once to one of 16 fixed groups' sums (added in order at the end: deterministic). Items whose
// row_scale is not > 0 are skipped. `progress` gets the list items done. `out`: span.width
// elements each (n_input unused).
void accumulate_means_direct(store& st, std::span<const resolved_id> ids, const lattice_window& span, stack_method m,
                             uint32_t mask_bits, const double* row_scale, const std::function<void(size_t)>& progress,
                             const stack_output& out);

// The median and clipped mean's tile [k0, k1) of the observed lattice `span` on the CPU: each
// listed spectrum's stored pixels gathered into `t` straight from its block's mapping (through
// `rows`, kept by the caller from tile to tile), not copied into an aligned window first. Items
// without pixels or whose row_scale is not > 0 leave their slots empty. `progress` gets the list
// items done.
void gather_tile_direct(stored_rows& rows, std::span<const resolved_id> ids, const lattice_window& span, int64_t k0,
                        int64_t k1, uint32_t mask_bits, const double* row_scale, stack_tile& t,
                        const std::function<void(size_t)>& progress);

// 1 / normaliser per list item (NaN: dropped, counted in *dropped) for --normalize /
// --normalize-band; rows already unusable (scale NaN on entry) stay so and are not counted.
void normalize_rows(store& st, std::span<const resolved_id> ids, const stack_frame& f, const wavelength_range* window,
                    const std::string& band, backend b, uint32_t mask_bits, size_t window_bytes,
                    std::vector<double>& scale, size_t* dropped);

}  // namespace specmill::detail
