// The mean methods on the observed lattice, CPU: one pass over the input. Each listed
// spectrum's stored pixels are added to its group's sums straight from its block's read-only
// mapping (block_reader::mapped_row_span: no copy at all), instead of being aligned into a 64 MB
// window buffer and read back from memory (two more passes over the bytes; bench/RESULTS.md,
// "Stacking"). Blocks that are not mapped (chunked, or a mapping that failed) are copied into
// a small buffer that stays in L2 first, as before.
#include <tbb/parallel_for.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>

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
  std::map<int64_t, std::unique_ptr<block_reader>> blocks;
  std::mutex hdf5;
  std::vector<stack_item> items;
  for (size_t first = 0; first < ids.size(); first += window_items) {
    const size_t last = std::min(ids.size(), first + window_items);
    sorted_window_items(ids, first, last, row_scale, items);
    std::vector<int64_t> used;
    for (const stack_item& it : items) {
      if (!used.empty() && used.back() == it.block_id) continue;
      used.push_back(it.block_id);
      auto b = blocks.find(it.block_id);
      if (b == blocks.end()) b = blocks.emplace(it.block_id, std::make_unique<block_reader>(st.block_path(it.block_id))).first;
    }
    for (const stack_item& it : items)
      SPECMILL_DATA_CHECK(size_t(it.row) < blocks.at(it.block_id)->n_spectra(),
                          "catalog row " + std::to_string(it.row) + " beyond block " + std::to_string(it.block_id));
    tbb::parallel_for(size_t(0), n_groups, [&](size_t k) {
      group_state& g = groups[k];
      for (size_t t = items.size() * k / n_groups; t < items.size() * (k + 1) / n_groups; ++t) {
        const stack_item& it = items[t];
        const auto& loc = *ids[it.index].entry->location;
        const block_reader& b = *blocks.find(it.block_id)->second;
        const size_t npix = size_t(loc.npix), pix0 = size_t(loc.lattice_start - b.lattice_start());
        const size_t row = size_t(it.row);
        const auto* flux = static_cast<const float*>(b.mapped_row_span(column::flux, row, pix0, npix));
        const auto* ivar = static_cast<const float*>(b.mapped_row_span(column::ivar, row, pix0, npix));
        const auto* mask =
            mask_bits ? static_cast<const int32_t*>(b.mapped_row_span(column::and_mask, row, pix0, npix)) : nullptr;
        if (!flux || !ivar || (mask_bits && !mask)) {  // not mapped: through the group's buffers
          g.flux.resize(npix);
          g.ivar.resize(npix);
          b.read_row_span(column::flux, row, pix0, npix, g.flux.data(), hdf5);
          b.read_row_span(column::ivar, row, pix0, npix, g.ivar.data(), hdf5);
          flux = g.flux.data();
          ivar = g.ivar.data();
          if (mask_bits) {
            g.mask.resize(npix);
            b.read_row_span(column::and_mask, row, pix0, npix, g.mask.data(), hdf5);
            mask = g.mask.data();
          }
        }
        const stack_window w{1, npix, flux, ivar, mask, mask_bits, row_scale + it.index};
        const size_t at = size_t(loc.lattice_start - span.start);  // the span holds every listed spectrum
        accumulate_cpu_serial(w, weighted, g.a.data() + at, g.b.data() + at, g.n.data() + at);
      }
    });
    if (blocks.size() > max_open_blocks)
      std::erase_if(blocks, [&](const auto& kv) { return std::find(used.begin(), used.end(), kv.first) == used.end(); });
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
