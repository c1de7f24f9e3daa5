#include "io/image/cairo_canvas.hpp"

#include <cairo.h>

#include <cmath>
#include <cstring>
#include <string>
#include <utility>

#include "core/error.hpp"

namespace specmill {
namespace {

cairo_t* ctx(void* p) { return static_cast<cairo_t*>(p); }

void set_color(cairo_t* cr, rgba c) { cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a); }

// Cairo records errors in the context and ignores later calls; surface them once per drawing
// call so a failure names itself instead of producing a blank image.
void check(cairo_t* cr) {
  const cairo_status_t st = cairo_status(cr);
  if (st != CAIRO_STATUS_SUCCESS) throw io_error(std::string("cairo: ") + cairo_status_to_string(st));
}

}  // namespace

canvas::canvas(int width, int height) : width_(width), height_(height) {
  SPECMILL_EXPECTS(width >= 1 && height >= 1 && width <= 32767 && height <= 32767,
                   "canvas size must be 1..32767 px a side, not " + std::to_string(width) + " x " + std::to_string(height));
  cairo_surface_t* s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
    const std::string msg = cairo_status_to_string(cairo_surface_status(s));
    cairo_surface_destroy(s);
    throw io_error("cairo: cannot create a " + std::to_string(width) + " x " + std::to_string(height) + " surface: " + msg);
  }
  surface_ = s;
  cairo_t* cr = cairo_create(s);
  cr_ = cr;
  check(cr);
  cairo_set_source_rgb(cr, 1, 1, 1);
  cairo_paint(cr);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
  check(cr);
}

canvas::~canvas() { release(); }

canvas::canvas(canvas&& o) noexcept
    : surface_(std::exchange(o.surface_, nullptr)), cr_(std::exchange(o.cr_, nullptr)), width_(o.width_), height_(o.height_) {}

canvas& canvas::operator=(canvas&& o) noexcept {
  if (this != &o) {
    release();
    surface_ = std::exchange(o.surface_, nullptr);
    cr_ = std::exchange(o.cr_, nullptr);
    width_ = o.width_;
    height_ = o.height_;
  }
  return *this;
}

void canvas::release() noexcept {
  if (cr_) cairo_destroy(ctx(cr_));
  if (surface_) cairo_surface_destroy(static_cast<cairo_surface_t*>(surface_));
  cr_ = surface_ = nullptr;
}

void canvas::fill_rect(double x, double y, double w, double h, rgba c) {
  cairo_t* cr = ctx(cr_);
  set_color(cr, c);
  cairo_rectangle(cr, x, y, w, h);
  cairo_fill(cr);
  check(cr);
}

void canvas::stroke_rect(double x, double y, double w, double h, rgba c, double line_width) {
  cairo_t* cr = ctx(cr_);
  set_color(cr, c);
  cairo_set_line_width(cr, line_width);
  cairo_rectangle(cr, x, y, w, h);
  cairo_stroke(cr);
  check(cr);
}

void canvas::line(point a, point b, rgba c, double line_width, double dash) {
  cairo_t* cr = ctx(cr_);
  set_color(cr, c);
  cairo_set_line_width(cr, line_width);
  if (dash > 0) cairo_set_dash(cr, &dash, 1, 0);
  cairo_move_to(cr, a.x, a.y);
  cairo_line_to(cr, b.x, b.y);
  cairo_stroke(cr);
  cairo_set_dash(cr, nullptr, 0, 0);
  check(cr);
}

void canvas::polyline(std::span<const point> pts, rgba c, double line_width) {
  cairo_t* cr = ctx(cr_);
  set_color(cr, c);
  cairo_set_line_width(cr, line_width);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  // Stroked in pieces of at most this many segments, each piece starting where the last ended:
  // Cairo's stroker intersects every segment of a path with every other, which a long noisy
  // line makes quadratic; round caps hide the joins between pieces.
  constexpr size_t piece = 64;
  size_t in_path = 0;  // points in the current piece
  for (const point& p : pts) {
    if (std::isnan(p.x) || std::isnan(p.y)) {
      if (in_path) cairo_stroke(cr);
      in_path = 0;
      continue;
    }
    if (in_path == 0) {
      cairo_move_to(cr, p.x, p.y);
      in_path = 1;
    } else {
      cairo_line_to(cr, p.x, p.y);
      if (++in_path > piece) {
        cairo_stroke(cr);
        cairo_move_to(cr, p.x, p.y);
        in_path = 1;
      }
    }
  }
  if (in_path) cairo_stroke(cr);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  check(cr);
}

void canvas::fill_polygon(std::span<const point> pts, rgba c) {
  if (pts.size() < 3) return;
  cairo_t* cr = ctx(cr_);
  set_color(cr, c);
  cairo_move_to(cr, pts[0].x, pts[0].y);
  for (size_t k = 1; k < pts.size(); ++k) cairo_line_to(cr, pts[k].x, pts[k].y);
  cairo_close_path(cr);
  cairo_fill(cr);
  check(cr);
}

void canvas::clip(double x, double y, double w, double h) {
  cairo_t* cr = ctx(cr_);
  cairo_reset_clip(cr);
  cairo_rectangle(cr, x, y, w, h);
  cairo_clip(cr);
}

void canvas::reset_clip() { cairo_reset_clip(ctx(cr_)); }

void canvas::set_font(double size_px, bool bold) {
  cairo_t* cr = ctx(cr_);
  cairo_select_font_face(cr, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size_px);
  check(cr);
}

double canvas::text_width(std::string_view text) {
  const std::string s(text);
  cairo_text_extents_t e;
  cairo_text_extents(ctx(cr_), s.c_str(), &e);
  return e.x_advance;
}

void canvas::text(double x, double y, std::string_view text, rgba c, h_align h, v_align v, double angle) {
  cairo_t* cr = ctx(cr_);
  const std::string s(text);
  cairo_text_extents_t e;
  cairo_font_extents_t fe;
  cairo_text_extents(cr, s.c_str(), &e);
  cairo_font_extents(cr, &fe);
  // Offsets in the text's own frame, then rotated into place.
  const double dx = h == h_align::left ? 0 : h == h_align::center ? -e.x_advance / 2 : -e.x_advance;
  const double dy = v == v_align::baseline ? 0 : v == v_align::top ? fe.ascent : v == v_align::bottom ? -fe.descent
                                                                                                        : (fe.ascent - fe.descent) / 2;
  cairo_save(cr);
  set_color(cr, c);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, angle);
  cairo_move_to(cr, dx, dy);
  cairo_show_text(cr, s.c_str());
  cairo_restore(cr);
  check(cr);
}

std::vector<uint8_t> canvas::rgb() const {
  std::vector<uint8_t> out(size_t(width_) * size_t(height_) * 3);
  copy_rgb(out.data(), size_t(width_) * 3);
  return out;
}

void canvas::copy_rgb(uint8_t* dst, size_t stride) const {
  auto* s = static_cast<cairo_surface_t*>(surface_);
  cairo_surface_flush(s);
  const unsigned char* src = cairo_image_surface_get_data(s);
  const int src_stride = cairo_image_surface_get_stride(s);
  for (int y = 0; y < height_; ++y) {
    // RGB24: one native-endian 32-bit word a pixel, 0xXXRRGGBB.
    const auto* in = reinterpret_cast<const uint32_t*>(src + size_t(y) * size_t(src_stride));
    uint8_t* out = dst + size_t(y) * stride;
    for (int x = 0; x < width_; ++x) {
      const uint32_t v = in[x];
      out[3 * x] = uint8_t(v >> 16);
      out[3 * x + 1] = uint8_t(v >> 8);
      out[3 * x + 2] = uint8_t(v);
    }
  }
}

}  // namespace specmill
