#include "engine/render/stacked_image.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/error.hpp"
#include "core/good_pixel.hpp"
#include "engine/pipeline/aligned_reader.hpp"
#include "engine/pipeline/window_pipeline.hpp"
#include "io/formats/output_file.hpp"
#include "engine/pipeline/progress.hpp"
#include "io/formats/npy.hpp"
#include "io/image/png_writer.hpp"
#include "kernels/image_bin.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

constexpr float masked_value = std::numeric_limits<float>::quiet_NaN();
// 8-bit rows handed to the PNG encoder at a time: many 256 KiB deflate pieces for the threads,
// little memory.
constexpr size_t band_bytes = size_t(8) << 20;

// Brightness differs between spectra by orders of magnitude; dividing each row by its median
// lets one set of limits show the features of all of them.
void normalize_rows(float_image& img) {
  tbb::parallel_for(size_t(0), img.rows, [&](size_t r) {
    float* row = img.pixels.data() + r * img.width;
    std::vector<float> good;
    for (size_t j = 0; j < img.width; ++j)
      if (std::isfinite(row[j])) good.push_back(row[j]);
    if (good.empty()) return;
    const auto mid = good.begin() + ptrdiff_t(good.size() / 2);
    std::nth_element(good.begin(), mid, good.end());
    const float median = *mid;
    if (!(median > 0)) return;
    for (size_t j = 0; j < img.width; ++j) row[j] /= median;
  });
}

}  // namespace

image_scale parse_image_scale(std::string_view text) {
  if (text == "zscale") return image_scale::zscale;
  if (text == "linear") return image_scale::linear;
  if (text == "asinh") return image_scale::asinh;
  throw invalid_argument("unknown scale '" + std::string(text) + "' (zscale, linear or asinh)");
}

std::string_view to_string(image_scale s) {
  switch (s) {
    case image_scale::linear: return "linear";
    case image_scale::asinh: return "asinh";
    case image_scale::zscale: break;
  }
  return "zscale";
}

display_limits parse_limits(std::string_view text, std::string_view what) {
  const auto bad = [&] {
    return invalid_argument(std::string(what) + " must be LO,HI with finite LO < HI, not '" + std::string(text) + "'");
  };
  const size_t comma = text.find(',');
  if (comma == std::string_view::npos) throw bad();
  double v[2];
  const std::string_view parts[2] = {text.substr(0, comma), text.substr(comma + 1)};
  for (int k = 0; k < 2; ++k) {
    std::string_view p = parts[k];
    while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
    while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
    if (!p.empty() && p.front() == '+') p.remove_prefix(1);
    const auto r = std::from_chars(p.data(), p.data() + p.size(), v[k]);
    if (p.empty() || r.ec != std::errc() || r.ptr != p.data() + p.size() || !std::isfinite(v[k])) throw bad();
  }
  if (!(v[0] < v[1])) throw bad();
  return {v[0], v[1]};
}

void check_stacked_image_options(const stacked_image_options& o) {
  SPECMILL_EXPECTS(o.percentile_lo >= 0 && o.percentile_hi <= 100 && o.percentile_lo < o.percentile_hi,
                   "percentiles must satisfy 0 <= LO < HI <= 100, not " + std::to_string(o.percentile_lo) + "," +
                       std::to_string(o.percentile_hi));
  SPECMILL_EXPECTS(std::isfinite(o.asinh_softening) && o.asinh_softening > 0, "the asinh softening must be > 0");
  SPECMILL_EXPECTS(!(o.range && o.scale == image_scale::zscale),
                   "a display range goes with the linear or asinh scale, not zscale (which finds its own)");
  SPECMILL_EXPECTS(!o.range || (std::isfinite(o.range->lo) && std::isfinite(o.range->hi) && o.range->lo < o.range->hi),
                   "the display range must be finite with LO < HI");
  SPECMILL_EXPECTS(o.thickness >= 1 && o.thickness <= 64, "thickness must be 1..64 pixels a row, not " + std::to_string(o.thickness));
  SPECMILL_EXPECTS(o.column_repeat >= 1 && o.column_repeat <= 64,
                   "column repeat must be 1..64 pixels a column, not " + std::to_string(o.column_repeat));
  SPECMILL_EXPECTS(o.max_height <= 1'000'000, "max height must be at most 1,000,000 rows (0: no binning)");
  SPECMILL_EXPECTS(o.max_width <= 100'000, "max width must be at most 100,000 columns (0: no binning)");
  SPECMILL_EXPECTS(o.png_compression >= 0 && o.png_compression <= 9, "PNG compression level must be 0..9");
  SPECMILL_EXPECTS(o.zscale.n_samples > 0 && o.zscale.contrast >= 0 && o.zscale.krej > 0, "bad zscale parameters");
}

float_image read_stacked_image(store& st, std::span<const resolved_id> ids, const stacked_image_options& o) {
  check_stacked_image_options(o);
  const bool any = std::any_of(ids.begin(), ids.end(), [](const resolved_id& r) { return r.has_pixels(); });
  if (!any) throw not_found(ids.empty() ? std::string("empty ID list") : "none of the " + std::to_string(ids.size()) + " IDs has pixels in the store");
  float_image img;
  img.grid = o.cutout ? cutout_window(*o.cutout, st.grid()) : list_span(ids, st.grid());
  const size_t n = ids.size(), in_width = size_t(img.grid.width);
  img.rows = o.max_height && n > o.max_height ? o.max_height : n;
  img.width = o.max_width && in_width > o.max_width ? o.max_width : in_width;
  img.column_bin = (in_width + img.width - 1) / img.width;
  if (uint64_t(img.rows) * img.width > o.max_image_pixels)
    throw invalid_argument("the image would have " + std::to_string(img.rows) + " x " + std::to_string(img.width) +
                           " pixels, more than the limit of " + std::to_string(o.max_image_pixels) +
                           ": bin rows with --max-height (at most " + std::to_string(o.max_image_pixels / img.width) +
                           " at this width) or columns with --max-width");
  // thickness and column_repeat multiply the picture: the limit holds for what is drawn.
  const uint64_t drawn = uint64_t(img.rows) * o.thickness * img.width * o.column_repeat;
  if (drawn > o.max_image_pixels)
    throw invalid_argument("the image would be " + std::to_string(img.width * o.column_repeat) + " x " +
                           std::to_string(img.rows * o.thickness) + " pixels after scaling (thickness " +
                           std::to_string(o.thickness) + ", column repeat " + std::to_string(o.column_repeat) +
                           "), more than the limit of " + std::to_string(o.max_image_pixels));
  const bool binned = img.rows != n || img.width != in_width;
  img.pixels.assign(img.rows * img.width, masked_value);
  const image_row_map rows{n, img.rows, o.yflip};
  const image_column_map cols{in_width, img.width};
  const uint32_t bits = uint32_t(o.mask_bits);

  // The reader preads each spectrum into its row of the slot; on cuda the pipeline copies the
  // window to the device once and kernels/image_bin bins it there: only the image comes back.
  aligned_reader reader(st, ids, img.grid, backend::cpu, o.window_bytes);
  progress_meter meter("image", n, o.progress);
  if (o.checkpoint) meter.set_checkpoint(o.checkpoint);
  std::vector<column> read_cols{column::flux, column::ivar};
  if (bits) read_cols.push_back(column::and_mask);
  const backend b = o.device;
  window_pipeline pipe(reader, read_cols, b);
  // The image (and the bins' sums and counts) on the backend, made once per request.
  std::vector<double> host_sums;
  std::vector<uint32_t> host_counts;
  device_buffer d_pixels, d_sums, d_counts;
  float* pixels = img.pixels.data();
  double* sums = nullptr;
  uint32_t* counts = nullptr;
  if (b == backend::cuda) {
    d_pixels = device_buffer::from_host(std::span<const float>(img.pixels));
    pixels = d_pixels.data<float>();
  }
  if (binned) {
    if (b == backend::cuda) {
      d_sums = device_buffer::from_host(std::span<const double>(std::vector<double>(img.pixels.size(), 0.0)));
      d_counts = device_buffer::from_host(std::span<const uint32_t>(std::vector<uint32_t>(img.pixels.size(), 0)));
      sums = d_sums.data<double>();
      counts = d_counts.data<uint32_t>();
    } else {
      host_sums.assign(img.pixels.size(), 0.0);
      host_counts.assign(img.pixels.size(), 0);
      sums = host_sums.data();
      counts = host_counts.data();
    }
  }
  pipe.run(
      [&](const aligned_reader::window& w, staged_window& slot) {
        const image_window iw{w.first, w.last, in_width, slot.on_backend<float>(0), slot.on_backend<float>(1),
                              bits ? slot.on_backend<int32_t>(2) : nullptr, bits};
        // Queued on the window's stream on cuda: the next window's upload overlaps it.
        if (binned)
          image_bin_rows(b, iw, rows, cols, sums, counts, slot.stream());
        else
          image_copy_rows(b, iw, rows, pixels, slot.stream());
      },
      [&](size_t done) { meter.update(done); });
  if (binned) image_bin_finish(b, sums, counts, pixels, img.pixels.size());
  if (b == backend::cuda) d_pixels.copy_to_host(img.pixels.data(), img.pixels.size() * sizeof(float));  // waits
  if (o.normalize) normalize_rows(img);
  meter.finish(n);
  return img;
}

display_limits stacked_image_limits(const float_image& img, const stacked_image_options& o) {
  if (o.scale == image_scale::zscale) {
    // zscale samples every stride-th value in array order: take it in one order whatever the
    // display's (the unflipped one), so that a flipped image is the exact mirror.
    if (!o.yflip) return zscale_limits(img.pixels, o.zscale);
    std::vector<float> unflipped(img.pixels.size());
    for (size_t r = 0; r < img.rows; ++r)
      std::copy_n(img.pixels.begin() + std::ptrdiff_t(r * img.width), img.width,
                  unflipped.begin() + std::ptrdiff_t((img.rows - 1 - r) * img.width));
    return zscale_limits(unflipped, o.zscale);
  }
  if (o.range) return *o.range;
  return percentile_limits(img.pixels, o.percentile_lo, o.percentile_hi);
}

void encode_stacked_image(const float_image& img, display_limits lim, const stacked_image_options& o,
                          const std::function<void(const uint8_t*, size_t)>& sink) {
  check_stacked_image_options(o);
  SPECMILL_EXPECTS(img.rows > 0 && img.width > 0, "empty image");
  const render_pixel_op op = make_render_op(lim, o.scale == image_scale::asinh ? stretch::asinh : stretch::linear, o.cmap,
                                            o.invert, o.masked_color.value_or(default_masked_color(o.cmap)),
                                            o.asinh_softening);
  png_format f;
  f.width = uint32_t(img.width * o.column_repeat);
  f.height = uint32_t(img.rows * o.thickness);
  f.color = op.channels == 1 ? png_color::gray : png_color::rgb;
  f.compression_level = o.png_compression;
  // Rows of noisy spectra hold few long matches: zlib's RLE search compresses them within 1%
  // of the full search at 2-4x its speed (bench/RESULTS.md, Rendering).
  f.strategy = png_strategy::rle;
  // Enough to map the picture back to data: the lattice columns and the limits used.
  char limits[64];
  std::snprintf(limits, sizeof limits, "%.9g,%.9g", lim.lo, lim.hi);
  f.text = {{"Software", "specmill"},
            {"Comment", "stacked image: lattice start " + std::to_string(img.grid.start) + ", width " +
                            std::to_string(img.grid.width) + " (" + describe_lattice(img.grid.grid) + "), " + std::to_string(img.width) +
                            " columns, " + std::to_string(img.rows) + " rows (first ID " +
                            (o.yflip ? "top" : "bottom") + "), scale " + std::string(to_string(o.scale)) + " limits " +
                            limits + ", cmap " + std::string(to_string(o.cmap)) + (o.invert ? " inverted" : "")}};
  png_writer writer(f, sink);
  const size_t row_bytes = f.row_bytes();
  const size_t band_rows = std::max<size_t>(1, band_bytes / row_bytes);
  std::vector<uint8_t> band(std::min<size_t>(band_rows, f.height) * row_bytes);
  for (size_t r0 = 0; r0 < f.height; r0 += band_rows) {
    render_band b;
    b.width = img.width;
    b.xrep = o.column_repeat;
    b.yrep = o.thickness;
    b.first_out_row = r0;
    b.out_rows = std::min<size_t>(band_rows, f.height - r0);
    b.in = img.row(b.first_in_row());
    render_pixels(o.device, b, op, band.data());
    writer.write_rows(band.data(), b.out_rows);
  }
  writer.finish();
}

namespace {

struct opened_request {
  store st;
  resolved_list ids;
  opened_request(const stacked_image_options& o, std::vector<spectrum_id> list) : st(o.store, store::access::read) {
    SPECMILL_EXPECTS(st.catalog().has_context(o.context), "unknown context '" + o.context + "' in store " + o.store.string());
    ids = resolve_ids(st.catalog(), o.context, std::move(list));
  }
};

void summarize(const resolved_list& ids, const float_image& img, stacked_image_summary& s) {
  s.requested = ids.size();
  for (const auto& r : ids) {
    if (r.has_pixels())
      ++s.found;
    else
      s.missing.push_back(ids.missing_text(r));
  }
  s.image_rows = img.rows;
  s.image_width = img.width;
  s.grid = img.grid;
}

}  // namespace

std::vector<uint8_t> stacked_image_png(const stacked_image_options& o, std::vector<spectrum_id> ids,
                                       stacked_image_summary* summary) {
  check_stacked_image_options(o);
  opened_request req(o, std::move(ids));
  const float_image img = read_stacked_image(req.st, req.ids, o);
  const display_limits lim = stacked_image_limits(img, o);
  std::vector<uint8_t> png;
  encode_stacked_image(img, lim, o, [&](const uint8_t* d, size_t n) { png.insert(png.end(), d, d + n); });
  if (summary) {
    summarize(req.ids, img, *summary);
    summary->limits = lim;
    summary->png_width = img.width * o.column_repeat;
    summary->png_height = img.rows * o.thickness;
  }
  return png;
}

stacked_image_summary write_stacked_image(const stacked_image_options& o, std::vector<spectrum_id> ids,
                                          const std::filesystem::path& out) {
  SPECMILL_EXPECTS(!out.empty(), "no output path (--out)");
  check_stacked_image_options(o);
  opened_request req(o, std::move(ids));
  const float_image img = read_stacked_image(req.st, req.ids, o);
  stacked_image_summary s;
  summarize(req.ids, img, s);
  if (out.extension() == ".npy") {
    npy_writer w(out, npy_dtype::f4, {uint64_t(img.rows), uint64_t(img.width)});
    w.append(img.pixels.data(), img.pixels.size());
    w.close();
    return s;
  }
  s.limits = stacked_image_limits(img, o);
  s.png_width = img.width * o.column_repeat;
  s.png_height = img.rows * o.thickness;
  try {
    output_file f(out);
    encode_stacked_image(img, s.limits, o, [&](const uint8_t* d, size_t n) { f.write(d, n); });
    f.close();
  } catch (...) {
    std::error_code ec;
    if (out != "-") std::filesystem::remove(out, ec);  // no half-written picture left behind
    throw;
  }
  return s;
}

}  // namespace specmill
