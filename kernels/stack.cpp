// CPU backend of stacking and the classes' backend dispatch (the CUDA halves are stack.cu, or
// their stand-ins in stack_nocuda.cpp in builds without CUDA).
#include "kernels/stack.hpp"

#include <tbb/blocked_range.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <limits>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
namespace {

// Columns per accumulation task, at least: a task streams its stretch of every row of the
// window. Short stretches defeat the hardware prefetcher (256 columns: each row a fresh 1 KB
// run per array) and cost 2.5x (measured); long ones keep the sums (40 B a column) in L2.
constexpr size_t min_grain_columns = 1024;
// Rows per gather task, at most: the task writes this many consecutive slots of every pixel.
constexpr size_t grain_rows = 512;
// Below this many values a comparison sort beats four radix passes.
constexpr size_t radix_min = 256;

void check_window(const stack_window& w, size_t width) {
  SPECMILL_EXPECTS(w.n_rows == 0 || w.width == width, "stack: window width differs from the grid's");
  SPECMILL_EXPECTS(w.n_rows == 0 || width == 0 || (w.flux && w.ivar), "stack: flux and ivar are required");
  SPECMILL_EXPECTS(!w.mask_bits || w.and_mask || w.n_rows == 0, "stack: mask_bits set but no and_mask given");
}

template <class T>
device_buffer& stage(device_buffer& buf, const T* host, size_t n) {
  if (!host || n == 0) {
    buf.resize(0);
    return buf;
  }
  buf.resize(n * sizeof(T));
  buf.copy_from_host(host, n * sizeof(T));
  return buf;
}

// The window with its arrays in device memory (uploaded into `bufs`).
stack_window upload(const stack_window& w, device_buffer (&bufs)[4]) {
  stack_window d = w;
  const size_t n = w.n_rows * w.width;
  d.flux = stage(bufs[0], w.flux, n).data<float>();
  d.ivar = stage(bufs[1], w.ivar, n).data<float>();
  d.and_mask = w.and_mask ? stage(bufs[2], w.and_mask, n).data<int32_t>() : nullptr;
  d.row_scale = w.row_scale ? stage(bufs[3], w.row_scale, w.n_rows).data<double>() : nullptr;
  d.stream = cuda_stream_view{};  // the copies above were synchronous
  return d;
}

// One pixel's packed slots, read as the sorted sequence robust_select wants.
struct packed_sequence {
  const uint64_t* a;
  float value(long long i) const { return key_value(uint32_t(a[i] >> 32)); }
  float ivar(long long i) const { return bits_float(uint32_t(a[i])); }
};

// Sorting each pixel's values (radix, then the O(log n) selections of robust_select) stays the
// CPU method: selection instead was built and measured (issue 16, bench/RESULTS.md) and lost on
// 10,000 values a pixel: the median needs a second selection over the deviations for its MAD
// (here O(log^2 n) on the sorted run), and each clipping round two more. Per value, one thread:
// this sort 5.5 ns (median) / 6.3 ns (clipped mean, 3 rounds); std::nth_element 8.2 / 21;
// MSD radix selection 7.4 / 21; a Floyd-Rivest sampled window then nth_element 10.3 / 28.
// Runs [first, last) of the tile's rows that add() placed: only their slots hold values.
using row_runs = std::vector<std::pair<size_t, size_t>>;

stack_pixel robust_pixel(uint64_t* col, const row_runs& runs, std::vector<uint64_t>& scratch,
                         detail::radix_counts& counts, stack_method m, double sigma, int iterations, size_t& n) {
  // Compact the filled slots of the added rows to the front (their order does not matter: they
  // get sorted). Branch-free: every slot is copied, and n advances over the filled ones.
  // The radix sort's digit counts are taken in the same pass (an empty slot's key is counted
  // too, then taken out again: branch-free, and the slots are in L1/L2 only once).
  n = 0;
  size_t empty = 0;
  detail::radix_counts& count = counts;
  std::fill(count.begin(), count.end(), 0u);
  for (const auto& [first, last] : runs)
    for (size_t i = first; i < last; ++i) {
      const uint64_t x = col[i];
      col[n] = x;
      const bool filled = uint32_t(x >> 32) != empty_key;
      n += filled;
      empty += !filled;
      detail::count_digits(count, x);
    }
  const uint64_t* sorted = col;
  if (n < radix_min) {
    std::sort(col, col + n, [](uint64_t a, uint64_t b) { return (a >> 32) < (b >> 32); });
  } else {
    detail::count_digits(count, uint64_t(empty_key) << 32, -uint32_t(empty));
    if (scratch.size() < n) scratch.resize(n);
    sorted = detail::radix_sort_counted(col, scratch.data(), n, count);
  }
  const packed_sequence x{sorted};
  const robust_range r = robust_select(x, (long long)n, m, sigma, iterations);
  double sum_f = 0, sum_var = 0, sum_sq = 0;
  for (long long i = r.lo; i < r.hi; ++i) {
    sum_f += double(x.value(i));
    sum_var += 1.0 / double(x.ivar(i));
  }
  if (m == stack_method::clipped_mean && r.hi - r.lo >= 3) {
    const double mean = sum_f / double(r.hi - r.lo);
    for (long long i = r.lo; i < r.hi; ++i) {
      const double d = double(x.value(i)) - mean;
      sum_sq += d * d;
    }
  }
  return finish_robust(r, m, sum_f, sum_var, sum_sq);
}

// Columns [c0, c0 + len) of every row of the window into the arrays a, b, n (weighted: sum ivar,
// sum ivar f; else sum f, sum 1/ivar): the vectorised inner loops of stack_accumulator::add.
// The functor's tests are integer compares and the sums selects of values computed
// unconditionally, so GCC vectorises the column loops (see stack_value_op::value).
template <bool HasMask>
[[gnu::always_inline]] inline void accumulate_rows(const stack_value_op& op, bool weighted, size_t c0, size_t len,
                                                   double* a, double* b, long long* n) {
  for (size_t row = 0; row < op.w.n_rows; ++row) {
    const double s = op.row_factor(row);
    if (!(s > 0)) continue;
    const double inv_s2 = 1.0 / (s * s);
    if (weighted) {
      for (size_t k = 0; k < len; ++k) {
        double f, iv;
        const bool good = op.value<HasMask>(row, c0 + k, s, inv_s2, f, iv);
        a[k] += kept_or_zero(good, iv);
        b[k] += kept_or_zero(good, iv * f);
        n[k] += good;
      }
    } else {
      for (size_t k = 0; k < len; ++k) {
        double f, iv;
        const bool good = op.value<HasMask>(row, c0 + k, s, inv_s2, f, iv);
        a[k] += kept_or_zero(good, f);
        b[k] += kept_or_zero(good, 1.0 / iv);
        n[k] += good;
      }
    }
  }
}

// accumulate_rows compiled for each x86-64 vector width (GCC function multiversioning: the
// loader picks the widest the CPU has). The build targets baseline x86-64 (SSE2: 2 doubles a
// vector); the project's VM has AVX-512 (8), and the loop is compute-bound there, not memory-
// bound (perf: 71% of a weighted-mean stack in its SSE2 loads and conversions). The sums are
// the same: each add's operands are masked bit patterns (kept_or_zero), so no clone can fuse a
// multiply into them (FMA), and every column's additions stay in row order.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(__CUDACC__)
#define SPECMILL_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SPECMILL_VECTOR_CLONES
#endif

SPECMILL_VECTOR_CLONES void accumulate_masked(const stack_value_op& op, bool weighted, size_t c0, size_t len,
                                              double* a, double* b, long long* n) {
  accumulate_rows<true>(op, weighted, c0, len, a, b, n);
}
SPECMILL_VECTOR_CLONES void accumulate_unmasked(const stack_value_op& op, bool weighted, size_t c0, size_t len,
                                                double* a, double* b, long long* n) {
  accumulate_rows<false>(op, weighted, c0, len, a, b, n);
}

// Rows per gather block and columns per block: a block's packed values (16 x 128 x 8 B = 16 KB)
// stay in L1 between being computed row by row and written out column by column.
constexpr size_t gather_block_rows = 16;
constexpr size_t gather_block_cols = 128;

// The packed slots (order key << 32 | ivar bits; an empty slot's key for a value that does not
// count) of one row's values fl[0..len), iv[0..len) (and mk[0..len) with HasMask) into
// out[0..len): contiguous loads, so each vector width's clone vectorises it (see
// accumulate_rows). The rule and arithmetic are stack_value's, as for every other stacked value,
// on pointers, so that a window's rows and rows read in place (stack_tile::add_rows) pack alike.
template <bool HasMask>
[[gnu::always_inline]] inline void pack_values(const float* fl, const float* iv, const int32_t* mk, uint32_t mask_bits,
                                               size_t len, double s, double inv_s2, uint32_t row_ok, uint64_t* out) {
  if (s == 1.0) {
    // Unscaled (no row_scale, or a factor of exactly 1): float(double(x) * 1) is x, so the slot
    // is built from the stored bits with integer operations only, which GCC vectorises (the
    // general loop below, with its double conversions, it does not). Same bits either way
    // (tests/kernels/stack_test.cpp pits the two against each other).
    for (size_t j = 0; j < len; ++j) {
      const uint32_t m = HasMask ? uint32_t(mk[j]) : 0u;
      const uint64_t good = uint64_t(good_pixel(fl[j], iv[j], m, mask_bits) & (row_ok != 0));
      const uint64_t packed = (uint64_t(order_key(fl[j])) << 32) | float_bits(iv[j]);
      out[j] = (packed & (0 - good)) | ((uint64_t(empty_key) << 32) & (good - 1));
    }
    return;
  }
  for (size_t j = 0; j < len; ++j) {
    double f, v;
    const bool good = (row_ok != 0) & stack_value(fl[j], iv[j], HasMask ? uint32_t(mk[j]) : 0u, mask_bits, s, inv_s2, f, v);
    // Stored as float: exact for unscaled values; a scaled one is rounded once (2^-24).
    const uint64_t packed = (uint64_t(order_key(float(f))) << 32) | float_bits(float(v));
    out[j] = good ? packed : uint64_t(empty_key) << 32;
  }
}
SPECMILL_VECTOR_CLONES void pack_values_masked(const float* fl, const float* iv, const int32_t* mk, uint32_t mask_bits,
                                               size_t len, double s, double inv_s2, uint32_t row_ok, uint64_t* out) {
  pack_values<true>(fl, iv, mk, mask_bits, len, s, inv_s2, row_ok, out);
}
SPECMILL_VECTOR_CLONES void pack_values_unmasked(const float* fl, const float* iv, uint32_t mask_bits, size_t len,
                                                 double s, double inv_s2, uint32_t row_ok, uint64_t* out) {
  pack_values<false>(fl, iv, nullptr, mask_bits, len, s, inv_s2, row_ok, out);
}
template <bool HasMask>
void pack(const float* fl, const float* iv, const int32_t* mk, uint32_t mask_bits, size_t len, double s,
          double inv_s2, uint32_t row_ok, uint64_t* out) {
  if (HasMask)
    pack_values_masked(fl, iv, mk, mask_bits, len, s, inv_s2, row_ok, out);
  else
    pack_values_unmasked(fl, iv, mask_bits, len, s, inv_s2, row_ok, out);
}

// A row's scale s, 1/s^2 and whether it counts, as stack_value_op gives them (row_ok an
// integer, not s > 0 in the loop: see value()).
struct row_factors {
  double s[gather_block_rows], inv_s2[gather_block_rows];
  uint32_t ok[gather_block_rows];
  void set(size_t k, double factor) {
    s[k] = factor;
    ok[k] = factor > 0;
    inv_s2[k] = ok[k] ? 1.0 / (factor * factor) : 0.0;
  }
};

// A block's packed rows written out column by column: each pixel's run of the block's rows
// contiguous in its slots (16 slots: two whole cache lines).
inline void write_block(const uint64_t (&block)[gather_block_rows][gather_block_cols], size_t kn, size_t cn,
                        uint64_t* slots, size_t c0, size_t cap, size_t row0) {
  for (size_t j = 0; j < cn; ++j) {
    uint64_t* out = slots + (c0 + j) * cap + row0;
    for (size_t k = 0; k < kn; ++k) out[k] = block[k][j];
  }
}

// The slots of rows [first_row, first_row + rows.size()) of every pixel: the CPU half of
// stack_tile::add and add_rows, a transpose. Each row gives its values for its columns
// [first, last) of the tile; its other slots are empty. Blocked: a block of gather_block_rows rows
// x gather_block_cols columns is packed row by row (contiguous, vectorised loads of flux, ivar
// and mask), then written column by column, each pixel's run of the block's rows contiguous (16
// slots: two whole cache lines). Reading column by column instead (a strided load per value from
// ~1,500 lines) made the gather ~35-40% of a CPU median (perf) and ran at ~12 ns a value.
// `grain`: rows per task.
template <bool HasMask>
void gather_rows(std::span<const stack_row> rows, uint32_t mask_bits, size_t width, size_t first_row, size_t cap,
                 uint64_t* slots, size_t grain) {
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, rows.size(), grain),
      [&](const tbb::blocked_range<size_t>& r) {
        alignas(64) uint64_t block[gather_block_rows][gather_block_cols];
        for (size_t k0 = r.begin(); k0 < r.end(); k0 += gather_block_rows) {
          const size_t kn = std::min(gather_block_rows, r.end() - k0);
          row_factors rf;
          for (size_t k = 0; k < kn; ++k) rf.set(k, row_factor(rows[k0 + k].scale));
          for (size_t c0 = 0; c0 < width; c0 += gather_block_cols) {
            const size_t cn = std::min(gather_block_cols, width - c0);
            for (size_t k = 0; k < kn; ++k) {
              const stack_row& row = rows[k0 + k];
              const size_t a = std::clamp(row.first, c0, c0 + cn), b = std::clamp(row.last, a, c0 + cn);
              uint64_t* out = block[k];
              std::fill(out, out + (a - c0), uint64_t(empty_key) << 32);
              if (b > a)
                pack<HasMask>(row.flux + (a - row.first), row.ivar + (a - row.first),
                              HasMask ? row.and_mask + (a - row.first) : nullptr, mask_bits, b - a, rf.s[k],
                              rf.inv_s2[k], rf.ok[k], out + (a - c0));
              std::fill(out + (b - c0), out + cn, uint64_t(empty_key) << 32);
            }
            write_block(block, kn, cn, slots, c0, cap, first_row + k0);
          }
        }
      },
      tbb::simple_partitioner());
}

void write_pixel(const stack_output& out, size_t k, const stack_pixel& p, int32_t n_input) {
  if (out.flux) out.flux[k] = p.flux;
  if (out.ivar) out.ivar[k] = p.ivar;
  if (out.error) out.error[k] = p.error;
  if (out.n) out.n[k] = p.n;
  if (out.n_input) out.n_input[k] = n_input;
}

}  // namespace

namespace detail {

void radix_sort_upper32(uint64_t* a, uint64_t* scratch, size_t n) {
  SPECMILL_EXPECTS(n <= UINT32_MAX, "radix_sort_upper32: more than 2^32 values");
  radix_counts count{};
  for (size_t i = 0; i < n; ++i) count_digits(count, a[i]);
  const uint64_t* sorted = radix_sort_counted(a, scratch, n, count);
  if (sorted != a) std::copy(sorted, sorted + n, a);
}

const uint64_t* radix_sort_counted(uint64_t* a, uint64_t* scratch, size_t n, radix_counts& count) {
  uint64_t *src = a, *dst = scratch;
  for (int pass = 0; pass < 3; ++pass) {
    const int shift = radix_shifts[pass];
    const uint64_t digit_mask = (uint64_t(1) << radix_bits[pass]) - 1;
    uint32_t* c = count.data() + 2048 * pass;
    if (n == 0 || c[(src[0] >> shift) & digit_mask] == n) continue;  // every key shares this digit
    uint32_t sum = 0;
    for (size_t b = 0; b <= digit_mask; ++b) {
      const uint32_t here = c[b];
      c[b] = sum;
      sum += here;
    }
    if (pass < 2) {
      for (size_t i = 0; i < n; ++i) dst[c[(src[i] >> shift) & digit_mask]++] = src[i];
    } else {
      // The top digit (sign, exponent, one mantissa bit) takes few values in one pixel, so
      // consecutive keys mostly share it and each c[digit]++ waits for the last. Two streams, the
      // first and second half of src, each with its own offsets (the second half's start after
      // the first half's count of the digit: still stable), so two chains run side by side.
      const size_t h = n / 2;
      uint32_t first[1024] = {}, second[1024];
      for (size_t i = 0; i < h; ++i) ++first[src[i] >> shift];
      for (size_t b = 0; b <= digit_mask; ++b) {
        second[b] = c[b] + first[b];
        first[b] = c[b];
      }
      for (size_t i = 0, j = h; i < h; ++i, ++j) {
        const uint64_t x = src[i], y = src[j];
        dst[first[x >> shift]++] = x;
        dst[second[y >> shift]++] = y;
      }
      if (n & 1) dst[second[src[n - 1] >> shift]++] = src[n - 1];
    }
    std::swap(src, dst);
  }
  return src;
}

void accumulate_cpu_serial(const stack_window& w, bool weighted, double* a, double* b, long long* n) {
  const stack_value_op op{w};
  if (w.and_mask)
    accumulate_masked(op, weighted, 0, w.width, a, b, n);
  else
    accumulate_unmasked(op, weighted, 0, w.width, a, b, n);
}

}  // namespace detail

// ---------------------------------------------------------------- stack_accumulator

stack_accumulator::stack_accumulator(backend b, size_t width, stack_method m) : backend_(b), width_(width), method_(m) {
  SPECMILL_EXPECTS(m == stack_method::weighted_mean || m == stack_method::mean,
                   "stack_accumulator: median and clipped_mean need a stack_tile");
  if (b == backend::cpu) {
    host_.assign(width, stack_sums{});
    return;
  }
  require_cuda_compiled();
  std::vector<stack_sums> zero(width);
  device_sums_ = device_buffer(std::max<size_t>(1, width) * sizeof(stack_sums));
  if (width) device_sums_.copy_from_host(zero.data(), width * sizeof(stack_sums));
}

void stack_accumulator::add(const stack_window& w) {
  check_window(w, width_);
  if (w.n_rows == 0 || width_ == 0) return;
  if (backend_ == backend::cuda) {
    add_device(upload(w, staged_));
    return;
  }
  const stack_value_op op{w};
  stack_sums* sums = host_.data();
  // Two tasks a thread (balance), each at least min_grain_columns wide; every column's rows are
  // summed in order whatever the split, so the result does not depend on the thread count.
  const size_t threads = size_t(tbb::this_task_arena::max_concurrency());
  const size_t grain = std::max(min_grain_columns, (width_ + 2 * threads - 1) / (2 * threads));
  const bool weighted = method_ == stack_method::weighted_mean;
  tbb::parallel_for(
      tbb::blocked_range<size_t>(0, width_, grain),
      [&](const tbb::blocked_range<size_t>& r) {
        // The task's sums as separate arrays (vectorisable), picked up and put back in place so
        // that each column's additions stay in row order.
        const size_t c0 = r.begin(), len = r.size();
        std::vector<double> a(len), b(len);
        std::vector<long long> n(len);
        for (size_t k = 0; k < len; ++k) {
          a[k] = weighted ? sums[c0 + k].w : sums[c0 + k].f;
          b[k] = weighted ? sums[c0 + k].wf : sums[c0 + k].var;
          n[k] = sums[c0 + k].n;
        }
        if (w.and_mask)
          accumulate_masked(op, weighted, c0, len, a.data(), b.data(), n.data());
        else
          accumulate_unmasked(op, weighted, c0, len, a.data(), b.data(), n.data());
        for (size_t k = 0; k < len; ++k) {
          (weighted ? sums[c0 + k].w : sums[c0 + k].f) = a[k];
          (weighted ? sums[c0 + k].wf : sums[c0 + k].var) = b[k];
          sums[c0 + k].n = n[k];
        }
      },
      tbb::simple_partitioner());
}

void stack_accumulator::add_device(const stack_window& w) {
  SPECMILL_EXPECTS(backend_ == backend::cuda, "stack_accumulator::add_device on a CPU accumulator");
  check_window(w, width_);
  if (w.n_rows == 0 || width_ == 0) return;
  detail::stack_accumulate_device(w, method_ == stack_method::weighted_mean, device_sums_.data<stack_sums>(), partials_);
}

std::vector<stack_sums> stack_accumulator::sums() const {
  if (backend_ == backend::cpu) return host_;
  std::vector<stack_sums> out(width_);
  if (width_) device_sums_.copy_to_host(out.data(), width_ * sizeof(stack_sums));
  return out;
}

void stack_accumulator::finish(const stack_output& out) const {
  const std::vector<stack_sums> s = sums();  // width * 40 bytes: finishing is host work either way
  for (size_t k = 0; k < width_; ++k) write_pixel(out, k, finish_means(s[k], method_), int32_t(s[k].n));
}

// ---------------------------------------------------------------- stack_tile

size_t stack_tile::bytes_per_slot(backend b) {
  // Device: key and ivar, each double-buffered for the radix sort.
  return b == backend::cpu ? sizeof(uint64_t) : 2 * (sizeof(uint64_t) + sizeof(float));
}

stack_tile::stack_tile(backend b, size_t width, size_t capacity)
    : backend_(b), width_(width), capacity_(capacity), max_width_(width) {
  SPECMILL_EXPECTS(capacity <= size_t(std::numeric_limits<int32_t>::max()), "stack: more than 2^31 rows in a tile");
  SPECMILL_EXPECTS(width < (size_t(1) << 31), "stack: tile too wide");
  const size_t slots = width * capacity;
  if (b == backend::cpu) {
    host_ = huge_pages(std::max<size_t>(1, slots) * sizeof(uint64_t));  // uninitialised: no pass over it
    added_.assign(capacity, 0);
    return;
  }
  require_cuda_compiled();
  // Twice the slots: the radix sort's second buffers.
  keys_ = device_buffer(std::max<size_t>(1, 2 * slots) * sizeof(uint64_t));
  ivars_ = device_buffer(std::max<size_t>(1, 2 * slots) * sizeof(float));
  detail::stack_tile_init_device(keys_.data<uint64_t>(), ivars_.data<float>(), width, capacity);
}

void stack_tile::reset(size_t width) {
  SPECMILL_EXPECTS(width <= max_width_, "stack_tile::reset: wider than the tile was made");
  width_ = width;
  if (backend_ == backend::cpu)
    std::fill(added_.begin(), added_.end(), uint8_t(0));  // the slots themselves are rewritten by add()
  else
    detail::stack_tile_init_device(keys_.data<uint64_t>(), ivars_.data<float>(), width, capacity_);
}

void stack_tile::add(const stack_window& w, size_t first_row) {
  check_window(w, width_);
  SPECMILL_EXPECTS(first_row <= capacity_ && w.n_rows <= capacity_ - first_row, "stack_tile: rows beyond capacity");
  if (w.n_rows == 0 || width_ == 0) return;
  if (backend_ == backend::cuda) {
    add_device(upload(w, staged_), first_row);
    return;
  }
  // A window's rows cover every column of the tile; a row without row_scale has the scale 1.
  std::vector<stack_row> rows(w.n_rows);
  for (size_t r = 0; r < w.n_rows; ++r) {
    const size_t at = r * w.width;
    rows[r] = {w.flux + at, w.ivar + at, w.and_mask ? w.and_mask + at : nullptr, 0, w.width,
               w.row_scale ? w.row_scale[r] : 1.0};
  }
  uint64_t* slots = host_.as<uint64_t>();
  if (w.and_mask)
    gather_rows<true>(rows, w.mask_bits, width_, first_row, capacity_, slots, grain_rows);
  else
    gather_rows<false>(rows, w.mask_bits, width_, first_row, capacity_, slots, grain_rows);
  mark_added(first_row, w.n_rows);
}

void stack_tile::add_rows(std::span<const stack_row> rows, size_t first_row, uint32_t mask_bits) {
  SPECMILL_EXPECTS(backend_ == backend::cpu, "stack_tile::add_rows: rows in place are a CPU path");
  SPECMILL_EXPECTS(first_row <= capacity_ && rows.size() <= capacity_ - first_row, "stack_tile: rows beyond capacity");
  const bool masked = mask_bits != 0;
  for (const stack_row& r : rows) {
    const bool arrays = r.first == r.last || (r.flux && r.ivar && (!masked || r.and_mask));
    SPECMILL_EXPECTS(r.first <= r.last && r.last <= width_ && arrays,
                     "stack_tile::add_rows: a row's columns or arrays are not valid");
  }
  if (rows.empty() || width_ == 0) return;
  uint64_t* slots = host_.as<uint64_t>();
  if (masked)
    gather_rows<true>(rows, mask_bits, width_, first_row, capacity_, slots, gather_block_rows);
  else
    gather_rows<false>(rows, mask_bits, width_, first_row, capacity_, slots, gather_block_rows);
  mark_added(first_row, rows.size());
}

void stack_tile::mark_added(size_t first_row, size_t n_rows) {
  std::fill_n(added_.begin() + long(first_row), n_rows, uint8_t(1));
}

void stack_tile::add_device(const stack_window& w, size_t first_row) {
  SPECMILL_EXPECTS(backend_ == backend::cuda, "stack_tile::add_device on a CPU tile");
  check_window(w, width_);
  SPECMILL_EXPECTS(first_row <= capacity_ && w.n_rows <= capacity_ - first_row, "stack_tile: rows beyond capacity");
  if (w.n_rows == 0 || width_ == 0) return;
  detail::stack_tile_gather_device(w, first_row, capacity_, keys_.data<uint64_t>(), ivars_.data<float>());
}

void stack_tile::finish(stack_method m, double sigma, int iterations, const stack_output& out) {
  SPECMILL_EXPECTS(m == stack_method::median || m == stack_method::clipped_mean,
                   "stack_tile: the mean methods use a stack_accumulator");
  if (width_ == 0) return;
  if (backend_ == backend::cuda) {
    detail::stack_tile_finish_device(keys_.data<uint64_t>(), ivars_.data<float>(), width_, capacity_, m, sigma,
                                     iterations, out, sort_temp_, results_);
    return;
  }
  row_runs runs;
  for (size_t r = 0; r < capacity_;) {
    if (!added_[r]) {
      ++r;
      continue;
    }
    const size_t first = r;
    while (r < capacity_ && added_[r]) ++r;
    runs.emplace_back(first, r);
  }
  tbb::enumerable_thread_specific<std::vector<uint64_t>> scratch;
  tbb::enumerable_thread_specific<detail::radix_counts> counts;
  uint64_t* slots = host_.as<uint64_t>();
  tbb::parallel_for(size_t(0), width_, [&](size_t c) {
    size_t filled = 0;
    const stack_pixel p =
        robust_pixel(slots + c * capacity_, runs, scratch.local(), counts.local(), m, sigma, iterations, filled);
    write_pixel(out, c, p, int32_t(filled));
  });
}

}  // namespace specmill
