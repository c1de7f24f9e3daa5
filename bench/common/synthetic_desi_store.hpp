#pragma once
// The synthetic DESI store the DESI get/stack benchmarks share: 10,000 merged brz spectra on the
// native grid linear:0.8 (lattice 4500..12280, 3600-9824 A, 7781 pixels each, as ingest stores
// them), context desi_dr1, 10 blocks (~2.2 GB: seven 4-byte columns a pixel, wdisp/sky/model
// zero as ingest writes them for DESI). Built directly with block_builder (ingest of generated
// coadd files is benchmarked in bench/engine/ingest/ingest_desi_bench.cpp) once under
// SPECMILL_BENCH_DIR (default /tmp/specmill-bench) and reused.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "core/desi_coadd.hpp"
#include "engine/pipeline/id_list.hpp"
#include "engine/store/store.hpp"

namespace specmill::bench {

inline constexpr size_t desi_stored_targets = 10000;
inline constexpr const char* desi_context = "desi_dr1";

inline std::filesystem::path bench_desi_store() {
  namespace fs = std::filesystem;
  const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
  const fs::path root = (d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench") /
                        ("store-desi-" + std::to_string(desi_stored_targets));
  if (fs::exists(root / "done")) return root;
  fs::remove_all(root);
  store st(root, store::access::write);
  st.sqlite_catalog().ensure_context(desi_context, "synthetic DESI benchmark store");
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(0.f, 1.f);
  block_builder b(desi_native_grid);
  int64_t block_id = 0;
  std::vector<spec_meta> metas;
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
      st.sqlite_catalog().put_spectrum(desi_context, metas[row], {block_id, int32_t(row), m.lattice_start, m.npix});
    }
    tx.commit();
    b.clear();
    metas.clear();
  };
  for (size_t i = 0; i < desi_stored_targets; ++i) {
    sdss_spectrum s;
    s.meta.specobjid = 39627000000000000ull + i;  // a TARGETID
    s.meta.thing_id = int64_t(s.meta.specobjid);
    s.meta.plate = int32_t(10000 + i % 500);  // the HEALPIX
    s.meta.run2d = "main";
    s.meta.programname = "dark";
    s.meta.z = float(0.05 + 1.5 * double(i % 97) / 97.0);
    s.meta.specprimary = 1;
    s.data.lattice_start = desi_brz_start;
    s.data.loglam_exact = true;
    const size_t npix = size_t(desi_brz_npix);
    s.data.flux.resize(npix);
    s.data.ivar.resize(npix);
    for (size_t j = 0; j < npix; ++j) {
      s.data.flux[j] = 2.f + noise(rng);
      // the camera overlaps carry the summed ivar of two cameras
      const double w = desi_native_grid.angstrom(desi_brz_start + int64_t(j));
      s.data.ivar[j] = (w >= 5760 && w <= 5800) || (w >= 7520 && w <= 7620) ? 2.f : 1.f;
    }
    s.data.and_mask.assign(npix, 0);
    s.data.or_mask.assign(npix, 0);
    s.data.wdisp.assign(npix, 0.f);
    s.data.sky.assign(npix, 0.f);
    s.data.model.assign(npix, 0.f);
    metas.push_back(s.meta);
    b.add(std::move(s));
    if (b.size() == desi_stored_targets / 10) flush();
  }
  flush();
  std::ofstream(root / "done") << "ok\n";
  return root;
}

// Every stored target once, shuffled.
inline std::vector<resolved_id> desi_request(store& st) {
  std::vector<resolved_id> ids;
  st.sqlite_catalog().for_each_located(desi_context, [&](const catalog_entry& e) { ids.push_back(resolved_id::from_entry(e)); });
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  return ids;
}

}  // namespace specmill::bench
