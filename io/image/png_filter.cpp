#include "io/image/png_filter.hpp"

#include <cstdlib>
#include <cstring>
#include <vector>

namespace specmill {
namespace {

// Each filter as its own straight loop over the row (the first bpp bytes have no left
// neighbour: a = c = 0), written so that the compiler vectorises them: choosing among the five
// costs five passes, and a branchy per-byte switch made filtering as slow as deflate.
void sub(const uint8_t* x, size_t n, size_t bpp, uint8_t* o) {
  for (size_t i = 0; i < bpp && i < n; ++i) o[i] = x[i];
  for (size_t i = bpp; i < n; ++i) o[i] = uint8_t(x[i] - x[i - bpp]);
}
void up(const uint8_t* x, const uint8_t* b, size_t n, uint8_t* o) {
  for (size_t i = 0; i < n; ++i) o[i] = uint8_t(x[i] - b[i]);
}
void average(const uint8_t* x, const uint8_t* b, size_t n, size_t bpp, uint8_t* o) {
  for (size_t i = 0; i < bpp && i < n; ++i) o[i] = uint8_t(x[i] - (b[i] >> 1));
  for (size_t i = bpp; i < n; ++i) o[i] = uint8_t(x[i] - ((unsigned(x[i - bpp]) + b[i]) >> 1));
}
void paeth(const uint8_t* x, const uint8_t* b, size_t n, size_t bpp, uint8_t* o) {
  for (size_t i = 0; i < bpp && i < n; ++i) o[i] = uint8_t(x[i] - b[i]);  // a = c = 0: the predictor is b
  for (size_t i = bpp; i < n; ++i) {
    const int a = x[i - bpp], bb = b[i], c = b[i - bpp];
    const int pa = std::abs(bb - c), pb = std::abs(a - c), pc = std::abs(a + bb - 2 * c);
    const int pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? bb : c);
    o[i] = uint8_t(x[i] - pred);
  }
}

// libpng's "minimum sum of absolute differences": each byte read as signed, |v| summed.
unsigned long cost(const uint8_t* v, size_t n) {
  unsigned long s = 0;
  for (size_t i = 0; i < n; ++i) {
    const unsigned u = v[i];
    s += u < 128 ? u : 256 - u;
  }
  return s;
}

}  // namespace

void filter_png_row(const uint8_t* row, const uint8_t* above, size_t n, size_t bpp, uint8_t* out) {
  thread_local std::vector<uint8_t> scratch;
  scratch.resize(4 * n);
  uint8_t* cand[5] = {const_cast<uint8_t*>(row), scratch.data(), scratch.data() + n, scratch.data() + 2 * n,
                      scratch.data() + 3 * n};
  sub(row, n, bpp, cand[1]);
  up(row, above, n, cand[2]);
  average(row, above, n, bpp, cand[3]);
  paeth(row, above, n, bpp, cand[4]);
  int best = 0;
  unsigned long best_sum = cost(cand[0], n);
  for (int t = 1; t < 5; ++t) {
    const unsigned long s = cost(cand[t], n);
    if (s < best_sum) best_sum = s, best = t;  // ties keep the lower type, as libpng does
  }
  out[0] = uint8_t(best);
  std::memcpy(out + 1, cand[best], n);
}

}  // namespace specmill
