#include "engine/plot_axes.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace specmill {

axis_ticks nice_ticks(double lo, double hi, int max_ticks) {
  axis_ticks t;
  if (!std::isfinite(lo) || !std::isfinite(hi) || !(hi > lo)) return t;
  max_ticks = std::max(2, max_ticks);
  // The smallest 1/2/5 x 10^k step that gives at most max_ticks ticks in the range.
  const double raw = (hi - lo) / double(max_ticks);
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  for (int guard = 0; guard < 4; ++guard, mag *= 10) {
    for (double m : {1.0, 2.0, 5.0}) {
      const double step = m * mag;
      const double first = std::ceil(lo / step - 1e-9), last = std::floor(hi / step + 1e-9);
      if (last - first + 1 <= max_ticks) {
        t.step = step;
        for (double k = first; k <= last; k += 1) t.values.push_back(k * step);
        t.decimals = std::max(0, int(-std::floor(std::log10(step) + 1e-9)));
        return t;
      }
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
