#include "engine/batch/batch_image.hpp"

#include <cmath>
#include <cstring>
#include <limits>

#include "core/error.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/store/store.hpp"
#include "io/formats/npy.hpp"
#include "io/formats/output_file.hpp"
#include "kernels/image_bin.hpp"

namespace specmill {
namespace {

// A wavelength range whose cutout_window is exactly `w` (a quarter pixel inside each end's
// neighbours, far from the 1e-7 pixel slack of the rounding).
wavelength_range range_of(const lattice_window& w) {
  const auto at = [&](double index) {
    const double x = index * w.grid.step;
    return w.grid.is_log_lattice() ? std::pow(10.0, x) : x;
  };
  return {at(double(w.start) - 0.25), at(double(w.end() - 1) + 0.25)};
}

}  // namespace

stacked_image_summary run_batch_image(const communicator& comm, const stacked_image_options& opts,
                                      std::vector<spectrum_id> ids, const std::filesystem::path& out) {
  SPECMILL_EXPECTS(!out.empty(), "no output path (--out)");
  check_stacked_image_options(opts);
  store st(opts.store, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  // Every rank needs the whole list's places (its share's rows span it); each resolves a block.
  const auto resolved = resolve_ids_ranks(comm, st.catalog(), opts.context, std::move(ids));
  const size_t n = resolved.size();
  stacked_image_summary s;
  s.requested = n;
  for (const auto& r : resolved) {
    if (r.has_pixels())
      ++s.found;
    else
      s.missing.push_back(resolved.missing_text(r));
  }
  if (s.found == 0) throw not_found(n == 0 ? std::string("empty ID list") : "none of the " + std::to_string(n) + " IDs has pixels in the store");
  batch_test_hook(comm, "image");

  // Every rank draws on the whole list's window: the span of all its IDs, or the cutout.
  stacked_image_options mine = opts;
  if (!opts.cutout) mine.cutout = range_of(list_span(resolved, st.grid()));
  const size_t bins = opts.max_height && n > opts.max_height ? opts.max_height : n;
  const image_row_map rows{n, bins, opts.yflip};
  const auto [b0, b1] = rank_block(bins, comm.rank(), comm.size());
  const size_t i0 = size_t(rows.first_item(b0)), i1 = size_t(rows.first_item(b1));
  // The other ranks' IDs become rows without pixels (masked, never read).
  resolved_list share = resolved;
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    if (i < i0 || i >= i1) share.hide(i);
    any = any || share[i].has_pixels();
  }
  float_image img;
  if (any) img = read_stacked_image(st, share, mine);
  // This rank's bins' image rows, in bin order.
  std::vector<float> part;
  if (any)
    for (size_t b = b0; b < b1; ++b) {
      const float* row = img.row(size_t(opts.yflip ? b : bins - 1 - b));
      part.insert(part.end(), row, row + img.width);
    }
  const auto parts = comm.gather_values(std::span<const float>(part));
  if (comm.rank() != 0) return s;

  // Rank 0's image has the full size when rank 0 holds a bin with pixels; otherwise one spectrum
  // read gives the geometry (every row is overwritten below).
  if (!any) {
    resolved_list one = resolved;
    bool kept = false;
    for (size_t i = 0; i < n; ++i) {
      if (one[i].has_pixels() && !kept) kept = true;
      else one.hide(i);
    }
    img = read_stacked_image(st, one, mine);
  }
  for (int r = 0; r < comm.size(); ++r) {
    const auto [c0, c1] = rank_block(bins, r, comm.size());
    const auto& p = parts[size_t(r)];
    const bool empty_share = p.empty();
    for (size_t b = c0; b < c1; ++b) {
      float* row = img.pixels.data() + (opts.yflip ? b : bins - 1 - b) * img.width;
      if (empty_share)
        std::fill(row, row + img.width, std::numeric_limits<float>::quiet_NaN());  // no pixels: masked
      else
        std::memcpy(row, p.data() + (b - c0) * img.width, img.width * sizeof(float));
    }
  }
  s.image_rows = img.rows;
  s.image_width = img.width;
  s.grid = img.grid;
  if (out.extension() == ".npy") {
    npy_writer w(out, npy_dtype::f4, {uint64_t(img.rows), uint64_t(img.width)});
    w.append(img.pixels.data(), img.pixels.size());
    w.close();
    return s;
  }
  s.limits = stacked_image_limits(img, opts);
  s.png_width = img.width * opts.column_repeat;
  s.png_height = img.rows * opts.thickness;
  output_file f(out);  // removed unless closed: no half-written picture
  encode_stacked_image(img, s.limits, opts, [&](const uint8_t* d, size_t k) { f.write(d, k); });
  f.close();
  return s;
}

}  // namespace specmill
