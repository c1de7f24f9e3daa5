// DESI through the CUDA backend: a store on the linear 0.8 A grid (engine/sample/sample_desi,
// ingested) stacked, photometered and resampled on the device against the CPU on the same
// store. The device code is the SDSS path's (the grid descriptor carries the difference), so
// these check the linear grid's arithmetic there: tile gathers, edge tables, band tables.
// Tolerances are those of the SDSS device tests: medians the same bits (the same values are
// selected), means 1e-6 relative (another summation order), photometry 1e-12 relative,
// resampling 2e-6 relative plus 1e-30. Every test reports SKIPPED without a CUDA device.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>

#include "common/format_readers.hpp"
#include "common/temp_dir.hpp"
#include "core/default_context.hpp"
#include "core/desi_coadd.hpp"
#include "core/mask_bits.hpp"
#include "engine/get/get.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/photometry/photometry.hpp"
#include "engine/sample/sample_desi.hpp"
#include "engine/stack/stack.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

// 40 targets of two healpix fields, some repeated in sv1, in blocks of 16; made once.
class DesiDeviceStore : public ::testing::Environment {
 public:
  static inline test_support::temp_dir* dir = nullptr;
  void SetUp() override {
    if (cuda_device_count() == 0) return;  // every test skips: build nothing
    dir = new test_support::temp_dir;
    desi_sample_options so;
    so.out = dir->path() / "desi";
    so.count = 40;
    so.seed = 23;
    so.fields = 2;
    so.repeat_fraction = 0.3;
    const auto sample = write_desi_sample(so);
    ingest_options o;
    o.store = path();
    o.inputs = {(so.out / "healpix").string()};
    o.catalog = sample.catalog;
    o.progress = false;
    o.block_spectra = 16;
    ingest(o);
  }
  void TearDown() override { delete dir; }
  static fs::path path() { return dir->path() / "store"; }
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new DesiDeviceStore);

class DesiCuda : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  static std::vector<resolved_id> all_ids(store& st) {
    std::vector<resolved_id> ids;
    st.catalog().for_each_located(std::string(default_desi_context),
                                  [&](const catalog_entry& e) { ids.push_back(resolved_id::from_entry(e)); });
    return ids;
  }
};

void expect_close(const std::vector<float>& cpu, const std::vector<float>& cuda, double rel, double abs,
                  const std::string& what) {
  ASSERT_EQ(cpu.size(), cuda.size()) << what;
  size_t bad = 0;
  for (size_t i = 0; i < cpu.size(); ++i) {
    const bool ok = std::isnan(cpu[i]) ? std::isnan(cuda[i])
                                       : std::fabs(double(cpu[i]) - cuda[i]) <= rel * std::fabs(cpu[i]) + abs;
    if (!ok && bad++ < 5) ADD_FAILURE() << what << " i=" << i << " cpu " << cpu[i] << " cuda " << cuda[i];
  }
  EXPECT_EQ(bad, 0u) << what;
}

TEST_F(DesiCuda, StacksOnTheLinearGridMatchTheCpu) {
  store st(DesiDeviceStore::path(), store::access::read);
  const auto ids = all_ids(st);
  ASSERT_GE(ids.size(), 40u);
  for (stack_method m : {stack_method::weighted_mean, stack_method::mean, stack_method::median,
                         stack_method::clipped_mean}) {
    for (bool rest : {false, true}) {
      const std::string what = std::string(to_string(m)) + (rest ? " rest frame" : " observed lattice");
      stack_result r[2];
      for (int k = 0; k < 2; ++k) {
        const backend b = k ? backend::cuda : backend::cpu;
        stack_options o;
        o.store = DesiDeviceStore::path();
        o.context = std::string(default_desi_context);
        o.method = m;
        o.device = b;
        o.progress = false;
        o.mask_bits = parse_mask_bits("default");
        o.window_bytes = 7781 * 4 * 7;  // windows of 7 spectra: several windows and blocks
        if (rest) {
          o.rest_frame = true;
          o.grid = wavelength_grid{wavelength_grid::scale::linear, 3000, 9000, 1.0};
        }
        r[k] = compute_stack(o, st, ids);
      }
      EXPECT_EQ(r[1].n, r[0].n) << what;
      EXPECT_EQ(r[1].wavelength, r[0].wavelength) << what;
      if (m == stack_method::median) {
        ASSERT_EQ(r[1].flux.size(), r[0].flux.size());
        EXPECT_EQ(std::memcmp(r[1].flux.data(), r[0].flux.data(), r[0].flux.size() * 4), 0) << what;
      } else {
        expect_close(r[0].flux, r[1].flux, 1e-6, 1e-12, what + " flux");
      }
      expect_close(r[0].ivar, r[1].ivar, 1e-6, 0, what + " ivar");
    }
  }
}

TEST_F(DesiCuda, DecamPhotometryMatchesTheCpu) {
  store st(DesiDeviceStore::path(), store::access::read);
  const auto ids = all_ids(st);
  const band_tables bands = photometry_bands("decam2014-g,decam2014-r,decam2014-z", st.grid());
  std::vector<band_flux> got[2];
  for (int k = 0; k < 2; ++k) {
        const backend b = k ? backend::cuda : backend::cpu;
    auto& out = got[k];
    out.assign(ids.size() * bands.size(), band_flux{-1, -1, -1});
    photometry_windows(st, ids, bands, b, {}, 7781 * 9, [&](const aligned_reader::window& w, std::span<const band_flux> r) {
      std::copy(r.begin(), r.end(), out.begin() + std::ptrdiff_t(w.first * bands.size()));
    });
  }
  size_t measured = 0;
  for (size_t i = 0; i < got[0].size(); ++i) {
    const band_flux &c = got[0][i], &g = got[1][i];
    ASSERT_EQ(g.flag, c.flag) << "item " << i / bands.size() << " band " << bands.name(i % bands.size());
    if (c.flag) continue;
    ++measured;
    EXPECT_NEAR(g.maggies, c.maggies, 1e-12 * std::fabs(c.maggies)) << i;
    EXPECT_NEAR(g.maggies_err, c.maggies_err, 1e-12 * std::fabs(c.maggies_err)) << i;
  }
  EXPECT_GT(measured, got[0].size() / 2) << "brz covers g, r and z: most bands should be measured";
}

std::vector<float> npy_floats(const fs::path& p) {
  const test_support::npy_array a = test_support::parse_npy(test_support::read_bytes(p));
  EXPECT_EQ(a.descr, "'<f4'") << p;
  std::vector<float> v(a.data.size() / 4);
  std::memcpy(v.data(), a.data.data(), v.size() * 4);
  return v;
}

TEST_F(DesiCuda, ResampleAndRestFrameMatchTheCpu) {
  store st(DesiDeviceStore::path(), store::access::read);
  std::vector<spectrum_id> request;
  for (const auto& r : all_ids(st)) request.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  test_support::temp_dir tmp;
  for (bool rest : {false, true})
    for (column c : {column::flux, column::ivar}) {
      std::vector<float> out[2];
      for (int k = 0; k < 2; ++k) {
        const backend b = k ? backend::cuda : backend::cpu;
        get_options o;
        o.store = DesiDeviceStore::path();
        o.context = std::string(default_desi_context);
        o.resample = rest ? wavelength_grid{wavelength_grid::scale::log, std::log10(3000.0), std::log10(9000.0), 1e-4}
                          : wavelength_grid{wavelength_grid::scale::linear, 3600, 9800, 1.3};
        o.rest_frame = rest;
        o.columns = {c};
        o.format = get_format::npy;
        o.out = tmp.path() / (k ? "cuda.npy" : "cpu.npy");
        o.progress = false;
        o.device = b;
        o.window_bytes = 7781 * 4 * 5;
        get_spectra(o, request);
        out[k] = npy_floats(o.out);
      }
      expect_close(out[0], out[1], 2e-6, 1e-30,
                   std::string(column_names[int(c)]) + (rest ? " rest frame, log grid" : " observed, linear grid"));
    }
}

}  // namespace
}  // namespace specmill
