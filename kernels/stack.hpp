#pragma once
// stack: per-pixel combination of many spectra that share one output grid (composite spectra).
// The per-element math is the functors below; stack.cpp runs them under TBB, stack.cu in CUDA
// kernels. docs/stack.md states the conventions; in short, over the CONTRIBUTING values of a
// pixel (ivar > 0 and finite, flux finite, no selected and_mask bit, a usable row scale):
//
//   weighted_mean  flux = sum(w f) / sum(w), w = ivar;  ivar = sum(w)
//   mean           flux = sum(f) / n;  ivar = n^2 / sum(1/ivar)  (variance of the mean)
//   median         exact: the middle value, or the mean of the two middle values for even n;
//                  ivar = n^2 / sum(1/ivar), times 2/pi for n >= 3 (the median's asymptotic
//                  efficiency on normal data); error = sqrt(pi/2) * 1.4826 MAD / sqrt(n) for
//                  n >= 3 (scatter-based, robust), else 1/sqrt(ivar)
//   clipped_mean   survivors of up to `iterations` rounds of rejecting |f - median| >
//                  sigma * 1.4826 MAD (median and MAD of the current survivors; stops early when
//                  nothing changes or MAD is 0); flux = their plain mean, ivar = n^2 / sum(1/ivar)
//                  over them, error = their sample standard deviation / sqrt(n) for n >= 3, else
//                  1/sqrt(ivar); n = the survivors
//   no contributing value (n = 0): flux 0, ivar 0, error +inf (1/sqrt(0)), n 0.
//
// Means accumulate in double, per pixel, over any number of windows of rows (stack_accumulator).
// The median and clipping need every value of a pixel at once: stack_tile holds a tile of pixels'
// values for all rows (one slot per row and pixel), sorts each pixel's values and selects from
// the sorted run; the engine walks the grid tile by tile so that memory stays bounded whatever
// the number of spectra. Both backends select the same values: median and clipping results agree
// exactly, sums to double rounding.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "core/good_pixel.hpp"
#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/memory/huge_pages.hpp"

namespace specmill {

enum class stack_method { weighted_mean, mean, median, clipped_mean };

inline constexpr double sqrt_half_pi = 1.2533141373155002512;  // sqrt(pi / 2)
inline constexpr double mad_to_sigma = 1.4826022185056018;     // 1 / Phi^-1(3/4)
inline constexpr double two_over_pi = 0.63661977236758134308;

// float_bits / bits_float: core/host_device.hpp.
// Rows on the output grid, row-major [n_rows][width] (host or device memory, per entry point).
struct stack_window {
  size_t n_rows = 0, width = 0;
  const float* flux = nullptr;
  const float* ivar = nullptr;
  const int32_t* and_mask = nullptr;  // null: masks not consulted
  uint32_t mask_bits = 0;             // and_mask bits that exclude a pixel
  // Per row: flux is multiplied by s and ivar divided by s^2 (normalisation). A row whose s is
  // not finite, <= 0 (a spectrum dropped by normalisation) or beyond [1e-30, 1e30] contributes
  // nothing. Null: s = 1.
  const double* row_scale = nullptr;
  // Device windows: the stream their values are ready on, where the kernels that read them are
  // queued (a window pipeline slot's stream, so the next window's upload overlaps them).
  cuda_stream_view stream{};
};

// A row's scale s as the stack uses it: s, or 0 for a row that contributes nothing (s not
// finite, or outside [1e-30, 1e30], where s^2 could make a float's ivar underflow or overflow in
// double; no normaliser of real spectra comes near either bound).
SPECMILL_HOST_DEVICE inline double row_factor(double s) { return s >= 1e-30 && s <= 1e30 ? s : 0.0; }

// One stored value as the stack uses it, for a row with factor s > 0 and inv_s2 = 1 / s^2: does
// it contribute, and with what flux and ivar (scaled). The one rule of both backends' window
// reads (stack_value_op) and the CPU tile's packing of rows read in place (kernels/stack.cpp).
// The tests are integer compares on the float bits, combined with bitwise ands: no branches and
// nothing that could trap, so the CPU loops over columns vectorise (with kept_or_zero; a float
// compare or select there kept the loop scalar under GCC's default -ftrapping-math, 2.3x
// slower, measured). f and ivar are set whatever the answer.
//   ivar: 0 < bits <= 0x7f7fffff  (positive, finite, not zero; NaN and negatives fail)
//   flux: |bits| < 0x7f800000     (finite)
SPECMILL_HOST_DEVICE inline bool stack_value(float fl, float iv, uint32_t and_mask, uint32_t mask_bits, double s,
                                             double inv_s2, double& f, double& ivar) {
  f = double(fl) * s;
  ivar = double(iv) * inv_s2;
  return good_pixel(fl, iv, and_mask, mask_bits);  // core/good_pixel.hpp: branch-free, so this vectorises
}

// One value of a window: does (row, col) contribute, and with what flux and ivar (scaled).
struct stack_value_op {
  stack_window w;
  // The row's scale s (1 without row_scale), or 0 for a row that contributes nothing (row_factor).
  SPECMILL_HOST_DEVICE double row_factor(size_t row) const {
    return w.row_scale ? specmill::row_factor(w.row_scale[row]) : 1.0;
  }
  // Element (row, col) of a row with factor s > 0 and inv_s2 = 1 / s^2 (stack_value). HasMask:
  // w.and_mask is set (hoisted out of the loops).
  template <bool HasMask>
  SPECMILL_HOST_DEVICE bool value(size_t row, size_t col, double s, double inv_s2, double& f, double& ivar) const {
    const size_t i = row * w.width + col;
    return stack_value(w.flux[i], w.ivar[i], HasMask ? uint32_t(w.and_mask[i]) : 0u, w.mask_bits, s, inv_s2, f, ivar);
  }
  SPECMILL_HOST_DEVICE bool operator()(size_t row, size_t col, double& f, double& ivar) const {
    const double s = row_factor(row);
    if (!(s > 0)) return false;
    return w.and_mask ? value<true>(row, col, s, 1.0 / (s * s), f, ivar) : value<false>(row, col, s, 1.0 / (s * s), f, ivar);
  }
};

// Per-pixel sums of the mean methods, in double. Each method sums only what it needs (the
// mean's division per value is not paid by the weighted mean).
struct stack_sums {
  double w = 0;    // weighted_mean: sum of ivar
  double wf = 0;   // weighted_mean: sum of ivar * f
  double f = 0;    // mean: sum of f
  double var = 0;  // mean: sum of 1 / ivar
  long long n = 0;
  SPECMILL_HOST_DEVICE void add(bool weighted, double fv, double iv) {
    if (weighted) {
      w += iv;
      wf += iv * fv;
    } else {
      f += fv;
      var += 1.0 / iv;
    }
    ++n;
  }
  SPECMILL_HOST_DEVICE stack_sums& operator+=(const stack_sums& o) {
    w += o.w;
    wf += o.wf;
    f += o.f;
    var += o.var;
    n += o.n;
    return *this;
  }
};

// Output arrays, one element per grid pixel (host or device memory, per entry point). `n_input`
// (optional) receives the contributing values before clipping.
struct stack_output {
  float* flux = nullptr;
  float* ivar = nullptr;
  float* error = nullptr;
  int32_t* n = nullptr;
  int32_t* n_input = nullptr;
};

struct stack_pixel {
  float flux = 0, ivar = 0, error = 0;
  int32_t n = 0;
};

// 1/sqrt(ivar): +inf for ivar 0 (IEEE division by zero; nothing traps it).
SPECMILL_HOST_DEVICE inline float error_of_ivar(double ivar) { return float(1.0 / sqrt(ivar)); }

SPECMILL_HOST_DEVICE inline stack_pixel finish_means(const stack_sums& s, stack_method m) {
  stack_pixel p;
  p.n = int32_t(s.n);
  if (s.n == 0) {
    p.error = error_of_ivar(0);
    return p;
  }
  double flux, ivar;
  if (m == stack_method::weighted_mean) {
    flux = s.wf / s.w;
    ivar = s.w;
  } else {
    flux = s.f / double(s.n);
    ivar = double(s.n) * double(s.n) / s.var;
  }
  p.flux = float(flux);
  p.ivar = float(ivar);
  p.error = error_of_ivar(ivar);
  return p;
}

// ---------------------------------------------------------------- sorted values (median, clip)

// x when keep is true, else +0.0, by masking the bits: the CPU loops' conditional sums as
// integer ops, which GCC vectorises (it will not turn a floating-point select into a vector
// blend under the default -ftrapping-math).
SPECMILL_HOST_DEVICE inline double kept_or_zero(bool keep, double x) {
#if defined(__CUDA_ARCH__)
  return keep ? x : 0.0;
#else
  uint64_t u;
  std::memcpy(&u, &x, 8);
  u &= uint64_t(0) - uint64_t(keep);
  std::memcpy(&x, &u, 8);
  return x;
#endif
}

// A 32-bit key whose unsigned order is the float order (negatives flipped whole, positives with
// the sign bit set): both backends radix-sort these. Only finite values are ever stored.
// Branch-free (xor masks rather than a select), so that loops building keys vectorise.
SPECMILL_HOST_DEVICE inline uint32_t order_key(float v) {
  const uint32_t u = float_bits(v);
  return u ^ ((0u - (u >> 31)) | 0x80000000u);  // negative: ~u; positive: u | sign bit
}
SPECMILL_HOST_DEVICE inline float key_value(uint32_t k) {
  return bits_float(k ^ (((k >> 31) - 1u) | 0x80000000u));
}
// The key of an empty slot (a row that does not contribute): above every finite value's key
// (+inf's is 0xff800000), so it sorts to the end of its pixel.
inline constexpr uint32_t empty_key = 0xffffffffu;

// The robust selection on one pixel's sorted contributing values x[0..n). `Seq` gives
// value(i) (float, ascending) and ivar(i). Everything is O(log n) except the caller's sums over
// the survivors, so both backends run it as is (one thread per pixel on the device).
struct robust_range {
  long long lo = 0, hi = 0;  // survivors x[lo..hi)
  double center = 0;         // median of the survivors
  double mad = 0;            // median absolute deviation of the survivors from `center`
};

template <class Seq>
SPECMILL_HOST_DEVICE double sorted_median(const Seq& x, long long lo, long long hi) {
  const long long m = hi - lo, h = lo + m / 2;
  return (m & 1) ? double(x.value(h)) : 0.5 * (double(x.value(h - 1)) + double(x.value(h)));
}

// First i in [lo, hi) with double(x[i]) - c >= -t (t >= 0), or with double(x[i]) - c > t.
template <class Seq>
SPECMILL_HOST_DEVICE long long first_not_below(const Seq& x, long long lo, long long hi, double c, double t) {
  while (lo < hi) {
    const long long mid = lo + (hi - lo) / 2;
    if (double(x.value(mid)) - c < -t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
template <class Seq>
SPECMILL_HOST_DEVICE long long first_above(const Seq& x, long long lo, long long hi, double c, double t) {
  while (lo < hi) {
    const long long mid = lo + (hi - lo) / 2;
    if (double(x.value(mid)) - c > t) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

// The k-th smallest (0-based) of |x[i] - c| over i in [lo, hi), without forming the deviations:
// left of s (the first x >= c) they ascend going left, from s on they ascend going right, so
// this is the k-th element of the union of two sorted sequences: a binary search over how many
// come from the left one.
template <class Seq>
SPECMILL_HOST_DEVICE double kth_deviation(const Seq& x, long long lo, long long s, long long hi, double c,
                                          long long k) {
  const long long na = s - lo, nb = hi - s;
  auto left = [&](long long j) { return c - double(x.value(s - 1 - j)); };
  auto right = [&](long long j) { return double(x.value(s + j)) - c; };
  long long ilo = k + 1 - nb > 0 ? k + 1 - nb : 0, ihi = na < k + 1 ? na : k + 1;
  while (ilo < ihi) {  // the first i for which taking i from the left needs no more from it
    const long long i = ilo + (ihi - ilo) / 2, j = k + 1 - i;
    if (j > 0 && right(j - 1) > left(i)) ilo = i + 1;
    else ihi = i;
  }
  const long long i = ilo, j = k + 1 - i;
  const double a = i > 0 ? left(i - 1) : 0.0, b = j > 0 ? right(j - 1) : 0.0;
  return a > b ? a : b;
}

template <class Seq>
SPECMILL_HOST_DEVICE double sorted_mad(const Seq& x, long long lo, long long hi, double c) {
  const long long m = hi - lo;
  const long long s = first_not_below(x, lo, hi, c, 0.0);
  if (m & 1) return kth_deviation(x, lo, s, hi, c, m / 2);
  return 0.5 * (kth_deviation(x, lo, s, hi, c, m / 2 - 1) + kth_deviation(x, lo, s, hi, c, m / 2));
}

template <class Seq>
SPECMILL_HOST_DEVICE robust_range robust_select(const Seq& x, long long n, stack_method m, double sigma,
                                                int iterations) {
  robust_range r;
  r.hi = n;
  if (n == 0) return r;
  r.center = sorted_median(x, 0, n);
  r.mad = sorted_mad(x, 0, n, r.center);
  if (m != stack_method::clipped_mean) return r;
  for (int it = 0; it < iterations; ++it) {
    const double t = sigma * mad_to_sigma * r.mad;
    if (!(t > 0)) break;  // MAD 0: half the values agree exactly; nothing to measure scatter by
    const long long lo = first_not_below(x, r.lo, r.hi, r.center, t);
    const long long hi = first_above(x, lo, r.hi, r.center, t);
    if ((lo == r.lo && hi == r.hi) || hi <= lo) break;  // hi <= lo cannot happen for sigma >= 1
    r.lo = lo;
    r.hi = hi;
    r.center = sorted_median(x, lo, hi);
    r.mad = sorted_mad(x, lo, hi, r.center);
  }
  return r;
}

// Results from the selection and the sums over the survivors x[lo..hi): sum_f = sum of values,
// sum_var = sum of 1/ivar, sum_sq = sum of (x - sum_f / n)^2 (clipped_mean only).
SPECMILL_HOST_DEVICE inline stack_pixel finish_robust(const robust_range& r, stack_method m, double sum_f,
                                                     double sum_var, double sum_sq) {
  stack_pixel p;
  const long long n = r.hi - r.lo;
  p.n = int32_t(n);
  if (n == 0) {
    p.error = error_of_ivar(0);
    return p;
  }
  const double nd = double(n);
  double ivar = nd * nd / sum_var;
  if (m == stack_method::median) {
    if (n >= 3) ivar *= two_over_pi;
    p.flux = float(r.center);
    p.ivar = float(ivar);
    p.error = n >= 3 ? float(sqrt_half_pi * mad_to_sigma * r.mad / sqrt(nd)) : error_of_ivar(ivar);
  } else {
    p.flux = float(sum_f / nd);
    p.ivar = float(ivar);
    p.error = n >= 3 ? float(sqrt(sum_sq / (nd - 1)) / sqrt(nd)) : error_of_ivar(ivar);
  }
  return p;
}

// ---------------------------------------------------------------- entry points

// Sums of the mean methods over any number of windows with the same width; finish() turns them
// into per-pixel results. backend::cpu: TBB over columns, each column's rows summed in order
// (deterministic). backend::cuda: the sums live on the device; each window's rows are summed in
// chunks whose partial sums are then added in chunk order (deterministic too, in another order
// than the CPU's: the backends agree to double rounding, ~1e-15 relative).
class stack_accumulator {
 public:
  stack_accumulator(backend b, size_t width, stack_method m);  // weighted_mean or mean
  void add(const stack_window& w);         // host pointers (the cuda backend uploads them)
  void add_device(const stack_window& w);  // device pointers; cuda only
  std::vector<stack_sums> sums() const;
  // Host output arrays of width() elements (n_input: n again).
  void finish(const stack_output& out) const;
  size_t width() const { return width_; }

 private:
  backend backend_;
  size_t width_;
  stack_method method_;
  std::vector<stack_sums> host_;
  device_buffer device_sums_, partials_;
  device_buffer staged_[4];  // flux, ivar, and_mask, row_scale of the window being added
};

// One list row for stack_tile::add_rows, read in place (a pointer into its block's mapping,
// engine/stack/stack_direct.cpp): its values for the tile's columns [first, last), the arrays
// pointing at column `first`'s value. Every other column of the row is an empty slot.
struct stack_row {
  const float* flux = nullptr;
  const float* ivar = nullptr;
  const int32_t* and_mask = nullptr;  // read only when mask_bits is not 0
  size_t first = 0, last = 0;
  double scale = 1.0;  // as stack_window::row_scale's entry (row_factor)
};

// A tile of `width` pixels for the median and clipped mean: one slot per (pixel, row of the
// list), `capacity` rows. add() places each window's values in the slots of its rows (a row
// that does not contribute leaves its slot empty, never a zero; on the CPU the slots of rows
// never added are never read, so the tile is not emptied first); finish() sorts each pixel's
// values and selects. Memory: capacity * width * bytes_per_slot(b), plus on the CPU one sort
// buffer of capacity * 8 bytes per thread.
class stack_tile {
 public:
  stack_tile(backend b, size_t width, size_t capacity);
  // Empties every slot for a new tile of `width` <= the constructed width, reusing the memory
  // (a fresh allocation per tile costs its page faults again: ~8% of a median, measured).
  void reset(size_t width);
  static size_t bytes_per_slot(backend b);  // 8 on the CPU (key and ivar packed); 24 on the device
  // Rows [first_row, first_row + w.n_rows) of the list; host pointers (cuda uploads them).
  void add(const stack_window& w, size_t first_row);
  void add_device(const stack_window& w, size_t first_row);  // device pointers; cuda only
  // CPU only: rows [first_row, first_row + rows.size()) from arrays read in place, each covering
  // some of the tile's columns: the slots add() would give a window of the same values (the
  // and_masks are read only when mask_bits is not 0, when they are required).
  void add_rows(std::span<const stack_row> rows, size_t first_row, uint32_t mask_bits);
  // Host output arrays of width elements. The tile is consumed (sorted in place).
  void finish(stack_method m, double sigma, int iterations, const stack_output& out);
  size_t width() const { return width_; }
  size_t capacity() const { return capacity_; }

 private:
  backend backend_;
  size_t width_, capacity_, max_width_;
  // cpu: [width][capacity] order_key(value) << 32 | float bits of ivar, left uninitialised: only
  // the slots of added rows are ever read (added_), so no pass empties the whole tile first (a
  // memset of the tile was ~14% of a CPU median stack, and its page faults more; perf).
  huge_pages host_;
  std::vector<uint8_t> added_;  // cpu: per row of the tile, 1 once add() placed it
  void mark_added(size_t first_row, size_t n_rows);
  device_buffer keys_, ivars_;  // cuda: [width][capacity] pixel << 32 | order_key, and ivar (x2: sort buffers)
  device_buffer staged_[4];
  // cuda, made by the first finish() and reused by every later tile: the radix sort's
  // temporary storage and the five result columns.
  device_buffer sort_temp_, results_;
};

namespace detail {
// The CUDA halves of the classes above (stack.cu; stack_nocuda.cpp throws).
void stack_accumulate_device(const stack_window& w, bool weighted, stack_sums* sums, device_buffer& partials);
// All slots empty; returns when done (the gathers that follow run on the windows' streams).
void stack_tile_init_device(uint64_t* keys, float* ivars, size_t width, size_t capacity);
void stack_tile_gather_device(const stack_window& w, size_t first_row, size_t capacity, uint64_t* keys,
                              float* ivars);
// sort_temp and results (5 * width floats) grow when too small and are otherwise reused.
void stack_tile_finish_device(uint64_t* keys, float* ivars, size_t width, size_t capacity, stack_method m,
                              double sigma, int iterations, const stack_output& host_out, device_buffer& sort_temp,
                              device_buffer& results);
// The CPU accumulation loop, serial, for callers that parallelise themselves (the engine's
// one-pass path): every row of `w` into the arrays a, b, n of w.width columns (weighted:
// sum ivar, sum ivar f; else sum f, sum 1/ivar; n: count), rows in order.
void accumulate_cpu_serial(const stack_window& w, bool weighted, double* a, double* b, long long* n);
// CPU sort of one pixel's packed slots by their upper 32 bits (LSD radix, 11 bits a pass);
// `scratch` holds n elements. Exposed for tests.
void radix_sort_upper32(uint64_t* a, uint64_t* scratch, size_t n);
// The same sort's pieces, for callers that count the digits while making their values: three
// passes of 11, 11 and 10 bits of the upper 32 (a 2048-entry histogram each: 24 KB together,
// in L1), counts of (x >> 32) & 2047, (x >> 43) & 2047 and x >> 54.
inline constexpr int radix_bits[3] = {11, 11, 10};
inline constexpr int radix_shifts[3] = {32, 43, 54};
using radix_counts = std::array<uint32_t, 3 * 2048>;
inline void count_digits(radix_counts& c, uint64_t x, uint32_t times = 1) {
  c[(x >> 32) & 2047] += times;
  c[2048 + ((x >> 43) & 2047)] += times;
  c[4096 + (x >> 54)] += times;
}
// Sorts a[0..n) with the counts of exactly those n values (consumed). The sorted values are in
// a or in scratch (after an odd number of passes: no copy back), whichever is returned.
const uint64_t* radix_sort_counted(uint64_t* a, uint64_t* scratch, size_t n, radix_counts& count);
}  // namespace detail

}  // namespace specmill
