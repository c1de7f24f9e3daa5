#pragma once
// Reproducible random file contents for the tests of ingest's file readers (whole_file,
// mapped_copy, file_digest): a seeded byte string, and a file holding exactly it.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

namespace specmill::test_support {

inline std::vector<unsigned char> random_bytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<unsigned char> out(n);
  for (auto& b : out) b = static_cast<unsigned char>(rng());
  return out;
}

inline void write_file(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) {
  std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
}

}  // namespace specmill::test_support
