// DESI ingest end to end on a synthetic DR1 sample (engine/sample/sample_desi): every stored brz
// spectrum equals an independent float64 merge of its file's three cameras (flux within 1e-6
// relative + 1e-30, ivar within 1e-6 relative, masks exact); keys follow ZCAT_PRIMARY;
// the store's grid is linear:0.8 from pixel 4500 (3600 A); a corrupt coadd is reported by name
// while the rest ingests; a re-run stores nothing twice.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "core/desi_coadd.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/ingest/ingest_desi.hpp"
#include "engine/sample/sample_desi.hpp"
#include "engine/store/store.hpp"
#include "io/fits/desi_coadd_reader.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;
using test_support::temp_dir;

std::vector<fs::path> coadds(const fs::path& root) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.path().filename().string().rfind("coadd-", 0) == 0) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

// desispec's rule, by wavelength, in float64.
void reference_pixel(const desi_coadd_file& f, size_t t, double lambda, double& flux, double& ivar, uint32_t& mask) {
  double fw = 0, w = 0;
  uint32_t bits = 0;
  for (const auto& cam : f.cameras) {
    for (size_t p = 0; p < cam.npix(); ++p) {
      if (std::fabs(cam.wavelength[p] - lambda) >= 0.4) continue;
      const size_t at = t * cam.npix() + p;
      fw += double(cam.ivar[at]) * double(cam.flux[at]);
      w += double(cam.ivar[at]);
      bits |= cam.mask[at];
    }
  }
  flux = w > 0 ? fw / w : 0;
  ivar = w;
  mask = w > 0 ? 0 : bits;
}

// `count` targets, none repeated, written under dir/desi; the options of an ingest of them into
// dir/store (no catalog file: the coadds' own FIBERMAP rows).
ingest_options small_desi_ingest(const temp_dir& dir, size_t count) {
  desi_sample_options so;
  so.out = dir / "desi";
  so.count = count;
  so.repeat_fraction = 0;
  write_desi_sample(so);
  ingest_options o;
  o.store = dir / "store";
  o.inputs = {(so.out / "healpix").string()};
  o.progress = false;
  return o;
}

TEST(ingest_desi, stored_brz_equals_float64_merge_and_keys_follow_zcat_primary) {
  temp_dir dir;
  desi_sample_options so;
  so.out = dir / "desi";
  so.count = 24;
  so.seed = 11;
  so.fields = 2;
  so.repeat_fraction = 0.3;
  so.mask_type = desi_mask_type::uint32;
  const auto sample = write_desi_sample(so);
  const auto files = coadds(so.out);
  ASSERT_EQ(files.size(), sample.files);
  // a corrupt coadd among them: named in the failures, the others ingest
  const fs::path bad = so.out / "healpix" / "main" / "dark" / "coadd-main-dark-7.fits";
  fs::create_directories(bad.parent_path());
  std::ofstream(bad) << "SIMPLE  = not really FITS";

  ingest_options o;
  o.store = dir / "store";
  o.inputs = {(so.out / "healpix").string()};
  o.catalog = sample.catalog;
  o.progress = false;
  o.block_spectra = 16;  // several blocks
  ASSERT_TRUE(is_desi_ingest(o));
  const ingest_summary s = ingest(o);
  EXPECT_EQ(s.ingested, sample.spectra);
  EXPECT_EQ(s.failed, 1u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].file.find("coadd-main-dark-7.fits"), std::string::npos);
  EXPECT_GE(s.blocks, 2u);

  store st(o.store, store::access::read);
  EXPECT_TRUE(same_grid(st.grid(), desi_native_grid));
  catalog_db& cat = st.sqlite_catalog();
  ASSERT_TRUE(cat.has_context("desi_dr1"));
  size_t checked = 0, secondary = 0;
  for (const auto& path : files) {
    desi_coadd_reader r(path);
    const desi_coadd_file f = r.read(0, r.n_targets());
    for (size_t t = 0; t < f.n_targets(); ++t) {
      const int64_t tid = f.targets[t].targetid;
      // the sample marks the main-survey copy primary
      const bool primary = f.survey == "main";
      const uint64_t key = primary ? uint64_t(tid) : desi_secondary_key(tid, f.survey, f.program);
      secondary += !primary;
      const auto e = cat.lookup("desi_dr1", key);
      ASSERT_TRUE(e && e->location) << path << " target " << tid;
      EXPECT_EQ(e->meta.thing_id, tid);
      EXPECT_EQ(e->meta.run2d, f.survey);
      EXPECT_EQ(e->meta.programname, f.program);
      EXPECT_EQ(e->meta.specprimary, primary ? 1 : 0);
      EXPECT_EQ(e->location->lattice_start, desi_brz_start);
      ASSERT_EQ(e->location->npix, desi_brz_npix);
      const coadd c = st.shared_block(e->location->block_id)->read_spectrum(size_t(e->location->row));
      size_t bad_pixels = 0;
      for (int32_t j = 0; j < desi_brz_npix; ++j) {
        double rf, ri;
        uint32_t rm;
        reference_pixel(f, t, 0.8 * double(desi_brz_start + j), rf, ri, rm);
        const bool ok = std::fabs(c.flux[j] - rf) <= 1e-6 * std::fabs(rf) + 1e-30 &&
                        std::fabs(c.ivar[j] - ri) <= 1e-6 * ri && uint32_t(c.and_mask[j]) == rm;
        if (!ok && ++bad_pixels < 5)
          ADD_FAILURE() << tid << " pixel " << j << ": " << c.flux[j] << " vs " << rf << ", " << c.ivar[j] << " vs "
                        << ri << ", mask " << c.and_mask[j] << " vs " << rm;
      }
      ++checked;
    }
  }
  EXPECT_EQ(checked, sample.spectra);
  EXPECT_GT(secondary, 0u) << "the sample should repeat some targets in sv1";

  // a re-run reads nothing again and stores nothing twice
  ingest_options again = o;
  again.catalog.reset();
  const ingest_summary s2 = ingest(again);
  EXPECT_EQ(s2.ingested, 0u);
}

TEST(ingest_desi, default_context_and_sdss_store_refuses_desi) {
  temp_dir dir;
  ingest_options o = small_desi_ingest(dir, 3);
  EXPECT_EQ(ingest(o).ingested, 3u);  // into desi_dr1, the DESI default context
  store st(o.store, store::access::read);
  EXPECT_TRUE(st.catalog().has_context("desi_dr1"));
  EXPECT_FALSE(st.catalog().has_context("sdss_dr16"));

  // a store of SDSS spectra (log10 lattice) refuses DESI coadds with the grids named
  ingest_options sdss;
  sdss.store = dir / "sdss_store";
  sdss.inputs = {(fs::path(SPECMILL_SHARED_DATA) / "spectra" / "spec-6717-56397-0534.fits").string()};
  sdss.progress = false;
  ASSERT_EQ(ingest(sdss).ingested, 1u);
  ingest_options mixed = o;
  mixed.store = sdss.store;
  try {
    ingest(mixed);
    FAIL() << "DESI coadds went into an SDSS store";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("linear:0.8"), std::string::npos) << e.what();
  }
}

// Blocks with extras hold as many spectra as a plain 1024-spectrum DESI block's memory allows, and
// never more than --block-size; a small sample split by a block size of 2 keeps its cameras
// and resolution row for row across blocks.
TEST(ingest_desi, extras_block_sizes) {
  EXPECT_EQ(desi_extras_block_spectra(1024, false, false), 1024u);
  EXPECT_EQ(desi_extras_block_spectra(1024, false, true), 384u);
  EXPECT_EQ(desi_extras_block_spectra(1024, true, false), 704u);
  EXPECT_EQ(desi_extras_block_spectra(1024, true, true), 192u);
  EXPECT_EQ(desi_extras_block_spectra(16, true, true), 16u);

  temp_dir dir;
  ingest_options o = small_desi_ingest(dir, 5);
  o.block_spectra = 2;
  o.with_cameras = o.with_resolution = true;
  const ingest_summary sum = ingest(o);
  ASSERT_EQ(sum.ingested, 5u);
  EXPECT_EQ(sum.blocks, 3u);
  store st(o.store, store::access::read);
  for (const auto& b : st.catalog().blocks()) {
    const auto held = st.shared_block(b.block_id);
    const block_reader& r = *held;
    EXPECT_EQ(r.resolution_diagonals(), desi_resolution_diagonals);
    ASSERT_EQ(r.cameras().size(), 3u);
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_EQ(r.cameras()[c].name, desi_cameras[c].name);
      EXPECT_EQ(r.cameras()[c].lattice_start, desi_cameras[c].lattice_start);
      EXPECT_EQ(r.cameras()[c].npix, size_t(desi_cameras[c].npix));
      EXPECT_EQ(r.cameras()[c].resolution_diagonals, desi_resolution_diagonals);
    }
  }
  // SDSS inputs refuse the options
  ingest_options sdss;
  sdss.store = dir / "sdss_store";
  sdss.inputs = {(fs::path(SPECMILL_SHARED_DATA) / "spectra" / "spec-6717-56397-0534.fits").string()};
  sdss.progress = false;
  sdss.with_resolution = true;
  EXPECT_THROW(ingest(sdss), invalid_argument);
}

}  // namespace
}  // namespace specmill
