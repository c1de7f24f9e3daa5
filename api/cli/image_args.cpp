#include "api/cli/image_args.hpp"

#include <spdlog/spdlog.h>

#include "api/cli/plot_args.hpp"
#include "core/error.hpp"
#include "core/mask_bits.hpp"

namespace specmill::cli {
namespace {

size_t non_negative(int64_t v, const char* what) {
  SPECMILL_EXPECTS(v >= 0, std::string(what) + " must not be negative");
  return size_t(v);
}

}  // namespace

void add_image_options(CLI::App& sub, image_args& a) {
  auto& o = a.opts;
  sub.add_option("--store", o.store, "Store directory")->required();
  sub.add_option("--context", o.context, "Dataset name")->capture_default_str();
  sub.add_option("--ids", a.ids, "ID list file, '-' for stdin")->capture_default_str();
  sub.add_option("--cutout", a.cutout, "A-B: the lattice pixels with centers in [A, B] Angstrom (default: the list's span)");
  sub.add_flag("--yflip", o.yflip, "First ID at the top (default: at the bottom)");
  sub.add_option("--scale", a.scale,
                 "zscale (IRAF), linear or asinh (default: zscale; linear when --range is given)");
  sub.add_option("--range", a.range, "LO,HI: display limits in flux units for linear and asinh");
  sub.add_option("--percentiles", a.percentiles, "LO,HI: percentiles of the good pixels that set the limits of linear and asinh without --range")
      ->capture_default_str();
  sub.add_option("--softening", o.asinh_softening, "asinh softening a: y = asinh(x/a)/asinh(1/a) on x in [0,1]")
      ->capture_default_str();
  sub.add_option("--cmap", a.cmap, "gray (8-bit gray PNG), viridis or inferno (RGB PNG)")->capture_default_str();
  sub.add_flag("--invert", o.invert, "Reverse the colormap");
  sub.add_option("--max-height", a.max_height,
                 "Bin consecutive rows (mean of good pixels) into at most N image rows (0: one row an ID)")
      ->capture_default_str();
  sub.add_option("--max-width", a.max_width, "Bin lattice columns into at most N image columns (0: none)")
      ->capture_default_str();
  sub.add_option("--thickness", a.thickness, "PNG pixels per image row (1..64)")->capture_default_str();
  sub.add_option("--column-repeat", a.column_repeat, "PNG pixels per image column (1..64)")->capture_default_str();
  sub.add_flag("--normalize", o.normalize,
               "Divide each image row by the median of its good pixels (rows with a median <= 0 stay as they are)");
  sub.add_option("--mask-bits", a.mask_bits, "and_mask bits that mask a pixel: names (NOPLUG,BRIGHTSKY), values, default or none (ivar 0 always does)")
      ->capture_default_str();
  sub.add_option("--compression", o.png_compression, "PNG zlib level 0..9")->capture_default_str();
  sub.add_option("--device", a.device, "auto, cpu or cuda (auto: cuda when a GPU is present)")->capture_default_str();
  sub.add_option("--out,-o", a.out, "Output: FILE.png, FILE.npy (float32, NaN masked) or '-' (PNG on stdout)")
      ->required();
}

void finish_image_args(image_args& a) {
  auto& o = a.opts;
  if (!a.cutout.empty()) o.cutout = parse_wavelength_range(a.cutout);
  if (!a.range.empty()) o.range = parse_limits(a.range, "--range");
  // --range alone means linear: zscale finds its own limits.
  o.scale = a.scale.empty() ? (o.range ? image_scale::linear : image_scale::zscale) : parse_image_scale(a.scale);
  const display_limits p = parse_limits(a.percentiles, "--percentiles");
  o.percentile_lo = p.lo;
  o.percentile_hi = p.hi;
  o.cmap = parse_colormap(a.cmap);
  o.max_height = non_negative(a.max_height, "--max-height");
  o.max_width = non_negative(a.max_width, "--max-width");
  o.thickness = non_negative(a.thickness, "--thickness");
  o.column_repeat = non_negative(a.column_repeat, "--column-repeat");
  // Names (NOPLUG, BRIGHTSKY, ...), mask values (decimal or 0x hex), default, none: engine/mask_bits.
  o.mask_bits = int32_t(specmill::parse_mask_bits(a.mask_bits));
  check_stacked_image_options(o);
  o.device = choose_backend(a.device);
  o.progress = spdlog::get_level() <= spdlog::level::info && a.out != "-";
}

void report_image(const image_args& a, const stacked_image_summary& s) {
  const auto& o = a.opts;
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  if (a.out.extension() == ".npy")
    spdlog::info("image: {} of {} spectra, {} x {} float32 image (lattice {}+{}) written to {}", s.found, s.requested,
                 s.image_rows, s.image_width, s.grid.start, s.grid.width, a.out.string());
  else
    spdlog::info("image: {} of {} spectra, {} x {} px ({} limits {:.6g}, {:.6g}; lattice {}+{}) written to {}", s.found,
                 s.requested, s.png_width, s.png_height, to_string(o.scale), s.limits.lo, s.limits.hi, s.grid.start,
                 s.grid.width, a.out.string());
}

}  // namespace specmill::cli
