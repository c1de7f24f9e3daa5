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

// Ragged (CSR) input: row i has offsets[i+1] - offsets[i] pixels starting at src + offsets[i]
// (4-byte elements), the first on lattice index lattice_start[i].
struct ragged_rows {
  size_t n_rows = 0;
  const int64_t* offsets = nullptr;        // n_rows + 1, offsets[0] may be nonzero
  const int32_t* lattice_start = nullptr;  // n_rows
};

// dst (row-major [n_rows][out_width] 4-byte elements) = the rows aligned on the window.
// backend::cpu: host pointers, TBB over rows. backend::cuda: host pointers staged through
// device buffers (for tests and small jobs; pipelines use align_rows_device). Throws
// cuda_error for cuda without CUDA compiled in or without a device.
void align_rows(backend b, const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst);

// Device-resident form: rows.offsets, rows.lattice_start, src and dst are device pointers; the
// kernel is queued on `stream` and the call returns at once.
void align_rows_device(const ragged_rows& rows, const void* src, int32_t out_start, size_t out_width, void* dst,
                       cuda_stream_view stream = {});

}  // namespace specmill
