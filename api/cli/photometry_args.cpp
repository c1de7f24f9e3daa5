#include "api/cli/photometry_args.hpp"

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "kernels/launch/backend.hpp"

namespace specmill::cli {

void add_photometry_options(CLI::App& sub, photometry_args& a) {
  sub.add_option("--store", a.opts.store, "Store directory")->required();
  sub.add_option("--context", a.opts.context, "Dataset name")->capture_default_str();
  sub.add_option("--ids", a.ids,
                 "ID list file, '-' for stdin: one SPECOBJID or plate,mjd,fiberid (plate-mjd-fiberid) a line")
      ->capture_default_str();
  sub.add_option("--filters", a.opts.filters,
                 "Comma list of shipped filter names (sdss2010-u..z, sdss2010noatm-u..z) or filter files "
                 "(speclite ECSV or two-column text: wavelength [A], response; a path needs a '/' or an extension)")
      ->capture_default_str();
  sub.add_option("--device", a.device, "auto, cpu or cuda")->capture_default_str();
  sub.add_option("--max-uncovered", a.opts.params.max_uncovered_fraction,
                 "Flag 1 (NaN) when more than this fraction of a band's weight lies outside the spectrum")
      ->capture_default_str();
  sub.add_option("--max-masked", a.opts.params.max_masked_fraction,
                 "Flag 2 (NaN) when more than this fraction of the covered weight is on masked (ivar 0) pixels")
      ->capture_default_str();
  sub.add_option("--out,-o", a.opts.out,
                 "Output CSV ('-': stdout): specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag")
      ->required();
}

void finish_photometry_args(photometry_args& a) {
  a.opts.device = choose_backend(a.device);
  a.opts.progress = spdlog::get_level() <= spdlog::level::info;
  SPECMILL_EXPECTS(a.opts.params.max_uncovered_fraction >= 0 && a.opts.params.max_masked_fraction >= 0,
                   "--max-uncovered and --max-masked must be >= 0");
}

void report_photometry(const photometry_args& a, const photometry_summary& s) {
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  std::string flagged;
  for (size_t k = 0; k < s.bands.size(); ++k)
    if (s.flagged[k]) flagged += (flagged.empty() ? "" : ", ") + s.bands[k] + " " + std::to_string(s.flagged[k]);
  spdlog::info("photometry ({}): {} of {} spectra x {} bands = {} rows written to {}{}", to_string(a.opts.device),
               s.found, s.requested, s.bands.size(), s.rows, a.opts.out.string(),
               flagged.empty() ? std::string() : "; flagged (NaN): " + flagged);
}

}  // namespace specmill::cli
