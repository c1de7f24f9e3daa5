// The observed lattice on the CPU, read in place. The mean methods: one pass over the input.
// Each listed spectrum's stored pixels are added to its group's sums straight from its block's
// read-only mapping (block_reader::mapped_row_span: no copy at all), instead of being aligned
// into a 64 MB window buffer and read back from memory (two more passes over the bytes;
// bench/RESULTS.md, "Stacking"). Blocks that are not mapped (chunked, or a mapping that failed)
// are copied into a small buffer that stays in L2 first, as before. The median and clipped mean: each tile's
// slots gathered from the same mappings (gather_tile_direct), not through an aligned window: that
// copy of every value and the first touch of its buffer were ~20% of a 10k median (perf).
#include <tbb/parallel_for.h>

#include <algorithm>

#include "core/error.hpp"
#include "engine/stack/stack_frame.hpp"
#include "engine/stack/stack_groups.hpp"

namespace specmill::detail {

void accumulate_means_direct(store& st, std::span<const resolved_id> ids, const lattice_window& span, stack_method m,
                             uint32_t mask_bits, const double* row_scale, const std::function<void(size_t)>& progress,
                             const stack_output& out) {
  const size_t width = size_t(span.width);
  const bool weighted = m == stack_method::weighted_mean;
  std::vector<group_state> groups(n_groups);
  for (auto& g : groups) {
    g.a.assign(width, 0.0);
    g.b.assign(width, 0.0);
    g.n.assign(width, 0);
  }
  stored_rows rows(st, ids);
  std::vector<stored_item> items;
  for (size_t first = 0; first < ids.size(); first += window_items) {
    const size_t last = std::min(ids.size(), first + window_items);
    sorted_window_items(rows, first, last, row_scale, items);
    rows.open(items);
    tbb::parallel_for(size_t(0), n_groups, [&](size_t k) {
      const size_t t0 = items.size() * k / n_groups, t1 = items.size() * (k + 1) / n_groups;
      sum_items(rows, std::span(items).subspan(t0, t1 - t0), span, weighted, mask_bits, row_scale, groups[k]);
    });
    rows.close_unused(items);
    progress(last);
  }
  for (size_t c = 0; c < width; ++c) {
    stack_sums s;
    for (const auto& g : groups) {
      (weighted ? s.w : s.f) += g.a[c];
      (weighted ? s.wf : s.var) += g.b[c];
      s.n += g.n[c];
    }
    const stack_pixel p = finish_means(s, m);
    out.flux[c] = p.flux;
    out.ivar[c] = p.ivar;
    out.error[c] = p.error;
    out.n[c] = p.n;
  }
}

namespace {
// List rows per add_rows call: their rows' copies (only for blocks that are not mapped) are held
// together, ~14 MB at worst for SDSS widths.
constexpr size_t tile_rows = 256;
}  // namespace

void gather_tile_direct(stored_rows& rows, std::span<const resolved_id> ids, const lattice_window& span, int64_t k0,
                        int64_t k1, uint32_t mask_bits, const double* row_scale, stack_tile& t,
                        const std::function<void(size_t)>& progress) {
  SPECMILL_EXPECTS(k0 <= k1 && size_t(k1 - k0) == t.width(), "gather_tile_direct: the tile's width differs");
  SPECMILL_EXPECTS(row_scale, "gather_tile_direct: a scale per item is required");
  const std::span<const column> read = stack_columns(mask_bits);
  // The tile's columns on the store's lattice.
  const int64_t lo = int64_t(span.start) + k0, hi = int64_t(span.start) + k1;
  std::vector<stored_item> items;
  std::vector<stack_row> refs;
  std::vector<stored_row_buffers> copies(tile_rows);
  for (size_t first = 0; first < ids.size(); first += window_items) {
    const size_t last = std::min(ids.size(), first + window_items);
    sorted_window_items(rows, first, last, row_scale, items);
    rows.open(items);  // every block of the window's items, once
    for (size_t r0 = first; r0 < last; r0 += tile_rows) {
      const size_t r1 = std::min(last, r0 + tile_rows);
      refs.assign(r1 - r0, stack_row{});
      for (size_t i = r0; i < r1; ++i) {
        if (!ids[i].has_pixels() || !(row_scale[i] > 0)) continue;  // empty slots
        const resolved_id& id = ids[i];
        const int64_t s0 = id.location().lattice_start, s1 = s0 + id.location().npix;
        const int64_t a = std::max(lo, s0), b = std::min(hi, s1);
        if (b <= a) continue;
        const stored_row r = rows.row({id.block_id(), id.location().row, i}, read, copies[i - r0]);
        stack_row& ref = refs[i - r0];
        const size_t at = size_t(a - s0);
        ref.flux = static_cast<const float*>(r.data[0]) + at;
        ref.ivar = static_cast<const float*>(r.data[1]) + at;
        ref.and_mask = mask_bits ? static_cast<const int32_t*>(r.data[2]) + at : nullptr;
        ref.first = size_t(a - lo);
        ref.last = size_t(b - lo);
        ref.scale = row_scale[i];
      }
      t.add_rows(refs, r0, mask_bits);
    }
    rows.close_unused(items);
    progress(last);
  }
}

}  // namespace specmill::detail
