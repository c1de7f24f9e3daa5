#include "engine/batch/batch_span.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <string>

#include "core/error.hpp"
#include "engine/store/store.hpp"

namespace specmill {

not_found batch_span_none_found(size_t requested) {
  return not_found("none of the " + std::to_string(requested) + " IDs has pixel data");
}

list_span_result run_batch_span(const communicator& comm, const std::filesystem::path& store_root,
                                const std::string& context, std::vector<spectrum_id> ids) {
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "unknown context '" + context + "' in store " + store_root.string());
  const size_t n = ids.size();
  // Only this rank's block is resolved: resolve_ids_ranks would also send every entry to every
  // rank, and the span needs three numbers from each.
  const auto [first, last] = rank_block(n, comm.rank(), comm.size());
  const auto mine = resolve_ids(st.catalog(), context,
                                std::vector<spectrum_id>(std::make_move_iterator(ids.begin() + std::ptrdiff_t(first)),
                                                         std::make_move_iterator(ids.begin() + std::ptrdiff_t(last))));
  // lo, hi (one past the end), found: list_span's fold over this block.
  std::array<int64_t, 3> part{std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(), 0};
  for (const auto& r : mine) {
    if (!r.has_pixels()) continue;
    const spectrum_location loc = r.location();
    part[0] = std::min<int64_t>(part[0], loc.lattice_start);
    part[1] = std::max<int64_t>(part[1], int64_t(loc.lattice_start) + loc.npix);
    ++part[2];
  }
  const auto parts = comm.gather_values(std::span<const int64_t>(part));
  list_span_result out;
  out.requested = n;
  if (comm.rank() != 0) return out;
  int64_t lo = std::numeric_limits<int32_t>::max(), hi = std::numeric_limits<int32_t>::min();
  for (const auto& p : parts) {
    SPECMILL_EXPECTS(p.size() == 3, "batch span: a rank sent a malformed part", data_error);
    lo = std::min(lo, p[0]);
    hi = std::max(hi, p[1]);
    out.found += size_t(p[2]);
  }
  if (out.found > 0) out.span = lattice_window{int32_t(lo), hi - lo, st.grid()};
  return out;
}

}  // namespace specmill
