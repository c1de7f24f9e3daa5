#pragma once
// The synthetic store the bench programs share: 10,000 spectra of 3800-4650 pixels at mixed
// lattice starts, 10 contiguous blocks (~1.3 GB), built once under SPECMILL_BENCH_DIR (default
// /tmp/specmill-bench) and reused; and request lists drawn from it.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/store/store.hpp"

namespace specmill::bench {

namespace fs = std::filesystem;

inline constexpr size_t stored_spectra = 10000;
inline fs::path bench_store() {
  const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
  const fs::path root = (d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench") /
                        ("store-synthetic-" + std::to_string(stored_spectra));
  if (fs::exists(root / "done")) return root;
  fs::remove_all(root);
  store st(root, store::access::write);
  st.sqlite_catalog().ensure_context(default_context, "synthetic benchmark store");
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(10.f, 3.f);
  block_builder b;
  int64_t block_id = 0;
  auto flush = [&] {
    if (b.size() == 0) return;
    ++block_id;
    const fs::path p = st.block_path(block_id);
    fs::create_directories(p.parent_path());
    b.write(p, block_id);
    block_reader r(p);
    auto tx = st.sqlite_catalog().transaction();
    st.sqlite_catalog().insert_block({block_id, store::block_relative_path(block_id), int64_t(r.n_spectra()),
                               r.lattice_start(), int64_t(r.n_pixels()), int64_t(fs::file_size(p))});
    for (size_t row = 0; row < r.n_spectra(); ++row) {
      const auto& m = r.rows()[row];
      spec_meta meta;
      meta.specobjid = m.specobjid;
      meta.plate = m.plate;
      meta.mjd = m.mjd;
      meta.fiberid = m.fiberid;
      meta.run2d = "v5_13_0";
      meta.specprimary = 1;
      st.sqlite_catalog().put_spectrum(default_context, meta, {block_id, int32_t(row), m.lattice_start, m.npix});
    }
    tx.commit();
    b.clear();
  };
  for (size_t i = 0; i < stored_spectra; ++i) {
    sdss_spectrum s;
    s.meta.specobjid = (uint64_t(3000 + i / 1000) << 50) | (uint64_t(1 + i % 1000) << 38) | (uint64_t(5000) << 24);
    s.meta.plate = int32_t(3000 + i / 1000);
    s.meta.mjd = 55000;
    s.meta.fiberid = int32_t(1 + i % 1000);
    const size_t npix = 3800 + rng() % 850;
    s.data.lattice_start = 35500 + int32_t(rng() % 300);
    s.data.flux.resize(npix);
    for (auto& v : s.data.flux) v = noise(rng);
    s.data.ivar.assign(npix, 0.25f);
    s.data.and_mask.assign(npix, 0);
    s.data.or_mask.assign(npix, 0);
    s.data.wdisp.assign(npix, 1.f);
    s.data.sky.assign(npix, 2.f);
    s.data.model = s.data.flux;
    b.add(std::move(s));
    if (b.size() == default_block_spectra) flush();
  }
  flush();
  std::ofstream(root / "done") << "ok\n";
  return root;
}

// The request: n IDs over the stored spectra (each drawn n / stored times), shuffled.
inline std::vector<resolved_id> request(store& st, size_t n) {
  std::vector<resolved_id> all;
  st.catalog().for_each_located(default_context, [&](const catalog_entry& e) { all.push_back(resolved_id::from_entry(e)); });
  std::vector<resolved_id> ids;
  while (ids.size() < n) ids.insert(ids.end(), all.begin(), all.begin() + long(std::min(all.size(), n - ids.size())));
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  return ids;
}

}  // namespace specmill::bench
