#include "api/cli/command.hpp"
#include "api/cli/get_args.hpp"

namespace {

void run(specmill::cli::get_args& a) {
  using namespace specmill;
  cli::finish_get_args(a);
  const auto s = get_spectra(a.opts, load_id_list(a.ids));
  cli::report_get(a, s);
}

const bool registered = specmill::cli::add_command(
    {"get", "Write the columns of a list of spectra as stored, aligned, cut out or resampled (npz, npy, fits, csv, hdf5)", [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::get_args>();
       specmill::cli::add_get_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
