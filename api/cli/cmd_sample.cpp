// `specmill sample`: write a synthetic SDSS sample (spec-lite files of both eras + catalog), or
// with --survey desi a DESI DR1 sample (healpix coadd files + a redshift catalog).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "api/cli/command.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/sample/sample_desi.hpp"

namespace {

struct sample_args {
  std::string out;
  size_t count = 100;
  uint64_t seed = 1;
  double legacy_fraction = 0.25;
  unsigned jobs = 0;
  std::string survey = "sdss";
  std::string mask_type = "int32";
  size_t fields = 3;
  double repeat_fraction = 0.1;
  bool no_resolution = false;
};

void run_desi(const sample_args& a) {
  specmill::desi_sample_options o;
  o.out = a.out;
  o.count = a.count;
  o.seed = a.seed;
  o.fields = a.fields;
  o.repeat_fraction = a.repeat_fraction;
  o.resolution = !a.no_resolution;
  o.mask_type = a.mask_type == "uint32" ? specmill::desi_mask_type::uint32 : specmill::desi_mask_type::int32;
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = specmill::write_desi_sample(o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %zu DESI coadd files (%zu spectra), %llu bytes, catalog %s, %.2f s\n", s.files, s.spectra,
              static_cast<unsigned long long>(s.bytes), s.catalog.c_str(), secs);
}

void run(const sample_args& a) {
  if (a.survey == "desi") return run_desi(a);
  specmill::sample_options o;
  o.out = a.out;
  o.count = a.count;
  o.seed = a.seed;
  o.legacy_fraction = a.legacy_fraction;
  o.jobs = a.jobs;
  const size_t step = std::max<size_t>(a.count / 10, 1000);
  o.progress = [step, total = a.count](size_t done) {
    // Called every 256 files: log once per `step` files crossed.
    if (done != total && done / step != (done - 256) / step) spdlog::info("sample: {} / {} files", done, total);
  };
  const auto t0 = std::chrono::steady_clock::now();
  const auto s = specmill::write_sample_data(o);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("wrote %zu files, %llu bytes, catalog %s, %.2f s (%.0f files/s)\n", s.files,
              static_cast<unsigned long long>(s.bytes), s.catalog.c_str(), secs, double(s.files) / secs);
}

const bool registered = specmill::cli::add_command(
    {"sample", "Write synthetic SDSS spec-lite files (legacy and BOSS) and a specObj catalog, or DESI coadds (--survey desi)",
     [](CLI::App& sub) {
       auto a = std::make_shared<sample_args>();
       sub.add_option("--out", a->out, "Output directory (created)")->required();
       sub.add_option("--count", a->count, "Number of spectra")->capture_default_str();
       sub.add_option("--seed", a->seed, "Random seed; same seed, same bytes")->capture_default_str();
       sub.add_option("--legacy-fraction", a->legacy_fraction, "Share of SDSS-I/II (RUN2D 26) spectra")
           ->capture_default_str();
       sub.add_option("--jobs", a->jobs, "Worker threads (0 = all cores)")->capture_default_str();
       sub.add_option("--survey", a->survey, "sdss (spec-lite files) or desi (DR1 healpix coadds, --count targets)")
           ->check(CLI::IsMember({"sdss", "desi"}))
           ->capture_default_str();
       sub.add_option("--mask-type", a->mask_type, "desi: X_MASK images as int32 (DR1) or uint32 (BZERO 2^31, early release)")
           ->check(CLI::IsMember({"int32", "uint32"}))
           ->capture_default_str();
       sub.add_option("--fields", a->fields, "desi: sky fields the targets are spread over")->capture_default_str();
       sub.add_option("--repeat-fraction", a->repeat_fraction, "desi: share of targets also observed in sv1")
           ->capture_default_str();
       sub.add_flag("--no-resolution", a->no_resolution, "desi: leave X_RESOLUTION zero (smaller, faster)");
       sub.callback([a] { run(*a); });
     }});

}  // namespace
