#pragma once
#include "common/temp_dir.hpp"
// Shared helpers for the engine tests: temporary directories and the real SDSS files.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace specmill::test {

using test_support::temp_dir;

inline std::filesystem::path shared_spectra() { return std::filesystem::path(SPECMILL_SHARED_DATA) / "spectra"; }

inline std::vector<std::filesystem::path> real_spec_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(shared_spectra()))
    if (e.path().extension() == ".fits") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}



}  // namespace specmill::test
