#include "api/cli/stack_args.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/mask_bits.hpp"

namespace specmill::cli {

void add_stack_options(CLI::App& sub, stack_args& a) {
  sub.add_option("--store", a.opts.store, "Store directory")->required();
  sub.add_option("--context", a.opts.context, "Dataset name")->capture_default_str();
  sub.add_option("--ids", a.ids,
                 "ID list file, '-' for stdin: one SPECOBJID or plate,mjd,fiberid (plate-mjd-fiberid) a line")
      ->capture_default_str();
  sub.add_option("--method", a.method, "weighted_mean (ivar weights), mean, median (exact) or clipped_mean")
      ->capture_default_str();
  sub.add_option("--sigma", a.opts.sigma,
                 "clipped_mean: reject values beyond SIGMA x 1.4826 MAD from the median (>= 1)")
      ->capture_default_str();
  sub.add_option("--iterations", a.opts.iterations,
                 "clipped_mean: clipping rounds at most (stops early when nothing changes)")
      ->capture_default_str();
  sub.add_option("--grid", a.grid,
                 "log:START,STOP,STEP (log10 Angstrom) or lin:START,STOP,STEP (Angstrom): resample every "
                 "spectrum onto this grid first (default: the list's span on the store's native lattice, "
                 "no resampling)");
  sub.add_flag("--rest-frame", a.opts.rest_frame,
               "Shift each spectrum to its rest frame by its catalog z (or --redshifts); the grid is then in "
               "rest-frame Angstrom (without --grid: the list's rest-frame coverage, at the store's native "
               "log10 step)");
  sub.add_option("--redshifts", a.redshifts, "With --rest-frame: a file of z values, one a line, in ID order");
  sub.add_option("--normalize", a.normalize,
                 "A-B: divide each spectrum by its median good flux over [A, B] Angstrom of the stacking frame "
                 "first (spectra with a median <= 0 or no good pixel there are dropped)");
  sub.add_option("--normalize-band", a.opts.normalize_band,
                 "Divide each spectrum by its mean f_lambda through this filter first (u, g, r, i, z for the "
                 "SDSS 2010 curves, a shipped filter name or a filter file); flagged bands are dropped");
  sub.add_option("--mask-bits", a.mask_bits,
                 "and_mask bits that exclude a pixel: comma list of SDSS names (NOPLUG, BRIGHTSKY, ...), mask "
                 "values (decimal or 0x hex), 'default' (the SDSS bad-pixel bits, docs/stack.md) or 'none'")
      ->capture_default_str();
  sub.add_option("--device", a.device, "auto, cpu or cuda (auto: cuda when a GPU is present)")
      ->capture_default_str();
  sub.add_option("--memory", a.memory_mib,
                 "median/clipped_mean: MiB for one tile of pixels' values at most (host for cpu, where tiles "
                 "are ~64 MiB within it; device for cuda); fewer MiB, more tiles (each re-reads the list)")
      ->capture_default_str();
  sub.add_option("--format", a.format, "npz, fits or csv (default: from --out's extension, else npz)");
  sub.add_option("--out,-o", a.opts.out, "Output file ('-': stdout, csv)")->required();
}

void finish_stack_args(stack_args& a) {
  auto& o = a.opts;
  o.method = parse_stack_method(a.method);
  if (!a.grid.empty()) o.grid = parse_wavelength_grid(a.grid);
  if (!a.normalize.empty()) o.normalize = parse_wavelength_range(a.normalize);
  SPECMILL_EXPECTS(a.redshifts.empty() || o.rest_frame, "--redshifts needs --rest-frame");
  if (!a.redshifts.empty()) o.redshifts = load_redshift_list(a.redshifts);
  o.mask_bits = parse_mask_bits(a.mask_bits);
  SPECMILL_EXPECTS(a.memory_mib >= 1 && a.memory_mib <= 1e9, "--memory must be at least 1 (MiB)");
  o.memory_bytes = size_t(a.memory_mib * 1048576.0);
  if (a.format.empty()) {
    const std::string ext = o.out.extension().string();
    a.format = o.out == "-" ? "csv" : ext.empty() ? "npz" : ext.substr(1);
  }
  o.format = parse_stack_format(a.format);
  check_stack_options(o);
  o.device = choose_backend(a.device);
  o.progress = spdlog::get_level() <= spdlog::level::info && o.out != "-";
}

void report_stack(const stack_args& a, const stack_summary& s) {
  const auto& o = a.opts;
  for (size_t k = 0; k < s.missing.size() && k < 20; ++k) spdlog::warn("not found: {}", s.missing[k]);
  if (s.missing.size() > 20) spdlog::warn("... and {} more not found", s.missing.size() - 20);
  std::string dropped;
  if (s.dropped_normalization) dropped += ", " + std::to_string(s.dropped_normalization) + " dropped by the normalisation";
  if (s.dropped_redshift) dropped += ", " + std::to_string(s.dropped_redshift) + " without a usable redshift";
  spdlog::info("stack ({}, {}): {} of {} spectra stacked{}, on {} pixels of {}{}{}, written to {}", to_string(o.method),
              to_string(o.device), s.used, s.requested, dropped, s.width, s.grid, o.rest_frame ? " (rest frame)" : "",
              s.tiles > 1 ? " in " + std::to_string(s.tiles) + " tiles" : std::string(), o.out.string());
}

}  // namespace specmill::cli
