#include "api/cli/ingest_args.hpp"

#include <spdlog/spdlog.h>

#include <iostream>

#include "api/cli/command.hpp"
#include "engine/ingest/stale_check.hpp"

namespace specmill::cli {

void add_ingest_options(CLI::App& sub, ingest_args& a) {
  sub.add_option("--store", a.opts.store, "Store directory (created when missing)")->required();
  sub.add_option("--context", a.opts.context, "Dataset name, e.g. sdss_dr16, sdss_dr17")->capture_default_str();
  sub.add_option("--description", a.opts.context_description, "Description of the context");
  sub.add_option("--catalog", a.catalog, "specObj/spAll FITS catalog whose rows override HDU 2 metadata")
      ->check(CLI::ExistingFile);
  sub.add_option("--jobs,-j", a.opts.jobs, "Reader threads (0: all cores)")->capture_default_str();
  sub.add_option("--block-size", a.opts.block_spectra, "Spectra per HDF5 block")->capture_default_str();
  sub.add_flag("--with-cameras", a.opts.with_cameras,
               "DESI only: also store each target's b, r and z camera spectra (flux, ivar, mask) exactly as in the "
               "coadd file (get --camera)");
  sub.add_flag("--with-resolution", a.opts.with_resolution,
               "DESI only: also store the resolution diagonals (11 x 7781, merged across cameras as desispec does; "
               "each camera's own too with --with-cameras) (get --with-resolution)");
  sub.add_flag("--strict", a.strict, "Exit non-zero when any file fails");
  sub.add_flag("--check-stale", a.check_stale,
               "Report the context's ingested files that changed (size, mtime, then content digest) or are "
               "missing, without changing anything");
  sub.add_option("inputs", a.opts.inputs, "Spec files, directories (searched recursively for spec-*.fits) or @listfile");
}

void finish_ingest_args(ingest_args& a) {
  if (a.check_stale && (!a.opts.inputs.empty() || !a.catalog.empty()))
    throw CLI::ValidationError("--check-stale", "checks the files on record; give no inputs or --catalog with it");
  if (!a.catalog.empty()) a.opts.catalog = a.catalog;
  a.opts.progress = spdlog::get_level() <= spdlog::level::info;
}

void report_stale(const ingest_args& a) {
  const auto r = check_stale(a.opts.store, a.opts.context);
  for (const auto& f : r.files)
    std::cout << to_string(f.state) << ": " << f.path << " (SPECOBJID " << f.specobjid << ")"
              << (f.note.empty() ? "" : ": " + f.note) << "\n";
  std::cout << "check-stale: " << r.recorded << " files on record for context " << a.opts.context << ": "
            << r.unchanged << " unchanged, " << r.touched << " touched (same bytes), " << r.changed << " changed, "
            << r.missing << " missing, " << r.unreadable << " unreadable\n";
  if (const size_t listable = r.touched + r.changed + r.missing + r.unreadable; listable > r.files.size())
    std::cout << "(" << listable - r.files.size() << " more not listed)\n";
}

void report_ingest(const ingest_args& a, const ingest_summary& s) {
  std::cout << "ingest: " << s.files << " files in " << s.seconds << " s ("
            << (s.seconds > 0 ? double(s.files) / s.seconds : 0.0) << " files/s): " << s.ingested << " ingested, "
            << s.linked << " linked from another context, " << s.skipped << " skipped (already stored), "
            << s.failed << " failed; " << s.blocks << " blocks written";
  if (s.replaced) std::cout << "; " << s.replaced << " replaced (file changed since it was stored)";
  if (s.touched) std::cout << "; " << s.touched << " of the skipped touched (new mtime, same bytes)";
  if (s.catalog_rows) std::cout << "; " << s.catalog_rows << " catalog rows";
  if (s.orphans_removed) std::cout << "; " << s.orphans_removed << " leftovers of an interrupted run removed";
  std::cout << "\n";
  for (const auto& f : s.failures) std::cout << "failed: " << f.file << ": " << f.reason << "\n";
  if (s.failed > s.failures.size()) std::cout << "(" << s.failed - s.failures.size() << " more failures in the log)\n";
  for (const auto& d : s.duplicates)
    std::cout << "duplicate: " << d.file << ": SPECOBJID " << d.specobjid << " skipped, "
              << (d.kept.empty() ? std::string("already stored") : "kept from " + d.kept) << "\n";
  // Nothing usable at all is an error; so is any failure under --strict.
  if ((s.ingested + s.linked + s.skipped + s.replaced == 0 && !s.catalog_rows) || (a.strict && s.failed > 0))
    throw CLI::RuntimeError(exit_failure);
}

}  // namespace specmill::cli
