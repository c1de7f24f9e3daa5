// png_writer: both encoders decode (through libpng's reader) to exactly the pixels written,
// whatever the band sizes; errors name themselves. Tolerance: exact (PNG is lossless).
#include "io/image/png_writer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

#include "core/error.hpp"

using namespace specmill;

namespace {

// Smooth gradients with noise and flat stretches: every PNG filter gets chosen somewhere.
std::vector<uint8_t> test_image(uint32_t w, uint32_t h, int ch, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> px(size_t(w) * h * size_t(ch));
  for (uint32_t y = 0; y < h; ++y)
    for (uint32_t x = 0; x < w; ++x)
      for (int c = 0; c < ch; ++c) {
        const size_t i = (size_t(y) * w + x) * size_t(ch) + size_t(c);
        px[i] = y % 7 == 3 ? 0 : uint8_t((x * 3 + y * (c + 1) + (rng() % 9)) & 0xff);
      }
  return px;
}

std::vector<uint8_t> encode_in_bands(const png_format& f, const std::vector<uint8_t>& px, size_t band_rows) {
  std::vector<uint8_t> out;
  png_writer w(f, [&](const uint8_t* d, size_t n) { out.insert(out.end(), d, d + n); });
  for (size_t r = 0; r < f.height; r += band_rows)
    w.write_rows(px.data() + r * f.row_bytes(), std::min<size_t>(band_rows, f.height - r));
  w.finish();
  return out;
}

TEST(PngWriter, BothEncodersRoundTripExactly) {
  for (png_color color : {png_color::gray, png_color::rgb})
    for (auto [w, h] : {std::pair<uint32_t, uint32_t>{1, 1}, {31, 33}, {32, 1}, {600, 500}})
      for (png_encoder enc : {png_encoder::parallel, png_encoder::libpng})
        for (size_t band : {size_t(1), size_t(17), size_t(100000)})
          for (int level : {1, 6}) {
            png_format f;
            f.width = w;
            f.height = h;
            f.color = color;
            f.encoder = enc;
            f.compression_level = level;
            const auto px = test_image(w, h, int(color), w + h);
            const auto png = encode_in_bands(f, px, band);
            const decoded_png d = decode_png(png.data(), png.size());
            SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h) + " ch " + std::to_string(int(color)) + " band " +
                         std::to_string(band) + (enc == png_encoder::parallel ? " parallel" : " libpng"));
            EXPECT_EQ(d.width, w);
            EXPECT_EQ(d.height, h);
            EXPECT_EQ(d.channels, int(color));
            ASSERT_EQ(d.pixels, px);
          }
}

TEST(PngWriter, ParallelPiecesCostLittleCompression) {
  png_format f;
  f.width = 2000;
  f.height = 1500;  // 3 MB gray: a dozen pieces
  const auto px = test_image(f.width, f.height, 1, 3);
  const size_t parallel = encode_png(f, px.data()).size();
  f.encoder = png_encoder::libpng;
  const size_t serial = encode_png(f, px.data()).size();
  EXPECT_LT(double(parallel), 1.05 * double(serial));
}

TEST(PngWriter, WritesTextChunks) {
  png_format f;
  f.width = f.height = 4;
  f.text = {{"Comment", "lattice start 35600"}};
  const std::vector<uint8_t> px(16, 9);
  const auto png = encode_png(f, px.data());
  const std::string s(png.begin(), png.end());
  EXPECT_NE(s.find("tEXtComment"), std::string::npos);
  EXPECT_NE(s.find("lattice start 35600"), std::string::npos);
}

TEST(PngWriter, MisuseAndFailuresThrow) {
  png_format f;
  f.width = 0;
  f.height = 3;
  EXPECT_THROW(png_writer(f, [](const uint8_t*, size_t) {}), invalid_argument);
  f.width = 3;
  f.compression_level = 10;
  EXPECT_THROW(png_writer(f, [](const uint8_t*, size_t) {}), invalid_argument);
  f.compression_level = 6;
  const std::vector<uint8_t> px(9 * 4, 1);
  for (png_encoder enc : {png_encoder::parallel, png_encoder::libpng}) {
    f.encoder = enc;
    png_writer w(f, [](const uint8_t*, size_t) {});
    EXPECT_THROW(w.write_rows(px.data(), 4), invalid_argument);  // 4 rows of a 3-row image
    w.write_rows(px.data(), 2);
    EXPECT_THROW(w.finish(), invalid_argument);  // one row short
  }
  // A failing sink's exception comes out as itself, through libpng.
  for (png_encoder enc : {png_encoder::parallel, png_encoder::libpng}) {
    f.encoder = enc;
    EXPECT_THROW(
        {
          png_writer w(f, [](const uint8_t*, size_t) { throw not_found("disk gone"); });
          w.write_rows(px.data(), 3);
          w.finish();
        },
        not_found);
  }
  const uint8_t junk[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_THROW(decode_png(junk, sizeof junk), io_error);
}

}  // namespace
