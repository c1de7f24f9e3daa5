#pragma once
// Synthetic SDSS sample data: spec-lite files of both eras laid out like the SAS tree, plus a
// specObj-style catalog, for tests, demos and benchmarks at any scale without downloads.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace specmill {

struct sample_options {
  std::filesystem::path out;
  size_t count = 100;
  uint64_t seed = 1;
  double legacy_fraction = 0.25;   // share of SDSS-I/II legacy (RUN2D 26) spectra; rest BOSS/eBOSS v5_13_0
  unsigned jobs = 0;               // 0 = all cores
  std::function<void(size_t done)> progress;  // optional, called from worker threads occasionally
};

struct sample_summary {
  size_t files = 0;
  uint64_t bytes = 0;              // spectra and catalog
  std::filesystem::path catalog;
};

// Writes `count` spectra as <out>/<run2d>/spectra/lite/<plate4>/spec-<plate4>-<mjd5>-<fiber4>.fits
// and the catalog <out>/specObj-sample.fits (one row per file, in generation order). The bytes
// depend only on (seed, count, legacy_fraction), never on `jobs` or the clock. No two files
// share (plate, mjd, fiber). Throws invalid_argument (count 0, fraction outside [0, 1], empty
// out), io_error/fits_error when the tree cannot be written.
sample_summary write_sample_data(const sample_options& options);

// The path of one spectrum relative to the sample root (plates below 10000 padded to 4 digits).
std::filesystem::path sample_spectrum_path(const std::string& run2d, int32_t plate, int32_t mjd, int32_t fiber);

}  // namespace specmill
