#pragma once
// Compressed inputs, read with a bound. CFITSIO opens gzip, bzip2, pkzip and compress files
// transparently, whatever their name, by decompressing the whole file into memory: a small
// "gzip bomb" named spec-*.fits.gz would cost gigabytes before the first header is parsed.
// Readers that must stay bounded sniff the magic bytes first and decompress gzip themselves,
// into a buffer that never grows past a limit.
#include <cstddef>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace specmill {

enum class compression { none, gzip, other };

struct compression_kind {
  compression kind = compression::none;
  std::string_view name;  // "gzip", "bzip2", "pkzip", "compress", "pack"; empty for none
};

// What the file's first bytes say it is. A file too short to tell, or unreadable, is `none`
// (the FITS reader then reports it).
compression_kind sniff_compression(const std::filesystem::path& file);
// The same from the file's bytes (its first four are enough).
compression_kind sniff_compression(std::span<const unsigned char> bytes);

// The decompressed bytes of a gzip file (several concatenated members are one stream, as for
// gunzip). Refuses, with data_error naming the file, before decompressing anything when the
// gzip trailer's ISIZE already says more than max_bytes, and stops as soon as the output
// passes max_bytes (ISIZE is only the size mod 2^32 and can lie). Memory used: at most
// max_bytes plus zlib's 32 KB window. Throws data_error for a corrupt stream, io_error when
// the file cannot be read.
std::vector<unsigned char> gunzip_bounded(const std::filesystem::path& file, size_t max_bytes);

}  // namespace specmill
