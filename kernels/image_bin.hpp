#pragma once
// image_bin: aligned windows of spectra -> the float image of a stacked image (engine/render/
// stacked_image.hpp), on either backend. Image row of list item i: bins of consecutive items
// (the first item at the bottom unless yflipped); image column c: lattice columns
// [first(c), first(c + 1)) of the window. A pixel is the mean flux of the good pixels
// (core/good_pixel.hpp, ivar_use::presence) in its bin, NaN when there is none.
//
// Unbinned (one item a row, one column a column), the image is the good fluxes themselves
// (image_copy_op). Binned, each window adds into double sums and counts (image_bin_op) and
// image_bin_finish_op divides at the end. The sums of a bin are added row by row in list
// order, each row's share summed in column order, on both backends: the backends give the same
// bits, and the result does not depend on how the list is cut into windows.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/good_pixel.hpp"
#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

// List item -> image row.
struct image_row_map {
  uint64_t n_items = 0, rows = 0;
  bool yflip = false;
  SPECMILL_HOST_DEVICE uint64_t bin(uint64_t i) const { return i * rows / n_items; }
  // The first item of bin b (the smallest i with bin(i) >= b).
  SPECMILL_HOST_DEVICE uint64_t first_item(uint64_t b) const { return (b * n_items + rows - 1) / rows; }
  SPECMILL_HOST_DEVICE uint64_t image_row(uint64_t i) const { return yflip ? bin(i) : rows - 1 - bin(i); }
};

// Image column c takes lattice columns [first(c), first(c + 1)): column j goes to
// floor(j * out / in), so bins differ in size by at most one.
struct image_column_map {
  uint64_t in = 0, out = 0;
  SPECMILL_HOST_DEVICE uint64_t first(uint64_t c) const { return (c * in + out - 1) / out; }
};

// A window of the list: rows [first, last) of the list, row-major [last - first][width] on the
// backend the ops run on.
struct image_window {
  size_t first = 0, last = 0, width = 0;
  const float* flux = nullptr;
  const float* ivar = nullptr;
  const int32_t* and_mask = nullptr;  // null: masks not consulted
  uint32_t mask_bits = 0;
  SPECMILL_HOST_DEVICE bool good(size_t at) const {
    return good_pixel(flux[at], ivar[at], and_mask ? uint32_t(and_mask[at]) : 0u, mask_bits, ivar_use::presence);
  }
};

// Unbinned: index = window row * width + column; pixels is the image [rows][width].
struct image_copy_op {
  image_window w;
  image_row_map rows;
  float* pixels;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const size_t r = i / w.width, j = i % w.width;
    pixels[rows.image_row(w.first + r) * w.width + j] = w.good(i) ? w.flux[i] : NAN;
  }
};

// Binned: index = (bin - first bin of the window) * cols.out + image column. One index owns one
// image pixel for this window, so nothing is added concurrently into the same sum.
struct image_bin_op {
  image_window w;
  image_row_map rows;
  image_column_map cols;
  double* sums;      // [rows][cols.out]
  uint32_t* counts;  // [rows][cols.out]
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const uint64_t b = rows.bin(w.first) + i / cols.out, c = i % cols.out;
    const uint64_t r0 = rows.first_item(b) > w.first ? rows.first_item(b) : w.first;
    const uint64_t r1 = rows.first_item(b + 1) < w.last ? rows.first_item(b + 1) : w.last;
    const size_t at = (rows.yflip ? b : rows.rows - 1 - b) * cols.out + c;
    const uint64_t j0 = cols.first(c), j1 = cols.first(c + 1);
    for (uint64_t item = r0; item < r1; ++item) {
      const size_t base = (item - w.first) * w.width;
      double s = 0;
      uint32_t m = 0;
      for (uint64_t j = j0; j < j1; ++j)
        if (w.good(base + j)) {
          s += w.flux[base + j];
          ++m;
        }
      sums[at] += s;
      counts[at] += m;
    }
  }
  // Indices for window w: its bins times the image columns.
  SPECMILL_HOST_DEVICE size_t size() const {
    return w.last > w.first ? size_t(rows.bin(w.last - 1) - rows.bin(w.first) + 1) * cols.out : 0;
  }
};

// sums / counts -> pixels (NaN where no good pixel fell).
struct image_bin_finish_op {
  const double* sums;
  const uint32_t* counts;
  float* pixels;
  SPECMILL_HOST_DEVICE void operator()(size_t p) const { pixels[p] = counts[p] ? float(sums[p] / counts[p]) : NAN; }
};

// The entries: every pointer on backend b (host for cpu, device for cuda); cuda queues on
// `stream` and returns at once, cpu returns when done.
void image_copy_rows(backend b, const image_window& w, const image_row_map& rows, float* pixels,
                     cuda_stream_view stream = {});
void image_bin_rows(backend b, const image_window& w, const image_row_map& rows, const image_column_map& cols,
                    double* sums, uint32_t* counts, cuda_stream_view stream = {});
void image_bin_finish(backend b, const double* sums, const uint32_t* counts, float* pixels, size_t n,
                      cuda_stream_view stream = {});

}  // namespace specmill
