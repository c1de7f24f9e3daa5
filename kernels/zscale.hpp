#pragma once
// Display limits of an image from its good (finite) pixels: IRAF's zscale and percentiles.
// Small host computations (a sort of at most a few million samples); the per-pixel work that
// uses them runs on either backend (kernels/image_scale.hpp). NaN marks a masked pixel and is
// left out of every statistic.
#include <cstddef>
#include <span>
#include <vector>

#include "kernels/image_scale.hpp"

namespace specmill {

// IRAF zscale's parameters with the defaults of astropy.visualization.ZScaleInterval (and of
// IRAF's display task / stsci.numdisplay, which it follows).
struct zscale_params {
  size_t n_samples = 1000;    // pixels sampled
  double contrast = 0.25;     // slope divisor: larger contrast, narrower limits
  double max_reject = 0.5;    // give up the fit when more than this fraction is rejected
  size_t min_npixels = 5;     // ... or fewer than this many remain
  double krej = 2.5;          // rejection threshold, in standard deviations of the residuals
  int max_iterations = 5;     // rejection rounds
};

// zscale, computed as astropy.visualization.ZScaleInterval.get_limits does on the same array
// (values in this order, row-major for an image):
//   1. the finite values, every stride-th with stride = max(1, int(n / n_samples)), the first
//      n_samples of those; sorted;
//   2. a straight line fitted to sample value against sample index, iteratively: residuals
//      beyond krej * std (of the unrejected residuals) are rejected, the rejected set grown by
//      max(1, int(0.01 n)) pixels, until nothing changes, fewer than max(min_npixels,
//      int(max_reject * n)) remain, or max_iterations rounds;
//   3. if enough remain: slope /= contrast, limits = median -/+ slope * (distance from the
//      center index), clipped to the sample's min and max; otherwise the sample's min and max.
// No finite value: {0, 1}. invalid_argument for n_samples == 0.
display_limits zscale_limits(std::span<const float> values, const zscale_params& p = {});

// The lo and hi percentiles (0 <= lo < hi <= 100) of the finite values, with numpy.percentile's
// default rule (linear interpolation between order statistics: position q/100 * (n - 1)).
// Exact when there are at most max_samples finite values; beyond that they are taken from
// every stride-th finite value, stride = ceil(n / max_samples). No finite value: {0, 1}.
display_limits percentile_limits(std::span<const float> values, double lo, double hi,
                                 size_t max_samples = 1'000'000);

// The finite values of `values` in order, every stride-th of them (the 0th, stride-th, ...),
// at most max_count; counted and gathered on TBB threads. Also gives the number of finite
// values when n_finite is not null.
std::vector<float> sample_finite(std::span<const float> values, size_t stride, size_t max_count,
                                 size_t* n_finite = nullptr);
size_t count_finite(std::span<const float> values);

}  // namespace specmill
