// CUDA backend of stacking: the device halves of stack_accumulator and stack_tile
// (stack.hpp), calling the same functors as the TBB path.
//
// Means: one thread per (column, chunk of rows) sums its chunk in row order into a partial;
// a second kernel adds the partials to the running sums in chunk order. Nothing is atomic, so
// results are the same run after run.
//
// Median and clipping: each slot's key is (pixel << 32) | order_key(value), so ONE device-wide
// radix sort over the tile (cub::DeviceRadixSort, keys and ivar) sorts every pixel's values
// in place, its empty slots last; a block per pixel then finds the count, runs robust_select on
// thread 0 (O(log n)) and block-reduces the sums over the survivors. A segmented sort would
// give one thread block to each pixel's up to millions of values; the flat sort keeps the whole
// device busy whatever the tile's shape.
#include <cuda_runtime.h>

#include <algorithm>
#include <cub/block/block_reduce.cuh>
#include <cub/device/device_radix_sort.cuh>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/launch/for_each.cuh"
#include "kernels/stack.hpp"

namespace specmill {
namespace {

constexpr int block_threads = 256;
constexpr int robust_threads = 128;
// Rows a thread sums before handing over a partial: enough work per thread to hide latency,
// enough chunks to fill the device at SDSS widths.
constexpr size_t chunk_rows = 64;

int grid_for(size_t work, int per_sm) { return detail::grid_blocks(work, per_sm); }
int blocks_for(size_t items) { return grid_for((items + block_threads - 1) / block_threads, 16); }

__global__ void partial_sums_kernel(stack_value_op op, bool weighted, size_t n_chunks, stack_sums* partials) {
  const size_t width = op.w.width, total = n_chunks * width;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const size_t chunk = i / width, col = i % width;  // neighbouring threads: neighbouring columns
    const size_t end = (chunk + 1) * chunk_rows < op.w.n_rows ? (chunk + 1) * chunk_rows : op.w.n_rows;
    stack_sums s;
    for (size_t row = chunk * chunk_rows; row < end; ++row) {
      double f, iv;
      if (op(row, col, f, iv)) s.add(weighted, f, iv);
    }
    partials[i] = s;
  }
}

__global__ void add_partials_kernel(const stack_sums* partials, size_t n_chunks, size_t width, stack_sums* sums) {
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t col = size_t(blockIdx.x) * blockDim.x + threadIdx.x; col < width; col += stride) {
    stack_sums s = sums[col];
    for (size_t c = 0; c < n_chunks; ++c) s += partials[c * width + col];
    sums[col] = s;
  }
}

__global__ void init_slots_kernel(uint64_t* keys, float* ivars, size_t width, size_t capacity) {
  const size_t total = width * capacity, stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    keys[i] = (uint64_t(i / capacity) << 32) | empty_key;
    ivars[i] = 0.f;
  }
}

// Reads are coalesced (a window row is contiguous); the writes go to `capacity`-strided slots.
__global__ void gather_kernel(stack_value_op op, size_t first_row, size_t capacity, uint64_t* keys, float* ivars) {
  const size_t width = op.w.width, total = op.w.n_rows * width;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += stride) {
    const size_t row = i / width, col = i % width;
    double f, iv;
    const bool good = op(row, col, f, iv);
    const size_t slot = col * capacity + first_row + row;
    keys[slot] = (uint64_t(col) << 32) | (good ? order_key(float(f)) : empty_key);
    ivars[slot] = good ? float(iv) : 0.f;
  }
}

struct split_sequence {
  const uint64_t* keys;
  const float* ivars;
  __device__ float value(long long i) const { return key_value(uint32_t(keys[i])); }
  __device__ float ivar(long long i) const { return ivars[i]; }
};

__global__ void __launch_bounds__(robust_threads)
    robust_kernel(const uint64_t* keys, const float* ivars, size_t width, size_t capacity, stack_method m,
                  double sigma, int iterations, stack_output out) {
  using reduce = cub::BlockReduce<double, robust_threads>;
  __shared__ typename reduce::TempStorage scratch;
  __shared__ robust_range shared_range;
  __shared__ long long shared_n;
  __shared__ double shared_mean;
  for (size_t p = blockIdx.x; p < width; p += gridDim.x) {
    const split_sequence x{keys + p * capacity, ivars + p * capacity};
    if (threadIdx.x == 0) {
      long long lo = 0, hi = (long long)capacity;  // the first empty slot: the count
      while (lo < hi) {
        const long long mid = lo + (hi - lo) / 2;
        if (uint32_t(x.keys[mid]) == empty_key) hi = mid;
        else lo = mid + 1;
      }
      shared_n = lo;
      shared_range = robust_select(x, lo, m, sigma, iterations);
    }
    __syncthreads();
    const robust_range r = shared_range;
    double f = 0, v = 0;
    for (long long i = r.lo + threadIdx.x; i < r.hi; i += robust_threads) {
      f += double(x.value(i));
      v += 1.0 / double(x.ivar(i));
    }
    const double sum_f = reduce(scratch).Sum(f);  // valid on thread 0
    __syncthreads();
    const double sum_var = reduce(scratch).Sum(v);
    if (threadIdx.x == 0) shared_mean = sum_f / double(r.hi - r.lo);
    __syncthreads();
    double sq = 0;
    if (m == stack_method::clipped_mean && r.hi - r.lo >= 3)
      for (long long i = r.lo + threadIdx.x; i < r.hi; i += robust_threads) {
        const double d = double(x.value(i)) - shared_mean;
        sq += d * d;
      }
    const double sum_sq = reduce(scratch).Sum(sq);
    if (threadIdx.x == 0) {
      const stack_pixel px = finish_robust(r, m, sum_f, sum_var, sum_sq);
      if (out.flux) out.flux[p] = px.flux;
      if (out.ivar) out.ivar[p] = px.ivar;
      if (out.error) out.error[p] = px.error;
      if (out.n) out.n[p] = px.n;
      if (out.n_input) out.n_input[p] = int32_t(shared_n);
    }
    __syncthreads();  // shared state is reused by the block's next pixel
  }
}

}  // namespace

namespace detail {

void stack_accumulate_device(const stack_window& w, bool weighted, stack_sums* sums, device_buffer& partials) {
  const size_t n_chunks = (w.n_rows + chunk_rows - 1) / chunk_rows, items = n_chunks * w.width;
  if (items == 0) return;
  if (partials.size() < items * sizeof(stack_sums)) partials.resize(items * sizeof(stack_sums));
  auto* part = partials.data<stack_sums>();
  const auto s = static_cast<cudaStream_t>(w.stream.handle());  // behind the window's upload
  partial_sums_kernel<<<blocks_for(items), block_threads, 0, s>>>(stack_value_op{w}, weighted, n_chunks, part);
  SPECMILL_CUDA_CHECK_LAUNCH();
  add_partials_kernel<<<blocks_for(w.width), block_threads, 0, s>>>(part, n_chunks, w.width, sums);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

void stack_tile_init_device(uint64_t* keys, float* ivars, size_t width, size_t capacity) {
  if (width * capacity == 0) return;
  init_slots_kernel<<<blocks_for(width * capacity), block_threads>>>(keys, ivars, width, capacity);
  SPECMILL_CUDA_CHECK_LAUNCH();
  // The gathers come on other (non-blocking) streams, which do not wait for the default one.
  SPECMILL_CUDA_TRY(cudaStreamSynchronize(nullptr));
}

void stack_tile_gather_device(const stack_window& w, size_t first_row, size_t capacity, uint64_t* keys,
                              float* ivars) {
  const size_t items = w.n_rows * w.width;
  if (items == 0) return;
  gather_kernel<<<blocks_for(items), block_threads, 0, static_cast<cudaStream_t>(w.stream.handle())>>>(
      stack_value_op{w}, first_row, capacity, keys, ivars);
  SPECMILL_CUDA_CHECK_LAUNCH();
}

void stack_tile_finish_device(uint64_t* keys, float* ivars, size_t width, size_t capacity, stack_method m,
                              double sigma, int iterations, const stack_output& host_out, device_buffer& sort_temp,
                              device_buffer& results) {
  const size_t slots = width * capacity;
  uint64_t* keys_alt = keys + slots;
  float* ivars_alt = ivars + slots;
  if (slots > 0) {
    int pixel_bits = 0;
    while ((size_t(1) << pixel_bits) < width) ++pixel_bits;
    const int end_bit = 32 + pixel_bits;
    size_t temp_bytes = 0;
    SPECMILL_CUDA_TRY(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys, keys_alt, ivars, ivars_alt, slots, 0,
                                                      end_bit));
    if (sort_temp.size() < std::max<size_t>(1, temp_bytes)) sort_temp = device_buffer(std::max<size_t>(1, temp_bytes));
    temp_bytes = sort_temp.size();
    SPECMILL_CUDA_TRY(cub::DeviceRadixSort::SortPairs(sort_temp.data(), temp_bytes, keys, keys_alt, ivars, ivars_alt,
                                                      slots, 0, end_bit));
  }
  // Device results (five columns of width 4-byte values), copied to the caller's host arrays.
  const size_t column_bytes = width * 4 + 4;
  if (results.size() < 5 * column_bytes) results = device_buffer(5 * column_bytes);
  char* base = results.data<char>();
  const stack_output d_out{reinterpret_cast<float*>(base), reinterpret_cast<float*>(base + column_bytes),
                           reinterpret_cast<float*>(base + 2 * column_bytes),
                           reinterpret_cast<int32_t*>(base + 3 * column_bytes),
                           reinterpret_cast<int32_t*>(base + 4 * column_bytes)};
  if (width > 0) {
    robust_kernel<<<grid_for(width, 8), robust_threads>>>(keys_alt, ivars_alt, width, capacity, m, sigma, iterations,
                                                         d_out);
    SPECMILL_CUDA_CHECK_LAUNCH();
  }
  auto back = [&](const void* d, void* host) {
    if (host && width) SPECMILL_CUDA_TRY(cudaMemcpy(host, d, width * 4, cudaMemcpyDeviceToHost));  // waits for the kernel
  };
  back(d_out.flux, host_out.flux);
  back(d_out.ivar, host_out.ivar);
  back(d_out.error, host_out.error);
  back(d_out.n, host_out.n);
  back(d_out.n_input, host_out.n_input);
}

}  // namespace detail

}  // namespace specmill
