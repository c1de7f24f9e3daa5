#pragma once
// image_scale: float image pixels -> 8-bit gray or RGB through display limits, a stretch and a
// colormap: the per-pixel half of a stacked image (engine/render/stacked_image.hpp). The limits
// themselves (zscale, percentiles) are small host computations in kernels/zscale.hpp.
//
//   x = clamp((v - lo) / (hi - lo), 0, 1)            (x = 0.5 for every pixel when hi <= lo)
//   linear: y = x;   asinh: y = asinh(x / a) / asinh(1 / a)   (a: the softening, default 0.1,
//                    astropy.visualization.AsinhStretch's definition and default)
//   index = min(255, floor(256 y)),  colour = table[index] (table reversed when inverted)
//   NaN v (masked) -> the masked colour.
// The math is in double on both backends so that an index never differs between them.
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/colormap.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

enum class stretch { linear, asinh };

struct display_limits {
  double lo = 0, hi = 1;
};

inline constexpr double default_asinh_softening = 0.1;

// The per-pixel functor both backends call; 800 bytes, passed by value to the CUDA kernel.
struct render_pixel_op {
  double lo = 0, inv_range = 1;  // inv_range 0: degenerate limits, every good pixel at x = 0.5
  stretch s = stretch::linear;
  double inv_softening = 10, asinh_norm = 1;  // 1 / a and 1 / asinh(1 / a)
  int channels = 1;                            // 1: gray bytes (the table's r), 3: RGB
  rgb8 masked{};
  rgb8 table[256]{};

  SPECMILL_HOST_DEVICE int index(float v) const {
    double x = inv_range > 0 ? (double(v) - lo) * inv_range : 0.5;
    x = x < 0 ? 0 : x > 1 ? 1 : x;
    if (s == stretch::asinh) x = ::asinh(x * inv_softening) * asinh_norm;
    const int k = int(x * 256.0);
    return k > 255 ? 255 : k;
  }
  // Writes `channels` bytes at out.
  SPECMILL_HOST_DEVICE void operator()(float v, uint8_t* out) const {
    const rgb8 c = v != v ? masked : table[index(v)];  // v != v: NaN, without <cmath> on device
    out[0] = c.r;
    if (channels == 3) {
      out[1] = c.g;
      out[2] = c.b;
    }
  }
};

// The functor for these settings. invalid_argument for non-finite limits or a softening that
// is not > 0; `channels` is 1 for gray, 3 for the colour maps.
render_pixel_op make_render_op(display_limits lim, stretch s, colormap_id cmap, bool invert, rgb8 masked,
                               double asinh_softening = default_asinh_softening);

// A band of output rows of an image drawn with pixel replication: output pixel (R, C) shows
// input pixel (R / yrep, C / xrep). The band is output rows [first_out_row, first_out_row +
// out_rows); `in` points at its first input row, first_out_row / yrep, and holds the rows up to
// (first_out_row + out_rows - 1) / yrep, each `width` floats. out holds
// out_rows * width * xrep * channels bytes, row-major.
struct render_band {
  const float* in = nullptr;
  size_t width = 0;
  size_t xrep = 1, yrep = 1;
  size_t first_out_row = 0;
  size_t out_rows = 0;
  SPECMILL_HOST_DEVICE size_t first_in_row() const { return first_out_row / yrep; }
  SPECMILL_HOST_DEVICE size_t in_rows() const {
    return out_rows == 0 ? 0 : (first_out_row + out_rows - 1) / yrep - first_in_row() + 1;
  }
  SPECMILL_HOST_DEVICE size_t out_width() const { return width * xrep; }
  // The input pixel behind output pixel (R, C) of the band, relative to `in`.
  SPECMILL_HOST_DEVICE size_t source(size_t R, size_t C) const {
    return ((first_out_row + R) / yrep - first_in_row()) * width + C / xrep;
  }
};

namespace detail {
// Output pixel i of a band (row i / out_width, column i % out_width) per index: what the device
// runs through the launch shell. The functor, its 256-entry table included, travels as a kernel
// parameter, which lands in constant memory: a warp reading one table entry is a broadcast.
struct render_element_op {
  render_band band;
  render_pixel_op op;
  uint8_t* out;
  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const size_t w = band.out_width(), R = i / w, C = i - R * w;
    op(band.in[band.source(R, C)], out + i * size_t(op.channels));
  }
};
}  // namespace detail

// backend::cpu: TBB over output rows. backend::cuda: host pointers staged through device
// buffers (the band's input rows in, bytes out); throws cuda_error without CUDA or a device.
void render_pixels(backend b, const render_band& band, const render_pixel_op& op, uint8_t* out);

// Device-resident form: band.in (only the band's input rows are read) and out are device
// pointers; queued on `stream`.
void render_pixels_device(const render_band& band, const render_pixel_op& op, uint8_t* out,
                          cuda_stream_view stream = {});

}  // namespace specmill
