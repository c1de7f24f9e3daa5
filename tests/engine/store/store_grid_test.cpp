// A store exposes the native grid of its blocks; operations written for the log10 lattice refuse
// a store on another grid with invalid_argument instead of computing a wrong answer.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/render/render_fixture.hpp"
#include "engine/stack/stack.hpp"
#include "engine/store_fixture.hpp"
#include "kernels/photometry.hpp"
#include "kernels/resample.hpp"

namespace specmill {
namespace {

// test::build_synthetic_store with the block on `grid`.
void build_store(const std::filesystem::path& root, const native_grid& grid, int32_t lattice_start) {
  store st(root, store::access::write);
  st.sqlite_catalog().ensure_context(default_context, "grid tests");
  block_builder b(grid);
  std::vector<spec_meta> metas;
  for (int32_t fiber = 1; fiber <= 3; ++fiber) {
    sdss_spectrum s = test::synthetic_spectrum(fiber, lattice_start + fiber, 40, [](size_t i) { return float(i); });
    metas.push_back(s.meta);
    b.add(std::move(s));
  }
  const auto p = st.block_path(1);
  std::filesystem::create_directories(p.parent_path());
  b.write(p, 1);
  block_reader r(p);
  auto tx = st.sqlite_catalog().transaction();
  st.sqlite_catalog().insert_block({1, store::block_relative_path(1), int64_t(r.n_spectra()), r.lattice_start(),
                             int64_t(r.n_pixels()), int64_t(std::filesystem::file_size(p))});
  for (size_t row = 0; row < r.n_spectra(); ++row) {
    const auto& m = r.rows()[row];
    st.sqlite_catalog().put_spectrum(default_context, metas[row], {1, int32_t(row), m.lattice_start, m.npix});
  }
  tx.commit();
}

std::vector<resolved_id> all_ids(store& st) {
  std::vector<spectrum_id> ids;
  for (int32_t fiber = 1; fiber <= 3; ++fiber) ids.push_back(parse_spectrum_id(test::id_text(fiber)));
  return resolve_ids(st.catalog(), std::string(default_context), std::move(ids));
}

TEST(StoreGrid, TheStoreReportsItsBlocksGrid) {
  test_support::temp_dir dir;
  {
    store empty(dir / "empty", store::access::write);
    EXPECT_TRUE(same_grid(empty.grid(), sdss_native_grid));  // nothing stored yet: SDSS
  }
  build_store(dir / "sdss", sdss_native_grid, 36000);
  build_store(dir / "desi", linear_lattice(0.8), 4500);
  store sdss(dir / "sdss", store::access::read), desi(dir / "desi", store::access::read);
  EXPECT_TRUE(same_grid(sdss.grid(), sdss_native_grid));
  EXPECT_TRUE(same_grid(desi.grid(), linear_lattice(0.8)));
}

// Align and cutout are index arithmetic: they serve a linear lattice as they serve the log one.
TEST(StoreGrid, ListSpanAndCutoutOnALinearLattice) {
  test_support::temp_dir dir;
  build_store(dir / "desi", linear_lattice(0.8), 4500);
  store st(dir / "desi", store::access::read);
  const auto ids = all_ids(st);
  const lattice_window span = list_span(ids, st.grid());
  EXPECT_EQ(span.start, 4501);
  EXPECT_EQ(span.width, 42);
  EXPECT_DOUBLE_EQ(span.wavelength(0), 4501 * 0.8);
  EXPECT_NEAR(span.loglam(0), std::log10(4501 * 0.8), 1e-15);
  const lattice_window cut = cutout_window({3600.0, 3608.0}, st.grid());
  EXPECT_EQ(cut.start, 4500);
  EXPECT_EQ(cut.width, 11);
  EXPECT_TRUE(same_grid(cut.grid, linear_lattice(0.8)));
  EXPECT_EQ(lattice_window::index_of_loglam(span.reported_loglam(0), st.grid()), 4501);
  // On the SDSS lattice the reported loglam is index / 1e4, its shortest form.
  const lattice_window sdss{35570, 3, sdss_native_grid};
  EXPECT_EQ(sdss.reported_loglam(0), 3.557);
  EXPECT_EQ(lattice_window::index_of_loglam(3.557, sdss_native_grid), 35570);
}

TEST(StoreGrid, StackRefusesANonLogStore) {
  test_support::temp_dir dir;
  build_store(dir / "desi", linear_lattice(0.8), 4500);
  store st(dir / "desi", store::access::read);
  const auto ids = all_ids(st);
  stack_options o;
  o.store = dir / "desi";
  o.out = dir / "out.npz";
  o.progress = false;
  try {
    (void)compute_stack(o, st, ids);
    ADD_FAILURE() << "stacked a linear-grid store";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("stack works on log10 lattices only"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("linear:0.8"), std::string::npos) << e.what();
  }
}

// SDSS files are on the SDSS lattice: ingest refuses to add them to a store on another grid
// (before it writes anything), and adds them to an SDSS store as always.
TEST(StoreGrid, IngestRefusesAStoreOnAnotherGrid) {
  test_support::temp_dir dir;
  build_store(dir / "desi", linear_lattice(0.8), 4500);
  ingest_options o;
  o.store = dir / "desi";
  o.inputs = {test::shared_spectra().string()};
  o.progress = false;
  o.jobs = 2;
  try {
    (void)ingest(o);
    ADD_FAILURE() << "ingested SDSS files into a linear-grid store";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("native grid linear:0.8"), std::string::npos) << e.what();
  }
  store st(dir / "desi", store::access::read);
  EXPECT_EQ(st.catalog().blocks().size(), 1u);  // nothing added
}

TEST(StoreGrid, ResampleAndPhotometryRefuseANonLogLattice) {
  std::vector<float> flux(8, 1.f), ivar(8, 1.f), out(4);
  lattice_batch in;
  in.n_spectra = 1;
  in.width = 8;
  in.lattice_start = 4500;
  in.flux = flux.data();
  in.ivar = ivar.data();
  in.grid = linear_lattice(0.8);
  resampled_batch res;
  res.flux = out.data();
  const wavelength_grid target = parse_wavelength_grid("lin:3600,3603,1");
  EXPECT_THROW(resample(backend::cpu, in, target, 0, res), invalid_argument);
  in.grid = sdss_native_grid;
  in.lattice_start = 35563;
  EXPECT_NO_THROW(resample(backend::cpu, in, target, 0, res));

  const std::vector<double> w{5000, 6000, 7000}, r{0, 1, 0};
  EXPECT_THROW(make_band_weights("x", w, r, linear_lattice(0.8)), invalid_argument);
  EXPECT_NO_THROW(make_band_weights("x", w, r, sdss_native_grid));
}

}  // namespace
}  // namespace specmill
