// image_scale on both backends: the CPU loop walks rows; the device runs render_element_op
// through the launch shell (image_scale.cu instantiates it).
#include "kernels/image_scale.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill {
namespace {

void render_cpu(const render_band& band, const render_pixel_op& op, uint8_t* out) {
  const size_t w = band.out_width(), ch = size_t(op.channels);
  // Rows of a few thousand pixels: one row is already worth a task.
  tbb::parallel_for(tbb::blocked_range<size_t>(0, band.out_rows, 1), [&](const tbb::blocked_range<size_t>& r) {
    for (size_t R = r.begin(); R != r.end(); ++R) {
      uint8_t* dst = out + R * w * ch;
      const float* src = band.in + band.source(R, 0);
      if (band.xrep == 1) {
        for (size_t C = 0; C < w; ++C) op(src[C], dst + C * ch);
      } else {
        for (size_t C = 0; C < w; ++C) op(src[C / band.xrep], dst + C * ch);
      }
    }
  });
}

void render_cuda_staged(const render_band& band, const render_pixel_op& op, uint8_t* out) {
  require_cuda_compiled();
  if (band.out_rows == 0 || band.width == 0) return;
  const size_t in_bytes = band.in_rows() * band.width * sizeof(float);
  const size_t out_bytes = band.out_rows * band.out_width() * size_t(op.channels);
  device_buffer in(in_bytes), dst(out_bytes);
  in.copy_from_host(band.in, in_bytes);
  render_band d = band;
  d.in = in.data<float>();
  render_pixels_device(d, op, dst.data<uint8_t>());
  dst.copy_to_host(out, out_bytes);  // synchronous on the default stream: waits for the kernel
}

}  // namespace

render_pixel_op make_render_op(display_limits lim, stretch s, colormap_id cmap, bool invert, rgb8 masked,
                               double asinh_softening) {
  SPECMILL_EXPECTS(std::isfinite(lim.lo) && std::isfinite(lim.hi),
                   "display limits must be finite, not " + std::to_string(lim.lo) + ", " + std::to_string(lim.hi));
  SPECMILL_EXPECTS(std::isfinite(asinh_softening) && asinh_softening > 0,
                   "the asinh softening must be > 0, not " + std::to_string(asinh_softening));
  render_pixel_op op;
  op.lo = lim.lo;
  op.inv_range = lim.hi > lim.lo ? 1.0 / (lim.hi - lim.lo) : 0.0;
  // A range so small that 1 / range overflows is as good as degenerate.
  if (!std::isfinite(op.inv_range)) op.inv_range = 0;
  op.s = s;
  op.inv_softening = 1.0 / asinh_softening;
  op.asinh_norm = 1.0 / std::asinh(1.0 / asinh_softening);
  op.channels = cmap == colormap_id::gray ? 1 : 3;
  op.masked = masked;
  const auto& t = colormap_table(cmap);
  for (size_t k = 0; k < 256; ++k) op.table[k] = invert ? t[255 - k] : t[k];
  return op;
}

void render_pixels(backend b, const render_band& band, const render_pixel_op& op, uint8_t* out) {
  SPECMILL_EXPECTS(band.xrep >= 1 && band.yrep >= 1, "render_pixels: replication factors must be >= 1");
  if (b == backend::cuda)
    render_cuda_staged(band, op, out);
  else
    render_cpu(band, op, out);
}

void render_pixels_device(const render_band& band, const render_pixel_op& op, uint8_t* out, cuda_stream_view stream) {
  for_each_index(backend::cuda, band.out_rows * band.out_width(), detail::render_element_op{band, op, out}, stream);
}

}  // namespace specmill
