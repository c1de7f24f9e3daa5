#include "engine/ingest/file_digest.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

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

  // Pieces may be of any length only if every piece but the last is a multiple of 8: the tail
  // rule below pads a short word, so one call over all the bytes equals whole-word pieces.
  void add(const unsigned char* p, size_t n) {
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

  // add(p, n), also storing the bytes at `to`: the loads serve both, and the stores overlap
  // the hash's serial chain.
  void add_copying(const unsigned char* p, size_t n, unsigned char* to) {
    length += n;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      uint64_t w;
      std::memcpy(&w, p + i, 8);
      std::memcpy(to + i, &w, 8);
      add_word(w);
    }
    if (i < n) {
      uint64_t w = 0;
      std::memcpy(&w, p + i, n - i);
      std::memcpy(to + i, &w, n - i);
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
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open " + file.string() + " to check its content");
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  constexpr size_t piece = size_t(1) << 20;
  // One buffer per thread, never zero-filled: a fresh std::vector<char>(1 MiB) per file (memset
  // and page faults of a new mapping) cost ingest more than the digest itself.
  thread_local const std::unique_ptr<unsigned char[]> buf = std::make_unique_for_overwrite<unsigned char[]>(piece);
  digest_state d;
  for (;;) {
    // Whole pieces until the end, as istream::read gave them: the digest's tail rule relies on
    // only the last piece being short.
    size_t got = 0;
    while (got < piece) {
      const ssize_t n = ::read(fd, buf.get() + got, piece - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw io_error("read error in " + file.string() + " while checking its content");
      if (n == 0) break;
      got += size_t(n);
    }
    if (got > 0) d.add(buf.get(), got);
    if (got < piece) break;
  }
  return d.finish();
}

uint64_t bytes_digest(std::span<const unsigned char> bytes) {
  digest_state d;
  d.add(bytes.data(), bytes.size());
  return d.finish();
}

uint64_t copy_digest(const unsigned char* from, size_t n, unsigned char* to) {
  digest_state d;
  d.add_copying(from, n, to);
  return d.finish();
}

}  // namespace specmill
