#include "io/fits/compressed_file.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>

#include "core/error.hpp"

namespace specmill {
namespace {

std::string quoted(const std::filesystem::path& p) {
  std::string s(1, '\'');
  s += p.string();
  s += '\'';
  return s;
}

std::string mib(uint64_t bytes) { return std::to_string((bytes + (1 << 20) - 1) >> 20) + " MiB"; }

// The gzip trailer's ISIZE: the uncompressed length mod 2^32 of the last member.
std::optional<uint32_t> gzip_isize(std::ifstream& in) {
  in.seekg(-4, std::ios::end);
  unsigned char b[4];
  if (!in.read(reinterpret_cast<char*>(b), 4)) return std::nullopt;
  in.clear();
  in.seekg(0);
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

struct inflater {
  z_stream z{};
  inflater() {
    // 16 + MAX_WBITS: gzip framing only (a raw zlib stream is not what CFITSIO would open).
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) throw io_error("zlib: inflateInit2 failed");
  }
  ~inflater() { inflateEnd(&z); }
  inflater(const inflater&) = delete;
  inflater& operator=(const inflater&) = delete;
};

}  // namespace

compression_kind sniff_compression(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  unsigned char m[4] = {};
  if (!in.read(reinterpret_cast<char*>(m), 4)) return {};
  return sniff_compression(std::span<const unsigned char>(m));
}

compression_kind sniff_compression(std::span<const unsigned char> bytes) {
  if (bytes.size() < 4) return {};  // as a file too short to tell
  const unsigned char* m = bytes.data();
  // The magic numbers CFITSIO's file_is_compressed recognises.
  if (m[0] == 0x1f && m[1] == 0x8b) return {compression::gzip, "gzip"};
  if (m[0] == 'B' && m[1] == 'Z' && m[2] == 'h') return {compression::other, "bzip2"};
  if (m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4) return {compression::other, "pkzip"};
  if (m[0] == 0x1f && m[1] == 0x9d) return {compression::other, "compress"};
  if (m[0] == 0x1f && (m[1] == 0x1e || m[1] == 0xa0)) return {compression::other, "pack"};
  return {};
}

std::vector<unsigned char> gunzip_bounded(const std::filesystem::path& file, size_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw io_error("cannot open " + quoted(file));
  const auto isize = gzip_isize(in);
  if (isize && *isize > max_bytes) {
    throw data_error(quoted(file) + ": gzip trailer says it decompresses to " + mib(*isize) +
                     ", more than the " + mib(max_bytes) + " allowed for one spectrum file: not read");
  }
  inflater inf;
  std::vector<unsigned char> out;
  if (isize) out.reserve(*isize);  // a hint only: one allocation for an honest file
  std::vector<unsigned char> buf(64 * 1024);
  bool member_done = false;
  for (;;) {
    in.read(reinterpret_cast<char*>(buf.data()), std::streamsize(buf.size()));
    const size_t got = size_t(in.gcount());
    if (got == 0) break;
    inf.z.next_in = buf.data();
    inf.z.avail_in = unsigned(got);
    for (;;) {
      if (member_done) {
        if (inf.z.avail_in == 0) break;
        // Another gzip member follows (as gunzip reads them): the same output continues.
        if (inflateReset(&inf.z) != Z_OK) throw data_error(quoted(file) + ": corrupt gzip stream");
        member_done = false;
      }
      unsigned char chunk[64 * 1024];
      inf.z.next_out = chunk;
      inf.z.avail_out = sizeof chunk;
      const int rc = inflate(&inf.z, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        throw data_error(quoted(file) + ": corrupt gzip stream (zlib: " + (inf.z.msg ? inf.z.msg : "error") + ")");
      }
      const size_t produced = sizeof chunk - inf.z.avail_out;
      if (out.size() + produced > max_bytes) {
        throw data_error(quoted(file) + ": decompresses to more than the " + mib(max_bytes) +
                         " allowed for one spectrum file (a gzip bomb?): not read");
      }
      out.insert(out.end(), chunk, chunk + produced);
      if (rc == Z_STREAM_END) {
        member_done = true;
        continue;
      }
      // A full output chunk may leave more output inside zlib: call again before reading on.
      if (rc == Z_BUF_ERROR || (inf.z.avail_in == 0 && inf.z.avail_out != 0)) break;
    }
  }
  if (in.bad()) throw io_error("cannot read " + quoted(file));
  if (!member_done) throw data_error(quoted(file) + ": truncated gzip stream");
  return out;
}

}  // namespace specmill
