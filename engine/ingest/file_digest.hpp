#pragma once
// A 64-bit digest of a file's bytes, so that ingest can tell a file whose content changed (a
// re-processed spec file) from one that was only touched or copied (same bytes, new mtime).
// Not cryptographic: it guards against accidents, not against someone forging a collision.
#include <cstdint>
#include <filesystem>
#include <span>

namespace specmill {

// Reads the file in 1 MiB pieces (memory bounded whatever its size). io_error when it is not a
// regular file (FIFOs are refused before they are opened) or cannot be read.
uint64_t file_digest(const std::filesystem::path& file);

// The same digest of bytes already in memory: file_digest of a file holding exactly `bytes`
// (ingest reads each file once, for this and for its spectrum).
uint64_t bytes_digest(std::span<const unsigned char> bytes);

// bytes_digest of the `n` bytes at `from`, copying them to `to` in the same pass (ingest's one
// pass over a file's mapped pages: engine/ingest/mapped_copy.hpp).
uint64_t copy_digest(const unsigned char* from, size_t n, unsigned char* to);

}  // namespace specmill
