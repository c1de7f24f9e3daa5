// zscale and percentile display limits (kernels/zscale.hpp).
#include "kernels/zscale.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.hpp"

namespace specmill {
namespace {

// Pixels per counting task: big enough that a task is worth scheduling.
constexpr size_t chunk = size_t(1) << 20;

// Sorted samples -> the median as numpy computes it (mean of the two middle values).
double median_sorted(const std::vector<double>& s) {
  const size_t n = s.size();
  return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

// astropy grows the rejected set with np.convolve(bad, ones(k), mode="same"): pixel i becomes
// bad when any of bad[i - k/2 .. i - k/2 + k - 1] is. A prefix count makes it O(n).
void grow(std::vector<char>& bad, size_t k) {
  const size_t n = bad.size();
  std::vector<size_t> prefix(n + 1, 0);
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + size_t(bad[i] != 0);
  const auto half = ptrdiff_t(k / 2);
  for (size_t i = 0; i < n; ++i) {
    const ptrdiff_t a = std::max<ptrdiff_t>(0, ptrdiff_t(i) - half);
    const ptrdiff_t b = std::min<ptrdiff_t>(ptrdiff_t(n), ptrdiff_t(i) - half + ptrdiff_t(k));
    bad[i] = b > a && prefix[size_t(b)] > prefix[size_t(a)];
  }
}

struct line_fit {
  double intercept = 0, slope = 0;
};

// Least squares of s[i] against i over the unrejected points (np.polyfit with 0/1 weights),
// with x centered for a well-conditioned sum.
line_fit fit_line(const std::vector<double>& s, const std::vector<char>& bad) {
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (!bad[i]) {
      n += 1;
      sx += double(i);
      sy += s[i];
    }
  const double mx = sx / n, my = sy / n;
  double sxx = 0, sxy = 0;
  for (size_t i = 0; i < s.size(); ++i)
    if (!bad[i]) {
      const double dx = double(i) - mx;
      sxx += dx * dx;
      sxy += dx * (s[i] - my);
    }
  line_fit f;
  f.slope = sxx > 0 ? sxy / sxx : 0;
  f.intercept = my - f.slope * mx;
  return f;
}

}  // namespace

size_t count_finite(std::span<const float> values) {
  size_t n = 0;
  sample_finite(values, 1, 0, &n);
  return n;
}

std::vector<float> sample_finite(std::span<const float> values, size_t stride, size_t max_count, size_t* n_finite) {
  SPECMILL_EXPECTS(stride >= 1, "sample_finite: stride must be >= 1");
  const size_t n_chunks = (values.size() + chunk - 1) / chunk;
  std::vector<size_t> first(n_chunks + 1, 0);  // finite values before each chunk
  tbb::parallel_for(size_t(0), n_chunks, [&](size_t c) {
    const size_t end = std::min(values.size(), (c + 1) * chunk);
    size_t k = 0;
    for (size_t i = c * chunk; i < end; ++i) k += std::isfinite(values[i]);
    first[c + 1] = k;
  });
  for (size_t c = 0; c < n_chunks; ++c) first[c + 1] += first[c];
  const size_t total = first[n_chunks];
  if (n_finite) *n_finite = total;
  const size_t n_out = std::min(max_count, (total + stride - 1) / stride);
  std::vector<float> out(n_out);
  if (n_out == 0) return out;
  tbb::parallel_for(size_t(0), n_chunks, [&](size_t c) {
    size_t g = first[c];  // global finite index of the next finite value
    if (g >= n_out * stride) return;
    const size_t end = std::min(values.size(), (c + 1) * chunk);
    for (size_t i = c * chunk; i < end; ++i) {
      if (!std::isfinite(values[i])) continue;
      if (g % stride == 0) {
        if (g / stride >= n_out) return;
        out[g / stride] = values[i];
      }
      ++g;
    }
  });
  return out;
}

display_limits zscale_limits(std::span<const float> values, const zscale_params& p) {
  SPECMILL_EXPECTS(p.n_samples > 0, "zscale: n_samples must be > 0");
  const size_t n_finite = count_finite(values);
  if (n_finite == 0) return {0, 1};
  // astropy: stride = int(max(1.0, values.size / n_samples)) over the finite values.
  const auto stride = size_t(std::max(1.0, double(n_finite) / double(p.n_samples)));
  const std::vector<float> picked = sample_finite(values, stride, p.n_samples);
  std::vector<double> s(picked.begin(), picked.end());
  std::sort(s.begin(), s.end());

  const size_t npix = s.size();
  double vmin = s.front(), vmax = s.back();
  const size_t minpix = std::max(p.min_npixels, size_t(double(npix) * p.max_reject));
  const size_t ngrow = std::max<size_t>(1, size_t(double(npix) * 0.01));
  std::vector<char> bad(npix, 0);
  size_t ngood = npix, last_ngood = npix + 1;
  line_fit fit;
  bool fitted = false;
  for (int it = 0; it < p.max_iterations; ++it) {
    if (ngood >= last_ngood || ngood < minpix) break;
    fit = fit_line(s, bad);
    fitted = true;
    double n = 0, sum = 0, sum2 = 0;
    std::vector<double> flat(npix);
    for (size_t i = 0; i < npix; ++i) flat[i] = s[i] - (fit.intercept + fit.slope * double(i));
    for (size_t i = 0; i < npix; ++i)
      if (!bad[i]) {
        n += 1;
        sum += flat[i];
      }
    const double mean = sum / n;
    for (size_t i = 0; i < npix; ++i)
      if (!bad[i]) sum2 += (flat[i] - mean) * (flat[i] - mean);
    const double threshold = p.krej * std::sqrt(sum2 / n);  // population std, as numpy's .std()
    for (size_t i = 0; i < npix; ++i)
      if (flat[i] < -threshold || flat[i] > threshold) bad[i] = 1;
    grow(bad, ngrow);
    last_ngood = ngood;
    ngood = size_t(std::count(bad.begin(), bad.end(), 0));
  }
  if (fitted && ngood >= minpix) {
    double slope = fit.slope;
    if (p.contrast > 0) slope /= p.contrast;
    const auto center = double((npix - 1) / 2);
    const double median = median_sorted(s);
    vmin = std::max(vmin, median - (center - 1) * slope);
    vmax = std::min(vmax, median + (double(npix) - center) * slope);
  }
  return {vmin, vmax};
}

display_limits percentile_limits(std::span<const float> values, double lo, double hi, size_t max_samples) {
  SPECMILL_EXPECTS(lo >= 0 && hi <= 100 && lo < hi,
                   "percentiles must satisfy 0 <= lo < hi <= 100, not " + std::to_string(lo) + ", " + std::to_string(hi));
  SPECMILL_EXPECTS(max_samples > 0, "percentile_limits: max_samples must be > 0");
  const size_t n_finite = count_finite(values);
  if (n_finite == 0) return {0, 1};
  const size_t stride = (n_finite + max_samples - 1) / max_samples;
  std::vector<float> s = sample_finite(values, stride, max_samples);
  // numpy's 'linear' rule: position q (n - 1), interpolated between its two order statistics.
  auto at = [&](double q) {
    const double pos = q / 100.0 * double(s.size() - 1);
    const auto k = size_t(std::floor(pos));
    std::nth_element(s.begin(), s.begin() + ptrdiff_t(k), s.end());
    const double a = s[k];
    if (k + 1 >= s.size()) return a;
    const double b = *std::min_element(s.begin() + ptrdiff_t(k) + 1, s.end());
    return a + (b - a) * (pos - double(k));
  };
  return {at(lo), at(hi)};
}

}  // namespace specmill
