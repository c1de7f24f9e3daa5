// canvas: pixel geometry (a 1-px line on a pixel center fills one column), clipping, colours
// out as RGB, and text: a font is found (fontconfig + fonts-dejavu-core) and draws pixels.
#include "io/image/cairo_canvas.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"

using namespace specmill;

namespace {

const uint8_t* px(const std::vector<uint8_t>& rgb, int w, int x, int y) { return rgb.data() + (size_t(y) * w + x) * 3; }

TEST(Canvas, LinesRectsAndClipLandOnTheirPixels) {
  canvas cv(40, 30);
  cv.line({10.5, 0}, {10.5, 30}, {1, 0, 0});
  cv.fill_rect(20, 5, 4, 3, {0, 0, 1});
  cv.clip(0, 0, 25, 30);
  cv.fill_rect(24, 20, 10, 2, {0, 1, 0});  // only column 24 survives the clip
  cv.reset_clip();
  const auto rgb = cv.rgb();
  for (int y = 0; y < 30; ++y) {
    EXPECT_EQ(px(rgb, 40, 10, y)[0], 255);
    EXPECT_EQ(px(rgb, 40, 10, y)[1], 0);
    EXPECT_EQ(px(rgb, 40, 9, y)[1], 255);  // neighbours untouched (white)
    EXPECT_EQ(px(rgb, 40, 11, y)[1], 255);
  }
  EXPECT_EQ(px(rgb, 40, 21, 6)[2], 255);
  EXPECT_EQ(px(rgb, 40, 21, 6)[0], 0);
  EXPECT_EQ(px(rgb, 40, 24, 20)[1], 255);
  EXPECT_EQ(px(rgb, 40, 24, 20)[0], 0);
  EXPECT_EQ(px(rgb, 40, 25, 20)[0], 255);  // clipped: still white
}

TEST(Canvas, PolylineBreaksAtNaN) {
  canvas cv(30, 10);
  const double nan = std::nan("");
  const point pts[] = {{0, 4.5}, {10, 4.5}, {nan, nan}, {20, 4.5}, {30, 4.5}};
  cv.polyline(pts, {0, 0, 0});
  const auto rgb = cv.rgb();
  EXPECT_LT(px(rgb, 30, 5, 4)[0], 50);
  EXPECT_EQ(px(rgb, 30, 15, 4)[0], 255);  // the gap
  EXPECT_LT(px(rgb, 30, 25, 4)[0], 50);
}

TEST(Canvas, TextNeedsAndFindsAFont) {
  canvas cv(120, 30);
  cv.set_font(12);
  EXPECT_GT(cv.text_width("Wavelength"), 40);
  cv.text(2, 2, "Wavelength [\u00c5]", {0, 0, 0}, h_align::left, v_align::top);
  const auto rgb = cv.rgb();
  int ink = 0;
  for (size_t i = 0; i < rgb.size(); i += 3) ink += rgb[i] < 128;
  EXPECT_GT(ink, 50);
}

TEST(Canvas, RejectsBadSizes) {
  EXPECT_THROW(canvas(0, 10), invalid_argument);
  EXPECT_THROW(canvas(10, 40000), invalid_argument);
}

}  // namespace
