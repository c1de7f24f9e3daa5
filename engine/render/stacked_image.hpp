#pragma once
// Stacked images (the original service's stackedImage): one row per spectrum of an ID list,
// columns on the common log-lambda lattice (the list's span, or a cutout window), the flux
// scaled to 8 bits and colour-mapped into a PNG, or the float32 image as .npy.
//
// Layout: the FIRST ID IS THE BOTTOM ROW unless yflip; column j is lattice index
// grid.start + j (wavelength 10^((start + j) * 1e-4) Angstrom, vacuum). A pixel is masked when
// its ivar is 0 (which includes the padding beyond a spectrum's ends and IDs without pixels),
// its flux is not finite, or its and_mask has one of mask_bits; masked pixels are NaN in the
// float image, left out of every statistic, and drawn in the masked colour
// (kernels/colormap.hpp). With max_height (max_width), consecutive rows (columns) are binned
// into at most that many: each image pixel is the mean of the good pixels it covers, masked
// when none is good. docs/rendering.md has the details.
//
// Memory: the float image (after binning) is held, because zscale and percentiles are taken
// over all of it: at most max_image_pixels (default 2^28, 1 GiB of float32) or
// invalid_argument asking for --max-height. Rows stream from the store in list windows
// (aligned_reader); the 8-bit image is made and PNG-encoded a band at a time.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/colormap.hpp"
#include "kernels/image_scale.hpp"
#include "kernels/zscale.hpp"
#include "core/default_context.hpp"
#include "engine/pipeline/window_size.hpp"

namespace specmill {

// zscale: IRAF's zscale limits, linear stretch (the original service's default).
// linear: limits from percentiles (or the given range), linear stretch.
// asinh: the same limits, asinh stretch (kernels/image_scale.hpp).
enum class image_scale { zscale, linear, asinh };
image_scale parse_image_scale(std::string_view text);  // invalid_argument for others
std::string_view to_string(image_scale s);

// "LO,HI": two finite numbers, LO < HI. invalid_argument otherwise (what names the option).
display_limits parse_limits(std::string_view text, std::string_view what);

// The options map onto the original service's stackedImage parameters: cmap -> cmap,
// inverse -> invert, thickness -> thickness (pixels a row), width -> max_width, height ->
// max_height, xscale / yscale -> column_repeat / thickness.
struct stacked_image_options {
  std::filesystem::path store;
  std::string context{default_context};
  std::optional<wavelength_range> cutout;  // default: the list's span
  bool yflip = false;                      // first ID on top instead of at the bottom
  image_scale scale = image_scale::zscale;
  std::optional<display_limits> range;     // linear/asinh: these limits instead of percentiles
  double percentile_lo = 1, percentile_hi = 99;
  double asinh_softening = default_asinh_softening;
  zscale_params zscale;
  colormap_id cmap = colormap_id::gray;
  bool invert = false;                     // the colormap reversed
  std::optional<rgb8> masked_color;        // default: default_masked_color(cmap)
  size_t max_height = 0;                   // 0: one image row per ID
  size_t max_width = 0;                    // 0: one image column per lattice pixel
  size_t thickness = 1;                    // PNG pixels per image row (1..64)
  size_t column_repeat = 1;                // PNG pixels per image column (1..64)
  int32_t mask_bits = 0;                   // and_mask bits that mask a pixel (ivar 0 always does)
  bool normalize = false;                  // each image row divided by the median of its good
                                           // pixels (left alone when that median is not > 0)
  backend device = backend::cpu;
  int png_compression = 6;
  size_t window_bytes = default_window_bytes;  // one column of one list window while reading
  uint64_t max_image_pixels = uint64_t(1) << 28;
  bool progress = false;
  // Called between windows; throws to cancel the job (the REST service's request budget).
  std::function<void()> checkpoint;
};

// The float image, in display order (row 0 is the top row): NaN where masked.
struct float_image {
  size_t rows = 0, width = 0;
  std::vector<float> pixels;
  lattice_window grid;         // the lattice window the columns cover
  size_t column_bin = 1;       // lattice pixels per column (about: bins differ by at most 1)
  const float* row(size_t r) const { return pixels.data() + r * width; }
};

struct stacked_image_summary {
  size_t requested = 0, found = 0;
  std::vector<std::string> missing;  // ID lines not found (or without pixel data): masked rows
  size_t image_rows = 0, image_width = 0;  // the float image
  size_t png_width = 0, png_height = 0;    // with thickness / column_repeat (PNG only)
  lattice_window grid;
  display_limits limits;             // PNG only
};

// Checks the options (sizes, percentiles, softening...): invalid_argument naming the option.
void check_stacked_image_options(const stacked_image_options& o);

// Reads and bins the image of resolved IDs from an open store (IDs without pixels give
// masked rows). not_found when no ID has pixels; invalid_argument past max_image_pixels.
float_image read_stacked_image(store& st, std::span<const resolved_id> ids, const stacked_image_options& o);

// The display limits the options ask for, over the image's good pixels.
display_limits stacked_image_limits(const float_image& img, const stacked_image_options& o);

// PNG-encodes the image with the options' scale, colormap and replication; bytes go to sink.
void encode_stacked_image(const float_image& img, display_limits lim, const stacked_image_options& o,
                          const std::function<void(const uint8_t*, size_t)>& sink);

// The whole request: open the store, resolve, read, scale, encode. The PNG bytes in memory
// (the REST front serves them); summary filled when given. not_found when no ID is found.
std::vector<uint8_t> stacked_image_png(const stacked_image_options& o, std::vector<spectrum_id> ids,
                                       stacked_image_summary* summary = nullptr);

// The CLI form: out ending in .npy writes the float32 image (shape rows x width, display
// order, NaN masked); anything else (or "-", stdout) a PNG.
stacked_image_summary write_stacked_image(const stacked_image_options& o, std::vector<spectrum_id> ids,
                                          const std::filesystem::path& out);

}  // namespace specmill
