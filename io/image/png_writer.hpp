#pragma once
// 8-bit gray and RGB PNG encoding through libpng, streamed a band of rows at a time.
//
// Two encoders produce the same pixels:
//   parallel  rows are filtered (libpng's default heuristic: per row, of the five PNG filters
//             the one with the smallest sum of |signed bytes|) and deflated in independent
//             pieces of about 256 KiB on TBB threads, each piece primed with the 32 KiB of
//             filtered data before it (so compression hardly suffers) and ended with a sync
//             flush, as pigz does; libpng writes the signature, IHDR, tEXt and the IDAT/IEND
//             chunks (png_write_chunk). Scales with cores: what stacked images use.
//   libpng    png_write_rows with libpng's own filtering and zlib stream, on the calling thread:
//             the reference, and for small images (plots) where threads do not pay.
// libpng's errors become io_error (its longjmp is caught in the function that called it, whose
// frame holds nothing to destroy); an exception thrown by the sink is rethrown as it was.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace specmill {

enum class png_color : uint8_t { gray = 1, rgb = 3 };  // value: bytes per pixel
enum class png_encoder { parallel, libpng };
// zlib's match search. filtered: what libpng uses for filtered rows (Z_FILTERED). rle: matches
// at distance 1 only (Z_RLE): on noisy images (stacked spectra) 2-4x faster than filtered at
// 1% larger output; on plots (large flat areas, long repeats) 40% larger.
enum class png_strategy { filtered, rle };

struct png_format {
  uint32_t width = 0, height = 0;  // 1 .. 2^31 - 1 each (PNG's limit)
  png_color color = png_color::gray;
  int compression_level = 6;       // zlib's 0 (store) .. 9; 6 is zlib's and libpng's default
  png_encoder encoder = png_encoder::parallel;
  png_strategy strategy = png_strategy::filtered;
  std::vector<std::pair<std::string, std::string>> text;  // tEXt chunks: keyword (1-79 Latin-1), text
  size_t row_bytes() const { return size_t(width) * size_t(color); }
};

// Receives the encoded bytes in order.
using png_sink = std::function<void(const uint8_t* data, size_t n)>;

class png_writer {
 public:
  // Writes the signature and the header chunks. invalid_argument for a bad size or level.
  png_writer(const png_format& f, png_sink sink);
  ~png_writer();
  png_writer(const png_writer&) = delete;
  png_writer& operator=(const png_writer&) = delete;
  png_writer(png_writer&&) noexcept;
  png_writer& operator=(png_writer&&) noexcept;

  // n_rows rows of row_bytes() each, top row first; in total exactly height rows.
  void write_rows(const uint8_t* rows, size_t n_rows);
  // After the last row: the end of the image data and IEND. invalid_argument when the rows
  // written do not add up to the height.
  void finish();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

// A whole image (height rows of row_bytes(), top first) to PNG bytes in memory.
std::vector<uint8_t> encode_png(const png_format& f, const uint8_t* pixels);

// What a PNG decodes to (tests, round trips): 8-bit gray (channels 1) or RGB (3) pixels, top
// row first, as stored (no gamma or colour conversion for the formats specmill writes).
struct decoded_png {
  uint32_t width = 0, height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
  const uint8_t* at(uint32_t x, uint32_t y) const { return pixels.data() + (size_t(y) * width + x) * size_t(channels); }
};
// Alpha, palette and 16-bit images are converted (alpha composed onto black). io_error for
// bytes that are not a PNG.
decoded_png decode_png(const uint8_t* data, size_t n);

}  // namespace specmill
