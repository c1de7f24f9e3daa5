#pragma once
// A small drawing surface over Cairo (an RGB24 image surface and its context, both owned:
// STYLE.md rule 6) with the few primitives plots need, so that cairo.h stays in io/.
// Coordinates are pixels, origin at the top-left corner; pixel (i, j) covers [i, i+1) x [j, j+1),
// so a 1-px line along x = i + 0.5 fills exactly column i.
//
// Text uses Cairo's toy font API with the "DejaVu Sans" family (fontconfig falls back to any
// sans-serif face when it is missing); Debian's fonts-dejavu-core provides it
// (scripts/install-deps.sh).
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace specmill {

struct rgba {
  double r = 0, g = 0, b = 0, a = 1;
};

struct point {
  double x = 0, y = 0;
};

enum class h_align { left, center, right };
enum class v_align { top, middle, baseline, bottom };

class canvas {
 public:
  // A white canvas. invalid_argument unless 1 <= width, height <= 32767 (Cairo's limit).
  canvas(int width, int height);
  ~canvas();
  canvas(const canvas&) = delete;
  canvas& operator=(const canvas&) = delete;
  canvas(canvas&& other) noexcept;
  canvas& operator=(canvas&& other) noexcept;

  int width() const { return width_; }
  int height() const { return height_; }

  void fill_rect(double x, double y, double w, double h, rgba c);
  void stroke_rect(double x, double y, double w, double h, rgba c, double line_width = 1);
  // dash > 0: dashes of that length with equal gaps.
  void line(point a, point b, rgba c, double line_width = 1, double dash = 0);
  // A connected line through the points; a NaN coordinate breaks it into separate pieces.
  void polyline(std::span<const point> pts, rgba c, double line_width = 1);
  void fill_polygon(std::span<const point> pts, rgba c);

  // Drawing is limited to the rectangle until reset_clip().
  void clip(double x, double y, double w, double h);
  void reset_clip();

  // Font size in pixels (the em size); bold for titles.
  void set_font(double size_px, bool bold = false);
  double text_width(std::string_view text);
  // Draws UTF-8 text anchored at (x, y); angle in radians, counter-clockwise (-pi/2 reads
  // bottom to top, for a y-axis label).
  void text(double x, double y, std::string_view text, rgba c, h_align h = h_align::left, v_align v = v_align::baseline,
            double angle = 0);

  // The pixels as 8-bit RGB, top row first (width * height * 3 bytes).
  std::vector<uint8_t> rgb() const;
  // Same, into dst with `stride` bytes between rows (for composing grids).
  void copy_rgb(uint8_t* dst, size_t stride) const;

 private:
  void release() noexcept;
  void* surface_ = nullptr;  // cairo_surface_t*
  void* cr_ = nullptr;       // cairo_t*
  int width_ = 0, height_ = 0;
};

}  // namespace specmill
