// CUDA backend of align: one thread per output element, calling align_span_op (align.hpp).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "kernels/align.hpp"
#include "kernels/launch/cuda_check.hpp"

namespace specmill {
namespace {

constexpr int block_threads = 256;

// blockIdx.y walks rows (grid-stride), x threads walk the row's columns (grid-stride), so any
// number of rows and any width fit the launch limits. Each thread re-derives its row's span:
// a handful of integer ops against a 4-byte load and store.
__global__ void align_kernel(ragged_rows rows, const uint32_t* __restrict__ src, align_span_op op,
                             uint32_t* __restrict__ dst) {
  const size_t width = size_t(op.out_width);
  for (size_t i = blockIdx.y; i < rows.n_rows; i += gridDim.y) {
    const int64_t row_off = rows.offsets[i];
    const align_span s = op(rows.lattice_start[i], rows.offsets[i + 1] - row_off);
    const int64_t shift = row_off + s.src_begin - s.dst_begin;  // src index = j + shift inside the span
    uint32_t* out = dst + i * width;
    for (size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x; j < width; j += size_t(gridDim.x) * blockDim.x)
      out[j] = (int64_t(j) >= s.dst_begin && int64_t(j) < s.dst_end) ? src[int64_t(j) + shift] : 0u;
  }
}

}  // namespace

void align_rows_device(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst,
                       cuda_stream_view stream) {
  if (rows.n_rows == 0 || out_width == 0) return;
  const align_span_op op{out_start, int64_t(out_width)};
  const unsigned gx = unsigned(std::min<size_t>((out_width + block_threads - 1) / block_threads, 64));
  const unsigned gy = unsigned(std::min<size_t>(rows.n_rows, 65535));
  align_kernel<<<dim3(gx, gy), block_threads, 0, static_cast<cudaStream_t>(stream.handle())>>>(
      rows, static_cast<const uint32_t*>(src), op, static_cast<uint32_t*>(dst));
  SPECMILL_CUDA_CHECK_LAUNCH();
}

}  // namespace specmill
