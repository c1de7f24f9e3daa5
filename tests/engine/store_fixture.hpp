#pragma once
// Shared helpers for the engine tests: temporary directories and the real SDSS files.
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace specmill::test {

inline std::filesystem::path shared_spectra() { return std::filesystem::path(SPECMILL_SHARED_DATA) / "spectra"; }

inline std::vector<std::filesystem::path> real_spec_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(shared_spectra()))
    if (e.path().extension() == ".fits") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// A fresh directory under the system temp dir, removed at scope exit.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / ("specmill-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

}  // namespace specmill::test
