// A store exposes the native grid of its blocks; operations work on log10 and linear lattices
// and refuse an explicit grid with invalid_argument instead of computing a wrong answer.
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

resolved_list all_ids(store& st) {
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

// The stack's observed frame on a linear lattice: output pixel k is lattice pixel 4501 + k at
// 0.8 (4501 + k) A. Fiber f holds flux p - 4500 - f at lattice pixel p (ivar 1): the mean over
// the fibers covering p, exact in float for these small integers.
TEST(StoreGrid, StackOnALinearStore) {
  test_support::temp_dir dir;
  build_store(dir / "desi", linear_lattice(0.8), 4500);
  store st(dir / "desi", store::access::read);
  const auto ids = all_ids(st);
  for (stack_method m : {stack_method::weighted_mean, stack_method::mean, stack_method::median}) {
    stack_options o;
    o.store = dir / "desi";
    o.out = dir / "out.npz";
    o.progress = false;
    o.method = m;
    const stack_result r = compute_stack(o, st, ids);
    ASSERT_EQ(r.wavelength.size(), 42u);
    for (size_t k = 0; k < 42; ++k) {
      const int64_t p = 4501 + int64_t(k);
      EXPECT_DOUBLE_EQ(r.wavelength[k], 0.8 * double(p));
      double sum = 0;
      int n = 0;
      for (int f = 1; f <= 3; ++f)
        if (p >= 4500 + f && p < 4500 + f + 40) sum += double(p - 4500 - f), ++n;
      EXPECT_EQ(r.n[k], n) << k;
      EXPECT_NEAR(r.flux[k], sum / n, 1e-6) << to_string(m) << " pixel " << k;
    }
  }
}

// An explicit grid is no lattice: the stack refuses it, naming the grid.
TEST(StoreGrid, StackRefusesAnExplicitGrid) {
  const double w[3] = {4000, 4001, 4003};
  const native_grid g = explicit_grid(w, 3);
  EXPECT_THROW((void)default_rest_grid({}, {}, g), invalid_argument);
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

// Resample and photometry take a linear lattice (DESI) as they take the log10 one; an explicit
// grid (no lattice) is refused.
TEST(StoreGrid, ResampleAndPhotometryOnALinearLattice) {
  std::vector<float> flux(8, 1.f), ivar(8, 1.f), out(4, -1.f);
  lattice_batch in;
  in.n_spectra = 1;
  in.width = 8;
  in.lattice_start = 4500;  // 3600 A
  in.flux = flux.data();
  in.ivar = ivar.data();
  in.grid = linear_lattice(0.8);
  resampled_batch res;
  res.flux = out.data();
  const wavelength_grid target = parse_wavelength_grid("lin:3600,3603,1");
  EXPECT_NO_THROW(resample(backend::cpu, in, target, 0, res));
  for (float v : out) EXPECT_FLOAT_EQ(v, 1.f);  // a constant stays constant
  const double w[3] = {3600, 3601, 3602};
  in.grid = explicit_grid(w, 3);
  EXPECT_THROW(resample(backend::cpu, in, target, 0, res), invalid_argument);

  const std::vector<double> fw{5000, 6000, 7000}, fr{0, 1, 0};
  const band_weights b = make_band_weights("x", fw, fr, linear_lattice(0.8));
  EXPECT_EQ(b.lattice_start, 6250);  // 5000 A / 0.8 A
  EXPECT_THROW(make_band_weights("x", fw, fr, explicit_grid(w, 3)), invalid_argument);
}

}  // namespace
}  // namespace specmill
