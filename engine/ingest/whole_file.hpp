#pragma once
// An input file read whole into a buffer that is kept and reused, so that ingest reads each
// spec file's bytes once: for its digest (bytes_digest) and for its spectrum (the reader's
// in-memory route). Before, file_digest and CFITSIO each read the file.
#include <cstddef>
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

  // Frees the buffer when it has grown past `keep_bytes` (one unusually large file is not held
  // for the rest of a run); otherwise it is kept for the next file, never zero-filled.
  void release_over(size_t keep_bytes);

 private:
  std::unique_ptr<unsigned char[]> data_;
  size_t capacity_ = 0;
  size_t size_ = 0;
};

}  // namespace specmill
