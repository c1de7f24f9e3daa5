#include "api/cli/command.hpp"
#include "api/cli/photometry_args.hpp"

namespace {

void run(specmill::cli::photometry_args& a) {
  using namespace specmill;
  cli::finish_photometry_args(a);
  const auto s = run_photometry(a.opts, load_id_list(a.ids));
  cli::report_photometry(a, s);
}

const bool registered = specmill::cli::add_command(
    {"photometry", "Synthetic AB photometry (nanomaggies, magnitudes) of a list of spectra through filter curves",
     [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::photometry_args>();
       specmill::cli::add_photometry_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
