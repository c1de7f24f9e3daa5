// The mean methods on the observed lattice, CPU: one pass over the input. Each listed
// spectrum's stored pixels are added to its group's sums straight from its block's read-only
// mapping (block_reader::mapped_row_span: no copy at all), instead of being aligned into a 64 MB
// window buffer and read back from memory (two more passes over the bytes; bench/RESULTS.md,
// "Stacking"). Blocks that are not mapped (chunked, or a mapping that failed) are copied into
// a small buffer that stays in L2 first, as before.
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

}  // namespace specmill::detail
