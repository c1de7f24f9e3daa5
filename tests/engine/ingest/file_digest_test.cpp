// file_digest's values are stored in every catalog (stale_check compares them), so a faster
// reader must give exactly the old digests: checked here against the previous implementation
// (std::ifstream, 1 MiB pieces), kept verbatim, on sizes around the word and piece boundaries.
#include "engine/ingest/file_digest.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <random>
#include <vector>

#include "common/temp_dir.hpp"

namespace specmill {
namespace {

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 33);
}

uint64_t reference_digest(const std::filesystem::path& file) {
  constexpr uint64_t k1 = 0x9E3779B97F4A7C15ull, k2 = 0xC2B2AE3D27D4EB4Full;
  uint64_t h = k1, length = 0;
  auto add_word = [&](uint64_t w) { h = rotl(h ^ (w * k2), 31) * k1 + 0x52DCE729ull; };
  std::ifstream in(file, std::ios::binary);
  constexpr size_t piece = size_t(1) << 20;
  std::vector<char> buf(piece);
  while (in) {
    in.read(buf.data(), std::streamsize(piece));
    const auto n = size_t(in.gcount());
    length += n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, buf.data() + i, 8);
      add_word(w);
    }
    if (i < n) {
      uint64_t w = 0;
      std::memcpy(&w, buf.data() + i, n - i);
      add_word(w ^ (uint64_t(n - i) << 56));
    }
  }
  return mix(h ^ mix(length));
}

TEST(FileDigest, SameValuesAsTheIfstreamReaderAtEverySizeBoundary) {
  test_support::temp_dir tmp;
  std::mt19937_64 rng(5);
  const size_t mib = size_t(1) << 20;
  for (size_t size : {size_t(0), size_t(1), size_t(7), size_t(8), size_t(9), size_t(2880 * 70 + 3), mib - 1, mib,
                      mib + 1, mib + 9, 3 * mib + 5}) {
    std::vector<char> bytes(size);
    for (auto& b : bytes) b = char(rng());
    const auto p = tmp.path() / ("f" + std::to_string(size));
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(size));
    EXPECT_EQ(file_digest(p), reference_digest(p)) << size << " bytes";
  }
}

// Ingest now digests the bytes it has read for the spectrum (bytes_digest, one add over the
// whole buffer) where file_digest adds 1 MiB pieces: the values must not change, sizes that are
// no multiple of 8 and past a piece included.
TEST(FileDigest, DigestOfTheBytesEqualsDigestOfTheFile) {
  test_support::temp_dir tmp;
  std::mt19937_64 rng(11);
  const size_t mib = size_t(1) << 20;
  for (size_t size : {size_t(0), size_t(1), size_t(5), size_t(8), size_t(13), size_t(2880), size_t(2880 * 58 + 7),
                      mib - 3, mib, mib + 1, mib + 8, 2 * mib + 6, 5 * mib + 2881}) {
    std::vector<unsigned char> bytes(size);
    for (auto& b : bytes) b = static_cast<unsigned char>(rng());
    const auto p = tmp.path() / ("f" + std::to_string(size));
    std::ofstream(p, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(size));
    EXPECT_EQ(bytes_digest(bytes), file_digest(p)) << size << " bytes";
    EXPECT_EQ(bytes_digest(bytes), reference_digest(p)) << size << " bytes";
  }
}

}  // namespace
}  // namespace specmill
