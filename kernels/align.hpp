#pragma once
// align: place spectra stored on their own stretch of the log-lambda lattice onto one common
// window of it, [out_start, out_start + out_width) in lattice indices, with no resampling and
// zero padding (flux 0, ivar 0, masks 0) where a spectrum does not reach: the original
// service's aligned getSpec. A cutout is the same operation on a narrower window.
//
// Elements are moved as opaque 4-byte words, so one routine serves float and int32 columns
// and the result is bit-exact on both backends.
#include <cstddef>
#include <cstdint>

#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

// Where one spectrum lands in the output row: output columns [dst_begin, dst_end) take the
// spectrum's pixels from src_begin on; everything else in the row is padding. An empty span
// (dst_begin == dst_end == 0) means no overlap.
struct align_span {
  int64_t dst_begin = 0, dst_end = 0, src_begin = 0;
  SPECMILL_HOST_DEVICE int64_t size() const { return dst_end - dst_begin; }
};

// The per-spectrum functor both backends call (the CPU engine also calls it to pread each span
// straight into place).
struct align_span_op {
  int32_t out_start = 0;
  int64_t out_width = 0;
  SPECMILL_HOST_DEVICE align_span operator()(int32_t lattice_start, int64_t npix) const {
    const int64_t lo = lattice_start > out_start ? int64_t(lattice_start) : int64_t(out_start);
    const int64_t end = int64_t(lattice_start) + npix, out_end = int64_t(out_start) + out_width;
    const int64_t hi = end < out_end ? end : out_end;
    if (hi <= lo) return {};
    return {lo - out_start, hi - out_start, lo - lattice_start};
  }
};

// Zero the padding of one aligned row of out_width 4-byte elements (everything outside
// [s.dst_begin, s.dst_end)): the host half of placing a span, shared by align_rows' CPU loop and
// the engine's reader, which preads the span itself into place.
void zero_row_padding(const align_span& s, size_t out_width, void* row);

// Ragged (CSR) input: row i has offsets[i+1] - offsets[i] pixels starting at src + offsets[i]
// (4-byte elements), the first on lattice index lattice_start[i].
struct ragged_rows {
  size_t n_rows = 0;
  const int64_t* offsets = nullptr;        // n_rows + 1, offsets[0] may be nonzero
  const int32_t* lattice_start = nullptr;  // n_rows
};

namespace detail {
// One output element (row i / width, column i % width) per index: what the device runs through
// the launch shell. Each index re-derives its row's span: a handful of integer ops against a
// 4-byte load and store.
struct align_element_op {
  ragged_rows rows;
  const uint32_t* src;
  align_span_op span;
  uint32_t* dst;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const size_t width = size_t(span.out_width), r = i / width;
    const int64_t j = int64_t(i - r * width), row_off = rows.offsets[r];
    const align_span s = span(rows.lattice_start[r], rows.offsets[r + 1] - row_off);
    dst[i] = (j >= s.dst_begin && j < s.dst_end) ? src[j + row_off + s.src_begin - s.dst_begin] : 0u;
  }
};
}  // namespace detail

// dst (row-major [n_rows][out_width] 4-byte elements) = the rows aligned on the window.
// backend::cpu: host pointers, TBB over rows. backend::cuda: host pointers staged through
// device buffers (for tests and small jobs; pipelines use align_rows_device). Throws
// cuda_error for cuda without CUDA compiled in or without a device.
void align_rows(backend b, const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst);

// Device-resident form: rows.offsets, rows.lattice_start, src and dst are device pointers; the
// kernel is queued on `stream` and the call returns at once. Throws cuda_error without CUDA.
void align_rows_device(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst,
                       cuda_stream_view stream = {});

}  // namespace specmill
