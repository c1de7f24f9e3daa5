#include "io/png_filter.hpp"

#include <cstdlib>

namespace specmill {
namespace {

inline uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return uint8_t(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
}

// Filter type t's byte i.
inline uint8_t filtered(int t, const uint8_t* row, const uint8_t* above, size_t i, size_t bpp) {
  const int x = row[i], a = i >= bpp ? row[i - bpp] : 0, b = above[i], c = i >= bpp ? above[i - bpp] : 0;
  switch (t) {
    case 1: return uint8_t(x - a);
    case 2: return uint8_t(x - b);
    case 3: return uint8_t(x - ((a + b) >> 1));
    case 4: return uint8_t(x - paeth(a, b, c));
    default: return uint8_t(x);
  }
}

// |v| of the byte read as signed: libpng's "minimum sum of absolute differences" cost.
inline unsigned cost(uint8_t v) { return v < 128 ? v : 256u - v; }

}  // namespace

void filter_png_row(const uint8_t* row, const uint8_t* above, size_t n, size_t bpp, uint8_t* out) {
  unsigned long sums[5] = {0, 0, 0, 0, 0};
  for (size_t i = 0; i < n; ++i)
    for (int t = 0; t < 5; ++t) sums[t] += cost(filtered(t, row, above, i, bpp));
  int best = 0;
  for (int t = 1; t < 5; ++t)
    if (sums[t] < sums[best]) best = t;
  out[0] = uint8_t(best);
  for (size_t i = 0; i < n; ++i) out[i + 1] = filtered(best, row, above, i, bpp);
}

}  // namespace specmill
