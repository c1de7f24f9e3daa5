#include <spdlog/spdlog.h>

#include <iostream>

#include "api/cli/command.hpp"
#include "engine/ingest/ingest.hpp"

namespace {

struct ingest_args {
  specmill::ingest_options opts;
  std::string catalog;
  bool strict = false;
};

void run(ingest_args& a) {
  if (!a.catalog.empty()) a.opts.catalog = a.catalog;
  a.opts.progress = spdlog::get_level() <= spdlog::level::info;
  const auto s = specmill::ingest(a.opts);
  std::cout << "ingest: " << s.files << " files in " << s.seconds << " s ("
            << (s.seconds > 0 ? double(s.files) / s.seconds : 0.0) << " files/s): " << s.ingested << " ingested, "
            << s.linked << " linked from another context, " << s.skipped << " skipped (already stored), "
            << s.failed << " failed; " << s.blocks << " blocks written";
  if (s.catalog_rows) std::cout << "; " << s.catalog_rows << " catalog rows";
  if (s.orphans_removed) std::cout << "; " << s.orphans_removed << " leftovers of an interrupted run removed";
  std::cout << "\n";
  for (const auto& f : s.failures) std::cout << "failed: " << f.file << ": " << f.reason << "\n";
  if (s.failed > s.failures.size()) std::cout << "(" << s.failed - s.failures.size() << " more failures in the log)\n";
  for (const auto& d : s.duplicates)
    std::cout << "duplicate: " << d.file << ": SPECOBJID " << d.specobjid << " skipped, "
              << (d.kept.empty() ? std::string("already stored") : "kept from " + d.kept) << "\n";
  // Nothing usable at all is an error; so is any failure under --strict.
  if ((s.ingested + s.linked + s.skipped == 0 && !s.catalog_rows) || (a.strict && s.failed > 0))
    throw CLI::RuntimeError(specmill::cli::exit_failure);
}

const bool registered = specmill::cli::add_command(
    {"ingest", "Pack SDSS spec files into the store's HDF5 blocks and catalog (idempotent, resumable)",
     [](CLI::App& sub) {
       auto a = std::make_shared<ingest_args>();
       sub.add_option("--store", a->opts.store, "Store directory (created when missing)")->required();
       sub.add_option("--context", a->opts.context, "Dataset name, e.g. sdss_dr16, sdss_dr17")->capture_default_str();
       sub.add_option("--description", a->opts.context_description, "Description of the context");
       sub.add_option("--catalog", a->catalog, "specObj/spAll FITS catalog whose rows override HDU 2 metadata")
           ->check(CLI::ExistingFile);
       sub.add_option("--jobs,-j", a->opts.jobs, "Reader threads (0: all cores)")->capture_default_str();
       sub.add_option("--block-size", a->opts.block_spectra, "Spectra per HDF5 block")->capture_default_str();
       sub.add_flag("--strict", a->strict, "Exit non-zero when any file fails");
       sub.add_option("inputs", a->opts.inputs, "Spec files, directories (searched recursively for spec-*.fits) or @listfile");
       sub.callback([a] { run(*a); });
     }});

}  // namespace
