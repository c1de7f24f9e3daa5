#pragma once
// The store set-up the engine and REST tests share: synthetic SDSS-like spec files
// (engine/sample), ingested into a store. Each suite keeps its own counts, seeds and block
// sizes (they choose how lists split across blocks and windows); these two calls are the rest.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "core/default_context.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/sample/sample_data.hpp"

namespace specmill::test_support {

// `count` sample files under `out` (seeded: the same files every run); returns `out`.
inline std::filesystem::path write_sample_files(const std::filesystem::path& out, size_t count, uint64_t seed,
                                                double legacy_fraction = sample_options{}.legacy_fraction) {
  sample_options s;
  s.out = out;
  s.count = count;
  s.seed = seed;
  s.legacy_fraction = legacy_fraction;
  s.jobs = 2;
  write_sample_data(s);
  return out;
}

// The spec files under `inputs` into the store at `store` (created when missing), in blocks of
// `block_spectra`, two reader threads, no progress output.
inline void ingest_into(const std::filesystem::path& store, const std::filesystem::path& inputs, size_t block_spectra,
                        const std::string& context = std::string(default_context), bool contiguous = true) {
  ingest_options o;
  o.store = store;
  o.context = context;
  o.inputs = {inputs.string()};
  o.block_spectra = block_spectra;
  o.layout.contiguous = contiguous;
  o.progress = false;
  o.jobs = 2;
  ingest(o);
}

}  // namespace specmill::test_support
