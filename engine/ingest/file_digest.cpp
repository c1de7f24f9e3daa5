#include "engine/ingest/file_digest.hpp"

#include <cstring>
#include <fstream>
#include <vector>

#include "core/error.hpp"

namespace specmill {
namespace {

constexpr uint64_t k1 = 0x9E3779B97F4A7C15ull;
constexpr uint64_t k2 = 0xC2B2AE3D27D4EB4Full;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// MurmurHash3's finaliser: every input bit reaches every output bit.
uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  return h ^ (h >> 33);
}

// Word at a time (about 1 byte per cycle would make the digest cost as much as the FITS read).
struct digest_state {
  uint64_t h = k1;
  uint64_t length = 0;

  void add_word(uint64_t w) { h = rotl(h ^ (w * k2), 31) * k1 + 0x52DCE729ull; }

  void add(const char* p, size_t n) {
    length += n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      add_word(w);
    }
    if (i < n) {  // only the last piece of a file has a tail (pieces are multiples of 8)
      uint64_t w = 0;
      std::memcpy(&w, p + i, n - i);
      add_word(w ^ (uint64_t(n - i) << 56));
    }
  }

  uint64_t finish() const { return mix(h ^ mix(length)); }
};

}  // namespace

uint64_t file_digest(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))  // a FIFO would block the open below
    throw io_error("'" + file.string() + "' is not a regular file: its content cannot be checked");
  std::ifstream in(file, std::ios::binary);
  if (!in) throw io_error("cannot open " + file.string() + " to check its content");
  constexpr size_t piece = size_t(1) << 20;
  std::vector<char> buf(piece);
  digest_state d;
  while (in) {
    in.read(buf.data(), std::streamsize(piece));
    const auto got = size_t(in.gcount());
    if (got > 0) d.add(buf.data(), got);
  }
  if (in.bad()) throw io_error("read error in " + file.string() + " while checking its content");
  return d.finish();
}

}  // namespace specmill
