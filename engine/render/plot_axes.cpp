#include "engine/render/plot_axes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace specmill {

axis_ticks nice_ticks(double lo, double hi, int max_ticks) {
  axis_ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return t;
  max_ticks = std::max(2, max_ticks);
  // The smallest 1/2/5 x 10^k step that gives at most max_ticks ticks in the range; when that
  // step leaves fewer than two, the step before it (one tick over the limit reads better than
  // an axis with a single number).
  const double raw = (hi - lo) / double(max_ticks);
  double mag = std::pow(10.0, std::floor(std::log10(raw)) - 1);
  axis_ticks prev;
  for (int guard = 0; guard < 5; ++guard, mag *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      axis_ticks c;
      c.step = m * mag;
      const double first = std::ceil(lo / c.step - 1e-9), last = std::floor(hi / c.step + 1e-9);
      for (double k = first; k <= last; k += 1) c.values.push_back(k * c.step);
      c.decimals = std::max(0, int(-std::floor(std::log10(c.step) + 1e-9)));
      if (int(c.values.size()) <= max_ticks) return c.values.size() < 2 && prev.values.size() >= 2 ? prev : c;
      prev = std::move(c);
    }
  }
  return t;
}

std::string format_tick(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", std::clamp(decimals, 0, 12), v);
  std::string s(buf);
  // -0, -0.0 ...: a zero printed with a sign.
  if (s[0] == '-' && s.find_first_not_of("-0.") == std::string::npos) s.erase(0, 1);
  return s;
}

}  // namespace specmill
