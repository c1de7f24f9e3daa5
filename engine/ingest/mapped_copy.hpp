#pragma once
// One pass over a spec file's mapped pages: its bytes copied into ingest's buffer and digested
// at once. The kernel's read() copied them at ~2 GB/s here (page-cache lookups per page, ~20%
// of ingest's CPU); a mapping is faulted in 64 KB at a time, and the digest's serial chain hides
// the copy's loads and stores.
#include <cstddef>
#include <cstdint>
#include <optional>

namespace specmill {

// Copies `n` bytes of a read-only file mapping to `to` and returns their bytes_digest. A mapped
// file that shrinks underneath (truncated or rewritten while it is read) raises SIGBUS on the
// pages past its new end: this returns nullopt then, instead of the process ending, and the
// caller reads the file again. SIGBUS raised anywhere else goes to the disposition the process
// had before (the default: a core dump).
std::optional<uint64_t> copy_mapped_digest(const unsigned char* mapped, size_t n, unsigned char* to);

}  // namespace specmill
