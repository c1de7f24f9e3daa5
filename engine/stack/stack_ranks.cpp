// compute_stack's work shared among a batch job's ranks (stack_ranks.hpp says how, and why the
// result is bit-identical for any number of ranks).
#include "engine/stack/stack_ranks.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "engine/stack/stack_groups.hpp"

namespace specmill::detail {
namespace {

template <class T>
void append_bytes(std::vector<std::byte>& out, const std::vector<T>& v) {
  const auto* p = reinterpret_cast<const std::byte*>(v.data());
  out.insert(out.end(), p, p + v.size() * sizeof(T));
}

template <class T>
const std::byte* take_bytes(const std::byte* p, T* dst, size_t n) {
  if (n) std::memcpy(dst, p, n * sizeof(T));
  return p + n * sizeof(T);
}

// Groups [g0, g1) of accumulate_means_direct's 16, summed over every window of the list.
std::vector<group_state> sum_groups(store& st, std::span<const resolved_id> ids, const lattice_window& span,
                                    bool weighted, uint32_t mask_bits, const double* row_scale, size_t g0, size_t g1,
                                    const std::function<void(size_t)>& progress) {
  const size_t width = size_t(span.width);
  std::vector<group_state> groups(g1 - g0);
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
    // This rank's items of the window: its groups are one run of the sorted items.
    const size_t t0 = items.size() * g0 / n_groups, t1 = items.size() * g1 / n_groups;
    const std::span<const stored_item> mine = std::span(items).subspan(t0, t1 - t0);
    rows.open(mine);
    tbb::parallel_for(g0, g1, [&](size_t k) {
      const size_t k0 = items.size() * k / n_groups, k1 = items.size() * (k + 1) / n_groups;
      sum_items(rows, std::span(items).subspan(k0, k1 - k0), span, weighted, mask_bits, row_scale, groups[k - g0]);
    });
    rows.close_unused(mine);
    progress(last);
  }
  return groups;
}

}  // namespace

void normalize_rows_ranks(const communicator& comm, store& st, std::span<const resolved_id> ids, const stack_frame& f,
                          const wavelength_range* window, const std::string& band, backend b, uint32_t mask_bits,
                          size_t window_bytes, std::vector<double>& scale, size_t* dropped) {
  const auto [first, last] = rank_block(ids.size(), comm.rank(), comm.size());
  stack_frame mine = f;  // the shifts are per list item: this block's
  if (f.shifts) mine.shifts = f.shifts + first;
  std::vector<double> part(scale.begin() + std::ptrdiff_t(first), scale.begin() + std::ptrdiff_t(last));
  size_t my_dropped = 0;
  if (!part.empty())
    normalize_rows(st, ids.subspan(first, last - first), mine, window, band, b, mask_bits, window_bytes, part,
                   &my_dropped);
  part.push_back(double(my_dropped));  // exact: a count far below 2^53
  const auto parts = comm.gather_values(std::span<const double>(part));
  std::vector<double> all;
  if (comm.rank() == 0) {
    double total = 0;
    for (const auto& p : parts) {
      all.insert(all.end(), p.begin(), p.end() - 1);
      total += p.back();
    }
    all.push_back(total);
  }
  comm.broadcast_values(all);
  SPECMILL_EXPECTS(all.size() == scale.size() + 1, "batch stack: the ranks' normalisers do not cover the list",
                   data_error);
  std::copy(all.begin(), all.end() - 1, scale.begin());
  *dropped += size_t(all.back());
}

void accumulate_means_direct_ranks(const communicator& comm, store& st, std::span<const resolved_id> ids,
                                   const lattice_window& span, stack_method m, uint32_t mask_bits,
                                   const double* row_scale, const std::function<void(size_t)>& progress,
                                   const stack_output& out) {
  const size_t width = size_t(span.width);
  const bool weighted = m == stack_method::weighted_mean;
  // Past 16 ranks, the ones beyond own no group (their share is empty, not split further: a
  // group is the unit whose sum order is fixed).
  const auto [g0, g1] = rank_block(n_groups, comm.rank(), comm.size());
  const auto groups = sum_groups(st, ids, span, weighted, mask_bits, row_scale, g0, g1, progress);
  std::vector<std::byte> mine;
  for (const auto& g : groups) {
    append_bytes(mine, g.a);
    append_bytes(mine, g.b);
    append_bytes(mine, g.n);
  }
  const auto parts = comm.gather(mine);
  if (comm.rank() != 0) return;
  // Every group's sums, in group order (ranks hold consecutive groups, in rank order).
  std::vector<double> a(n_groups * width), b(n_groups * width);
  std::vector<long long> n(n_groups * width);
  size_t g = 0;
  for (const auto& p : parts) {
    SPECMILL_EXPECTS(p.size() % (width * 24) == 0, "batch stack: a rank's group sums have the wrong size", data_error);
    const std::byte* at = p.data();
    for (size_t k = 0; k < p.size() / (width * 24); ++k, ++g) {
      SPECMILL_EXPECTS(g < n_groups, "batch stack: more group sums than groups", data_error);
      at = take_bytes(at, a.data() + g * width, width);
      at = take_bytes(at, b.data() + g * width, width);
      at = take_bytes(at, n.data() + g * width, width);
    }
  }
  SPECMILL_EXPECTS(g == n_groups, "batch stack: group sums missing", data_error);
  for (size_t c = 0; c < width; ++c) {
    stack_sums s;
    for (size_t k = 0; k < n_groups; ++k) {
      (weighted ? s.w : s.f) += a[k * width + c];
      (weighted ? s.wf : s.var) += b[k * width + c];
      s.n += n[k * width + c];
    }
    const stack_pixel p = finish_means(s, m);
    out.flux[c] = p.flux;
    out.ivar[c] = p.ivar;
    out.error[c] = p.error;
    out.n[c] = p.n;
  }
}

void gather_pixels(const communicator& comm, size_t k0, size_t k1, stack_result& res, std::vector<int32_t>& n_input) {
  const bool with_input = !n_input.empty();
  std::vector<std::byte> mine;
  auto add = [&](const auto& v) {
    using T = typename std::decay_t<decltype(v)>::value_type;
    append_bytes(mine, std::vector<T>(v.begin() + std::ptrdiff_t(k0), v.begin() + std::ptrdiff_t(k1)));
  };
  add(res.flux);
  add(res.ivar);
  add(res.error);
  add(res.n);
  if (with_input) add(n_input);
  const auto parts = comm.gather(mine);
  if (comm.rank() != 0) return;
  const size_t per_pixel = with_input ? 20 : 16;
  size_t at_pixel = 0;
  for (const auto& p : parts) {
    SPECMILL_EXPECTS(p.size() % per_pixel == 0, "batch stack: a rank's pixels have the wrong size", data_error);
    const size_t count = p.size() / per_pixel;
    SPECMILL_EXPECTS(at_pixel + count <= res.flux.size(), "batch stack: more pixels than the grid", data_error);
    const std::byte* at = p.data();
    at = take_bytes(at, res.flux.data() + at_pixel, count);
    at = take_bytes(at, res.ivar.data() + at_pixel, count);
    at = take_bytes(at, res.error.data() + at_pixel, count);
    at = take_bytes(at, res.n.data() + at_pixel, count);
    if (with_input) take_bytes(at, n_input.data() + at_pixel, count);
    at_pixel += count;
  }
  SPECMILL_EXPECTS(at_pixel == res.flux.size(), "batch stack: pixels missing from the ranks' results", data_error);
}

}  // namespace specmill::detail
