// Per-spectrum normalisation before stacking: by the median good flux in a wavelength window
// of the stacking frame, or by the spectrum's mean f_lambda through a filter band.
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "core/error.hpp"
#include "engine/photometry/photometry.hpp"
#include "engine/stack/stack.hpp"
#include "engine/stack/stack_frame.hpp"

namespace specmill {

namespace detail {

double median_in_place(std::vector<float>& v) {
  const size_t n = v.size();
  if (n == 0) return std::numeric_limits<double>::quiet_NaN();
  const auto mid = v.begin() + long(n / 2);
  std::nth_element(v.begin(), mid, v.end());
  if (n % 2) return double(*mid);
  // Even: the mean of the two middle values, as the stack's median; the lower one is the
  // largest of the first half.
  return 0.5 * (double(*std::max_element(v.begin(), mid)) + double(*mid));
}

namespace {

// "r" is sdss2010-r: the SDSS 2010 responses ship with specmill.
std::string band_filter_name(const std::string& band) {
  if (band.size() == 1 && std::string_view("ugriz").find(band[0]) != std::string_view::npos) return "sdss2010-" + band;
  return band;
}

// Median good flux of each row over the output pixels whose centers lie in the window. On a
// grid these are resampled values (ivar > 0 where good pixels cover them).
void window_medians(store& st, std::span<const resolved_id> ids, const stack_frame& f, const wavelength_range& r,
                    backend b, uint32_t mask_bits, size_t window_bytes, std::vector<double>& norm) {
  const auto [k0, k1] = f.pixels_in(r.lo, r.hi);
  for_each_stack_window(st, ids, f, k0, k1, b, backend::cpu, mask_bits, nullptr, window_bytes,
                        [&](const aligned_reader::window& w, const stack_window& values) {
                          const stack_value_op op{values};
                          tbb::parallel_for(tbb::blocked_range<size_t>(0, values.n_rows, 16),
                                            [&](const tbb::blocked_range<size_t>& rows) {
                                              std::vector<float> v;
                                              for (size_t row = rows.begin(); row != rows.end(); ++row) {
                                                v.clear();
                                                for (size_t c = 0; c < values.width; ++c) {
                                                  double fv, iv;
                                                  if (op(row, c, fv, iv)) v.push_back(float(fv));
                                                }
                                                norm[w.first + row] = median_in_place(v);
                                              }
                                            });
                        });
}

// maggies x K is the band's photon-weighted mean f_lambda (flux units of the store), K =
// sum(norm weights) / sum(flux weights) (kernels/photometry.hpp): a flat f_lambda spectrum of
// value F has maggies = F / K. Flagged bands (not covered, too masked) give NaN.
void band_means(store& st, std::span<const resolved_id> ids, const std::string& band, backend b, uint32_t mask_bits,
                size_t window_bytes, std::vector<double>& norm) {
  const band_tables bands = photometry_bands(band_filter_name(band), st.grid());
  SPECMILL_EXPECTS(bands.size() == 1, "--normalize-band takes one filter, not '" + band + "'");
  const auto& fw = bands.flux_weights();
  const double k = bands.norm_totals()[0] / std::accumulate(fw.begin(), fw.end(), 0.0);
  photometry_params p;
  p.and_mask_bits = mask_bits;
  photometry_windows(st, ids, bands, b, p, int64_t(std::max<size_t>(window_bytes / 4, 1 << 20)),
                     [&](const aligned_reader::window& w, std::span<const band_flux> results) {
                       for (size_t i = w.first; i < w.last; ++i) {
                         const band_flux& r = results[i - w.first];
                         norm[i] = r.flag ? std::numeric_limits<double>::quiet_NaN() : r.maggies * k;
                       }
                     });
}

}  // namespace

void normalize_rows(store& st, std::span<const resolved_id> ids, const stack_frame& f, const wavelength_range* window,
                    const std::string& band, backend b, uint32_t mask_bits, size_t window_bytes,
                    std::vector<double>& scale, size_t* dropped) {
  std::vector<double> norm(ids.size(), std::numeric_limits<double>::quiet_NaN());
  if (window)
    window_medians(st, ids, f, *window, b, mask_bits, window_bytes, norm);
  else
    band_means(st, ids, band, b, mask_bits, window_bytes, norm);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!(scale[i] > 0)) continue;  // already out (no pixels, no usable z)
    if (norm[i] > 0 && std::isfinite(norm[i])) {
      scale[i] /= norm[i];
    } else {
      scale[i] = std::numeric_limits<double>::quiet_NaN();
      ++*dropped;
    }
  }
}

}  // namespace detail
}  // namespace specmill
