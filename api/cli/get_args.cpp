#include "api/cli/get_args.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/mask_bits.hpp"
#include "engine/get/get_meta.hpp"

namespace specmill::cli {

void add_get_options(CLI::App& sub, get_args& a) {
  sub.add_option("--store", a.opts.store, "Store directory")->required();
  sub.add_option("--context", a.opts.context, "Dataset name")->capture_default_str();
  sub.add_option("--ids", a.ids,
                 "ID list file, '-' for stdin: one SPECOBJID or plate,mjd,fiberid (plate-mjd-fiberid) a line")
      ->capture_default_str();
  sub.add_option("--format", a.format,
                 "npz, npy, fits, csv or hdf5 (default: from --out's extension (.h5 = hdf5), else npz)");
  sub.add_option("--columns", a.columns,
                 "all, or a comma list of flux,loglam,ivar,and_mask,or_mask,wdisp,sky,model "
                 "(default: all; flux,ivar,and_mask with --align/--cutout/--resample)");
  sub.add_flag("--align", a.opts.align,
               "Place every spectrum on the list's common log-lambda lattice (its global min to max), "
               "zero-padded: a 2-D array per column");
  sub.add_option("--cutout", a.cutout,
                 "A-B: align, then keep the lattice pixels with centers in [A, B] Angstrom (vacuum), "
                 "zero-padded where a spectrum does not reach");
  sub.add_option("--resample", a.resample,
                 "log:START,STOP,STEP (log10 Angstrom) or lin:START,STOP,STEP (Angstrom): flux-conserving "
                 "resampling onto that grid, ivar propagated, masked pixels excluded (columns flux, ivar, and_mask)");
  sub.add_flag("--rest-frame", a.opts.rest_frame,
               "With --resample: the grid is in the rest frame, each spectrum shifted by its catalog z "
               "(flux per rest-frame Angstrom, integral conserved)");
  sub.add_option("--redshifts", a.redshifts, "With --rest-frame: a file of z values, one a line, in ID order");
  sub.add_option("--mask-bits", a.mask_bits,
                 "With --resample: and_mask bits that exclude a pixel: names (NOPLUG,BRIGHTSKY), values, default or none (ivar 0 always does)")
      ->capture_default_str();
  sub.add_option("--device", a.device, "auto, cpu or cuda (auto: cuda when a GPU is present)")
      ->capture_default_str();
  sub.add_option("--meta", a.meta,
                 "auto, yes or no: carry each spectrum's catalog row (ID, ra, dec, z, class, plate, mjd, fiberid, "
                 "...) with its pixels; auto: yes for npz, hdf5 and fits, no for csv (stored form only)")
      ->capture_default_str();
  sub.add_option("--camera", a.camera,
                 "DESI, a store ingested with --with-cameras: b, r or z, that camera's arrays exactly as in the coadd "
                 "file (wavelength, flux, ivar, mask) instead of the merged brz spectrum");
  sub.add_flag("--with-resolution", a.opts.with_resolution,
               "DESI, a store ingested with --with-resolution: add member `resolution` [n, 11, pixels] (the brz "
               "resolution diagonals, or the camera's with --camera); npz only");
  sub.add_option("--out,-o", a.opts.out, "Output file ('-': stdout, for npy and csv)")->required();
}

void finish_get_args(get_args& a) {
  if (!a.cutout.empty()) a.opts.cutout = parse_wavelength_range(a.cutout);
  if (!a.resample.empty()) a.opts.resample = parse_wavelength_grid(a.resample);
  SPECMILL_EXPECTS(!(a.opts.resample && a.opts.cutout), "--resample and --cutout exclude each other (a resampling grid is its own range)");
  SPECMILL_EXPECTS(a.opts.resample || (!a.opts.rest_frame && a.redshifts.empty()),
                   "--rest-frame and --redshifts need --resample (a rest-frame grid)");
  SPECMILL_EXPECTS(a.redshifts.empty() || a.opts.rest_frame, "--redshifts needs --rest-frame");
  if (!a.redshifts.empty()) a.opts.redshifts = specmill::load_redshift_list(a.redshifts);
  // Names (NOPLUG, BRIGHTSKY, ...), mask values (decimal or 0x hex), default, none: engine/mask_bits.
  a.opts.mask_bits = int32_t(specmill::parse_mask_bits(a.mask_bits));
  if (!a.camera.empty()) a.opts.camera = parse_camera(a.camera);
  SPECMILL_EXPECTS(!a.opts.camera || a.columns.empty(), "--camera writes the camera's flux, ivar and mask; give no --columns");
  const bool dense = a.opts.align || a.opts.cutout || a.opts.resample;
  a.opts.columns = a.columns.empty() ? (dense ? default_dense_columns : parse_columns("all")) : parse_columns(a.columns);
  a.opts.device = choose_backend(a.device);
  if (a.format.empty()) {  // from the extension of --out
    const std::string ext = a.opts.out.extension().string();
    a.format = ext.empty() ? "npz" : ext.substr(1);
  }
  a.opts.format = parse_get_format(a.format);
  a.opts.meta = wants_meta(parse_meta_mode(a.meta), a.opts.format, dense || a.opts.camera);
  a.opts.progress = spdlog::get_level() <= spdlog::level::info;
}

void report_get(const get_args& a, const get_summary& s) {
  const bool dense = a.opts.align || a.opts.cutout || a.opts.resample;
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  if (a.opts.camera)
    spdlog::info("get: {} of {} spectra, camera {} ({} pixels a row{}) written to {}", s.found, s.requested,
                 a.opts.camera, s.width, a.opts.with_resolution ? ", with resolution" : "", a.opts.out.string());
  else if (dense)
    spdlog::info("get: {} of {} spectra on {} pixels a row written to {}", s.found, s.requested, s.width,
                 a.opts.out.string());
  else
    spdlog::info("get: {} of {} spectra ({} pixels) written to {}", s.found, s.requested, s.pixels, a.opts.out.string());
}

}  // namespace specmill::cli
