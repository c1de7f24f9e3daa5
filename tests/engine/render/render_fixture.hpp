#pragma once
// A store of synthetic spectra whose every pixel the rendering tests choose (plant a row of
// known flux, a masked stretch, a spike), written with block_builder like bench/engine's store.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/specobjid.hpp"
#include "engine/store/store.hpp"
#include "io/image/png_writer.hpp"

namespace specmill::test {

// Plate 4000, MJD 55000, fiber `fiber`, run2d v5_13_0; flux(i), ivar 1 (0 where bad(i)),
// sky 2, model = flux.
inline sdss_spectrum synthetic_spectrum(int32_t fiber, int32_t lattice_start, size_t npix,
                                        const std::function<float(size_t)>& flux,
                                        const std::function<bool(size_t)>& bad = {}, std::string cls = "GALAXY",
                                        float z = 0.1f) {
  sdss_spectrum s;
  s.meta.plate = 4000;
  s.meta.mjd = 55000;
  s.meta.fiberid = fiber;
  s.meta.run2d = "v5_13_0";
  s.meta.specobjid = pack_specobjid({4000, 55000, fiber, run2d_code("v5_13_0")});
  s.meta.class_name = std::move(cls);
  s.meta.z = z;
  s.meta.specprimary = 1;
  s.data.lattice_start = lattice_start;
  s.data.flux.resize(npix);
  s.data.ivar.assign(npix, 1.f);
  for (size_t i = 0; i < npix; ++i) {
    s.data.flux[i] = flux(i);
    if (bad && bad(i)) s.data.ivar[i] = 0;
  }
  s.data.and_mask.assign(npix, 0);
  s.data.or_mask.assign(npix, 0);
  s.data.wdisp.assign(npix, 1.f);
  s.data.sky.assign(npix, 2.f);
  s.data.model = s.data.flux;
  return s;
}

// One block holding the spectra, catalogued in context sdss_dr16 with their metadata.
inline void build_synthetic_store(const std::filesystem::path& root, std::vector<sdss_spectrum> spectra) {
  store st(root, store::access::write);
  st.sqlite_catalog().ensure_context(default_context, "synthetic rendering tests");
  std::vector<spec_meta> metas;
  block_builder b;
  for (auto& s : spectra) {
    metas.push_back(s.meta);
    b.add(std::move(s));
  }
  const int64_t block_id = 1;
  const auto p = st.block_path(block_id);
  std::filesystem::create_directories(p.parent_path());
  b.write(p, block_id);
  block_reader r(p);
  auto tx = st.sqlite_catalog().transaction();
  st.sqlite_catalog().insert_block({block_id, store::block_relative_path(block_id), int64_t(r.n_spectra()), r.lattice_start(),
                             int64_t(r.n_pixels()), int64_t(std::filesystem::file_size(p))});
  for (size_t row = 0; row < r.n_spectra(); ++row) {
    const auto& m = r.rows()[row];
    st.sqlite_catalog().put_spectrum(default_context, metas[row], {block_id, int32_t(row), m.lattice_start, m.npix});
  }
  tx.commit();
}

inline std::string id_text(int32_t fiber) { return "4000-55000-" + std::to_string(fiber); }

inline decoded_png decode(const std::vector<uint8_t>& png) { return decode_png(png.data(), png.size()); }

}  // namespace specmill::test
