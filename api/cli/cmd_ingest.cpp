#include "api/cli/command.hpp"
#include "api/cli/ingest_args.hpp"

namespace {

void run(specmill::cli::ingest_args& a) {
  specmill::cli::finish_ingest_args(a);
  if (a.check_stale) return specmill::cli::report_stale(a);
  specmill::cli::report_ingest(a, specmill::ingest(a.opts));
}

const bool registered = specmill::cli::add_command(
    {"ingest", "Pack SDSS spec files into the store's HDF5 blocks and catalog (idempotent, resumable)",
     [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::ingest_args>();
       specmill::cli::add_ingest_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
