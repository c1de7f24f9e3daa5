#include <spdlog/spdlog.h>

#include <iostream>

#include "api/cli/command.hpp"
#include "core/error.hpp"
#include "engine/calibrate/calibrate.hpp"
#include "kernels/launch/backend.hpp"

namespace {

struct calibrate_args {
  specmill::calibrate_options opts;
  std::string ids = "-";
  std::string device = "auto";
  std::string method = "chebyshev";
};

void run(calibrate_args& a) {
  using namespace specmill;
  a.opts.device = choose_backend(a.device);
  SPECMILL_EXPECTS(a.method == "chebyshev" || a.method == "flat", "--method must be chebyshev or flat");
  if (a.method == "flat") {
    SPECMILL_EXPECTS(a.opts.params.degree <= 0, "--method flat is degree 0");
    a.opts.params.degree = 0;
  }
  const auto s = run_calibrate(a.opts, load_id_list(a.ids));
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  std::cout << "calibrate (" << to_string(a.opts.device) << "): " << s.found << " of " << s.requested
            << " spectra: " << s.calibrated << " calibrated, " << s.not_calibrated
            << " not (too few usable bands: written unchanged); wrote " << a.opts.out.string() << "\n";
}

const bool registered = specmill::cli::add_command(
    {"calibrate", "Fit each spectrum's smooth multiplier to broadband fluxes (catalog SPECTROFLUX or a CSV) and write "
                  "the calibrated spectra",
     [](CLI::App& sub) {
       auto a = std::make_shared<calibrate_args>();
       sub.add_option("--store", a->opts.store, "Store directory")->required();
       sub.add_option("--context", a->opts.context, "Dataset name")->capture_default_str();
       sub.add_option("--ids", a->ids, "ID list file, '-' for stdin")->capture_default_str();
       sub.add_option("--filters", a->opts.filters, "Comma list of bands to fit (at most 8)")->capture_default_str();
       sub.add_option("--photometry", a->opts.photometry_file,
                      "CSV specobjid,band,nanomaggies[,nanomaggies_err] (default: the catalog's spectroflux_<band>)")
           ->check(CLI::ExistingFile);
       sub.add_option("--method", a->method, "chebyshev or flat (one factor)")->capture_default_str();
       sub.add_option("--degree", a->opts.params.degree, "Chebyshev degree 0-2; -1: as many as the bands allow")
           ->capture_default_str();
       sub.add_option("--min-snr", a->opts.params.min_snr, "Bands below this S/N (synthetic or given) are left out")
           ->capture_default_str();
       sub.add_option("--device", a->device, "auto, cpu or cuda")->capture_default_str();
       sub.add_option("--out,-o", a->opts.out,
                      "Output .npz: flux, ivar, loglam, offsets, specobjid, coefficients, bands_used, status")
           ->required();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
