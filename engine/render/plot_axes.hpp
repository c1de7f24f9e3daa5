#pragma once
// Axis ticks for plots: "nice" steps (1, 2 or 5 times a power of ten) and their labels.
#include <string>
#include <vector>

namespace specmill {

struct axis_ticks {
  std::vector<double> values;  // the ticks inside [lo, hi], increasing
  double step = 0;
  int decimals = 0;            // digits after the point that every label needs
};

// Ticks at the multiples of the smallest nice step that gives at most max_ticks (>= 2) in the
// range, or, when that step leaves fewer than two, of the next smaller step (which may give
// more than max_ticks). Empty for a non-finite or empty range.
axis_ticks nice_ticks(double lo, double hi, int max_ticks);

// "4000", "0.25", "-1.5": fixed notation with `decimals` digits, never "-0".
std::string format_tick(double v, int decimals);

}  // namespace specmill
