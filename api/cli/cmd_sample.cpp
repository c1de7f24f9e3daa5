// `specmill sample`: write a synthetic SDSS sample (spec-lite files of both eras + catalog).
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <memory>

#include "api/cli/command.hpp"
#include "engine/sample/sample_data.hpp"

namespace {

struct sample_args {
  std::string out;
  size_t count = 100;
  uint64_t seed = 1;
  double legacy_fraction = 0.25;
  unsigned jobs = 0;
};

void run(const sample_args& a) {
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
    {"sample", "Write synthetic SDSS spec-lite files (legacy and BOSS) and a specObj catalog",
     [](CLI::App& sub) {
       auto a = std::make_shared<sample_args>();
       sub.add_option("--out", a->out, "Output directory (created)")->required();
       sub.add_option("--count", a->count, "Number of spectra")->capture_default_str();
       sub.add_option("--seed", a->seed, "Random seed; same seed, same bytes")->capture_default_str();
       sub.add_option("--legacy-fraction", a->legacy_fraction, "Share of SDSS-I/II (RUN2D 26) spectra")
           ->capture_default_str();
       sub.add_option("--jobs", a->jobs, "Worker threads (0 = all cores)")->capture_default_str();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
