#include "io/image/png_writer.hpp"

#include <png.h>
#include <tbb/parallel_for.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <csetjmp>
#include <cstring>
#include <exception>

#include "core/error.hpp"
#include "io/image/png_filter.hpp"

namespace specmill {
namespace {

// Filtered bytes deflated as one piece: big enough that the 32 KiB priming dictionary and the
// sync-flush marker cost little (under 0.1% of output in the tests), small enough that a
// 2-core machine gets many pieces from a 4 MB band.
constexpr size_t piece_bytes = size_t(256) << 10;
constexpr size_t window_bytes = size_t(32) << 10;  // deflate's window: the useful dictionary

// The zlib stream header (RFC 1950) for deflate with a 32 KiB window; FLEVEL as zlib sets it.
std::array<uint8_t, 2> zlib_header(int level) {
  const uint8_t flg = level <= 1 ? 0x01 : level <= 5 ? 0x5e : level == 6 ? 0x9c : 0xda;
  return {0x78, flg};
}

int zlib_strategy(png_strategy s) { return s == png_strategy::rle ? Z_RLE : Z_FILTERED; }

// One raw-deflate piece: primed with `dict`, ended by a sync flush (byte aligned, not final),
// so that pieces concatenate into one deflate stream.
std::vector<uint8_t> deflate_piece(const uint8_t* data, size_t n, const uint8_t* dict, size_t dict_n, int level,
                                   int strategy, int flush) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, -15, 8, strategy) != Z_OK) throw io_error("zlib: deflateInit2 failed");
  std::vector<uint8_t> out(deflateBound(&z, uLong(n)) + 64);
  if (dict_n) deflateSetDictionary(&z, dict, uInt(dict_n));
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = uInt(n);
  z.next_out = out.data();
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, flush);
  const size_t used = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc == Z_STREAM_ERROR || z.avail_in != 0) throw io_error("zlib: deflate failed");
  out.resize(used);
  return out;
}

}  // namespace

struct png_writer::impl {
  png_format fmt;
  png_sink sink;
  png_structp png = nullptr;
  png_infop info = nullptr;
  std::string message;           // libpng's error text
  std::exception_ptr pending;    // the sink's exception, carried across libpng
  size_t rows_written = 0;
  bool finished = false;
  // parallel encoder state
  std::vector<uint8_t> prev_row;  // the last raw row written (zeros before the first)
  std::vector<uint8_t> dict;      // the last <= 32 KiB of filtered data
  uLong adler = 1;
  bool zlib_started = false;

  ~impl() {
    if (png) png_destroy_write_struct(&png, &info);
  }

  static void on_error(png_structp p, png_const_charp msg) {
    auto* self = static_cast<impl*>(png_get_error_ptr(p));
    self->message = msg ? msg : "unknown error";
    png_longjmp(p, 1);
  }
  static void on_warning(png_structp, png_const_charp) {}
  static void on_write(png_structp p, png_bytep data, size_t n) {
    auto* self = static_cast<impl*>(png_get_io_ptr(p));
    try {
      self->sink(data, n);
    } catch (...) {
      self->pending = std::current_exception();
      png_error(p, "output failed");
    }
  }
  static void on_flush(png_structp) {}

  // Runs libpng calls; a libpng error longjmps back here and becomes an exception. f must keep
  // nothing with a destructor in its own frame (it only calls libpng).
  template <class F>
  void guarded(F&& f) {
    if (setjmp(png_jmpbuf(png))) {
      if (pending) std::rethrow_exception(pending);
      throw io_error("libpng: " + message);
    }
    f();
  }

  void write_chunk(const char* name, const uint8_t* data, size_t n) {
    guarded([&] { png_write_chunk(png, reinterpret_cast<png_const_bytep>(name), data, n); });
  }

  void write_idat(const std::vector<uint8_t>& bytes) {
    if (!bytes.empty()) write_chunk("IDAT", bytes.data(), bytes.size());
  }

  void parallel_rows(const uint8_t* rows, size_t n_rows);
  void parallel_finish();
};

// Filters the band (rows in parallel: each needs only the row above), then deflates pieces of
// it in parallel, each primed with the filtered bytes before it, and writes one IDAT a piece.
void png_writer::impl::parallel_rows(const uint8_t* rows, size_t n_rows) {
  const size_t rb = fmt.row_bytes(), fb = rb + 1, bpp = size_t(fmt.color);
  std::vector<uint8_t> filtered(n_rows * fb);
  tbb::parallel_for(size_t(0), n_rows, [&](size_t r) {
    const uint8_t* above = r == 0 ? prev_row.data() : rows + (r - 1) * rb;
    filter_png_row(rows + r * rb, above, rb, bpp, filtered.data() + r * fb);
  });
  const size_t rows_per_piece = std::max<size_t>(1, piece_bytes / fb);
  const size_t n_pieces = (n_rows + rows_per_piece - 1) / rows_per_piece;
  std::vector<std::vector<uint8_t>> out(n_pieces);
  std::vector<uLong> adlers(n_pieces);
  tbb::parallel_for(size_t(0), n_pieces, [&](size_t k) {
    const size_t begin = k * rows_per_piece * fb, end = std::min(n_rows, (k + 1) * rows_per_piece) * fb;
    // The dictionary: the 32 KiB before the piece, from this band and the previous one.
    std::vector<uint8_t> d;
    if (begin >= window_bytes) {
      d.assign(filtered.begin() + ptrdiff_t(begin - window_bytes), filtered.begin() + ptrdiff_t(begin));
    } else {
      const size_t from_prev = std::min(dict.size(), window_bytes - begin);
      d.assign(dict.end() - ptrdiff_t(from_prev), dict.end());
      d.insert(d.end(), filtered.begin(), filtered.begin() + ptrdiff_t(begin));
    }
    out[k] = deflate_piece(filtered.data() + begin, end - begin, d.data(), d.size(), fmt.compression_level,
                           zlib_strategy(fmt.strategy), Z_SYNC_FLUSH);
    adlers[k] = adler32(1, filtered.data() + begin, uInt(end - begin));
  });
  for (size_t k = 0; k < n_pieces; ++k) {
    const size_t len = (std::min(n_rows, (k + 1) * rows_per_piece) - k * rows_per_piece) * fb;
    adler = adler32_combine(adler, adlers[k], z_off_t(len));
    if (!zlib_started) {
      const auto h = zlib_header(fmt.compression_level);
      out[k].insert(out[k].begin(), h.begin(), h.end());
      zlib_started = true;
    }
    write_idat(out[k]);
  }
  if (n_rows) prev_row.assign(rows + (n_rows - 1) * rb, rows + n_rows * rb);
  // Keep the last 32 KiB of filtered data for the next band's first piece.
  if (filtered.size() >= window_bytes) {
    dict.assign(filtered.end() - ptrdiff_t(window_bytes), filtered.end());
  } else {
    dict.insert(dict.end(), filtered.begin(), filtered.end());
    if (dict.size() > window_bytes) dict.erase(dict.begin(), dict.end() - ptrdiff_t(window_bytes));
  }
}

// The final (empty) deflate block, the Adler-32 of all filtered bytes, IEND.
void png_writer::impl::parallel_finish() {
  std::vector<uint8_t> tail =
      deflate_piece(nullptr, 0, nullptr, 0, fmt.compression_level, zlib_strategy(fmt.strategy), Z_FINISH);
  for (int shift = 24; shift >= 0; shift -= 8) tail.push_back(uint8_t(adler >> shift));
  write_idat(tail);
  write_chunk("IEND", nullptr, 0);
}

png_writer::png_writer(const png_format& f, png_sink sink) : impl_(std::make_unique<impl>()) {
  SPECMILL_EXPECTS(f.width >= 1 && f.height >= 1 && f.width < (1u << 31) && f.height < (1u << 31),
                   "PNG size must be 1 .. 2^31-1 pixels a side, not " + std::to_string(f.width) + " x " +
                       std::to_string(f.height));
  SPECMILL_EXPECTS(f.compression_level >= 0 && f.compression_level <= 9,
                   "PNG compression level must be 0..9, not " + std::to_string(f.compression_level));
  SPECMILL_EXPECTS(sink != nullptr, "png_writer: no sink");
  impl& s = *impl_;
  s.fmt = f;
  s.sink = std::move(sink);
  s.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &s, impl::on_error, impl::on_warning);
  if (!s.png) throw io_error("libpng: png_create_write_struct failed");
  s.info = png_create_info_struct(s.png);
  if (!s.info) throw io_error("libpng: png_create_info_struct failed");
  // Keywords and texts must outlive png_write_info: they live in s.fmt.
  std::vector<png_text> texts(f.text.size());
  for (size_t k = 0; k < f.text.size(); ++k) {
    texts[k].compression = PNG_TEXT_COMPRESSION_NONE;
    texts[k].key = s.fmt.text[k].first.data();
    texts[k].text = s.fmt.text[k].second.data();
    texts[k].text_length = s.fmt.text[k].second.size();
  }
  s.prev_row.assign(f.row_bytes(), 0);
  png_text* tp = texts.data();
  const int nt = int(texts.size());
  s.guarded([&] {
    png_set_write_fn(s.png, &s, impl::on_write, impl::on_flush);
    png_set_IHDR(s.png, s.info, f.width, f.height, 8, f.color == png_color::gray ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(s.png, f.compression_level);
    png_set_compression_strategy(s.png, zlib_strategy(f.strategy));
    if (nt) png_set_text(s.png, s.info, tp, nt);
    png_write_info(s.png, s.info);
  });
}

png_writer::~png_writer() = default;
png_writer::png_writer(png_writer&&) noexcept = default;
png_writer& png_writer::operator=(png_writer&&) noexcept = default;

void png_writer::write_rows(const uint8_t* rows, size_t n_rows) {
  impl& s = *impl_;
  SPECMILL_EXPECTS(!s.finished, "png_writer: rows written after finish()");
  SPECMILL_EXPECTS(s.rows_written + n_rows <= s.fmt.height,
                   "png_writer: more rows than the image height " + std::to_string(s.fmt.height));
  if (n_rows == 0) return;
  if (s.fmt.encoder == png_encoder::parallel) {
    s.parallel_rows(rows, n_rows);
  } else {
    const size_t rb = s.fmt.row_bytes();
    for (size_t r = 0; r < n_rows; ++r) {
      png_const_bytep row = rows + r * rb;
      s.guarded([&] { png_write_row(s.png, row); });
    }
  }
  s.rows_written += n_rows;
}

void png_writer::finish() {
  impl& s = *impl_;
  SPECMILL_EXPECTS(!s.finished, "png_writer: finish() called twice");
  SPECMILL_EXPECTS(s.rows_written == s.fmt.height, "png_writer: " + std::to_string(s.rows_written) + " rows written of " +
                                                       std::to_string(s.fmt.height));
  if (s.fmt.encoder == png_encoder::parallel)
    s.parallel_finish();
  else
    s.guarded([&] { png_write_end(s.png, nullptr); });
  s.finished = true;
}

std::vector<uint8_t> encode_png(const png_format& f, const uint8_t* pixels) {
  std::vector<uint8_t> out;
  png_writer w(f, [&](const uint8_t* d, size_t n) { out.insert(out.end(), d, d + n); });
  w.write_rows(pixels, f.height);
  w.finish();
  return out;
}

decoded_png decode_png(const uint8_t* data, size_t n) {
  png_image img{};
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&img, data, n)) {
    const std::string msg = img.message;
    png_image_free(&img);
    throw io_error("not a readable PNG: " + msg);
  }
  decoded_png d;
  const bool color = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  img.format = color ? PNG_FORMAT_RGB : PNG_FORMAT_GRAY;
  d.width = img.width;
  d.height = img.height;
  d.channels = color ? 3 : 1;
  d.pixels.resize(PNG_IMAGE_SIZE(img));
  if (!png_image_finish_read(&img, nullptr, d.pixels.data(), 0, nullptr)) {
    const std::string msg = img.message;
    png_image_free(&img);
    throw io_error("PNG decoding failed: " + msg);
  }
  return d;
}

}  // namespace specmill
