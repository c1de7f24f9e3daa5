#pragma once
// An input file read whole into a buffer that is kept and reused, so that ingest reads each
// spec file's bytes once: for its digest (bytes_digest) and for its spectrum (the reader's
// in-memory route). Before, file_digest and CFITSIO each read the file. The bytes come from a
// mapping of the file, copied and digested in one pass (mapped_copy.hpp); read() where a file
// cannot be mapped or changes size while it is copied.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

namespace specmill {

class whole_file {
 public:
  // Reads all of `file`, up to its end (also when it grew since it was stat'ed). Returns false,
  // holding nothing, when it has more than `max_bytes`: the caller then reads it in pieces.
  // The same io_error as file_digest when it is not a regular file (checked on the open
  // descriptor: the caller checks before opening, as a FIFO would block the open) or cannot be
  // opened or read.
  bool read(const std::filesystem::path& file, size_t max_bytes);

  std::span<const unsigned char> bytes() const { return {data_.get(), size_}; }
  // bytes_digest(bytes()) of the last read that returned true.
  uint64_t digest() const { return digest_; }

  // Frees the buffer when it has grown past `keep_bytes` (one unusually large file is not held
  // for the rest of a run); otherwise it is kept for the next file, never zero-filled.
  void release_over(size_t keep_bytes);

 private:
  // The mapped route for a file of `size` bytes (the buffer holds size + 1); false when the
  // file cannot be mapped or its size changes while it is copied.
  bool copy_mapped(int fd, size_t size);

  std::unique_ptr<unsigned char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
  uint64_t digest_ = 0;
};

}  // namespace specmill
