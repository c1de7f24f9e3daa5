// `photometry` end to end: the 10 real SDSS files ingested into a store (3 blocks), photometry
// of an ID list read in small windows (several per block, blocks split across windows), CSV
// parsed back. Synthetic g, r, i must agree with each file's own SPECTROFLUX within 1%.
#include "engine/photometry/photometry.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

#include "core/error.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/store/store.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "kernels/launch/device.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace specmill {
// gtest prints parameters with this (found by ADL) instead of raw bytes.
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }
}  // namespace specmill

namespace {

struct csv_row {
  uint64_t specobjid;
  std::string band;
  double nmgy, nmgy_err, mag, mag_err;
  int flag;
};

std::vector<csv_row> read_csv(const fs::path& p, std::string* header) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, *header);
  std::vector<csv_row> rows;
  while (std::getline(in, line)) {
    std::istringstream s(line);
    std::string f[7];
    for (auto& x : f) std::getline(s, x, ',');
    rows.push_back({std::stoull(f[0]), f[1], std::stod(f[2]), std::stod(f[3]), std::stod(f[4]), std::stod(f[5]),
                    std::stoi(f[6])});
  }
  return rows;
}

// One store for the whole suite: ingest is the slow part.
class PhotometryEngine : public ::testing::TestWithParam<backend> {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new test::temp_dir;
    ingest_options o;
    o.store = tmp_->path() / "store";
    o.inputs = {test::shared_spectra().string()};
    o.progress = false;
    o.jobs = 2;
    o.block_spectra = 4;  // 3 blocks, the last one partial
    ASSERT_EQ(ingest(o).ingested, 10u);
    metas_ = new std::vector<spec_meta>;
    for (const auto& f : test::real_spec_files()) metas_->push_back(read_sdss_spectrum(f).meta);
  }
  static void TearDownTestSuite() {
    delete tmp_;
    delete metas_;
  }
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  photometry_options options(const std::string& out, int64_t window) const {
    photometry_options o;
    o.store = tmp_->path() / "store";
    o.device = GetParam();
    o.out = tmp_->path() / out;
    o.progress = false;
    o.max_window_pixels = window;
    return o;
  }
  static inline test::temp_dir* tmp_ = nullptr;
  static inline std::vector<spec_meta>* metas_ = nullptr;
};

std::vector<spectrum_id> ids_of(const std::vector<spec_meta>& metas) {
  std::vector<spectrum_id> ids;
  for (const auto& m : metas) {
    spectrum_id id;
    id.specobjid = m.specobjid;
    id.text = std::to_string(m.specobjid);
    ids.push_back(id);
  }
  return ids;
}

TEST_P(PhotometryEngine, RealFilesAgreeWithSpectrofluxThroughTheStore) {
  auto ids = ids_of(*metas_);
  std::reverse(ids.begin(), ids.end());  // request order is not block order
  ids.insert(ids.begin() + 3, parse_spectrum_id("1234,56789,1"));  // not in the store
  ids.push_back(ids[0]);                                            // a duplicate: answered twice
  const auto opts = options("phot.csv", 9000);  // ~2 spectra a window: windows split blocks
  const auto sum = run_photometry(opts, ids);
  EXPECT_EQ(sum.requested, 12u);
  EXPECT_EQ(sum.found, 11u);
  ASSERT_EQ(sum.missing.size(), 1u);
  EXPECT_EQ(sum.missing[0], "1234,56789,1");
  EXPECT_EQ(sum.rows, 55u);
  ASSERT_EQ(sum.bands.size(), 5u);
  EXPECT_EQ(sum.flagged[0], 11u);  // u: never covered by an SDSS spectrum
  EXPECT_EQ(sum.flagged[1] + sum.flagged[2] + sum.flagged[3], 0u);

  std::string header;
  const auto rows = read_csv(opts.out, &header);
  EXPECT_EQ(header, "specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag");
  ASSERT_EQ(rows.size(), 55u);
  std::map<uint64_t, const spec_meta*> by_id;
  for (const auto& m : *metas_) by_id[m.specobjid] = &m;
  const char* bands[] = {"sdss2010-u", "sdss2010-g", "sdss2010-r", "sdss2010-i", "sdss2010-z"};
  size_t row = 0;
  for (const auto& id : ids) {
    if (!id.specobjid) continue;  // the missing one has no rows
    const spec_meta& m = *by_id.at(*id.specobjid);
    for (int k = 0; k < 5; ++k, ++row) {
      const csv_row& r = rows[row];
      ASSERT_EQ(r.specobjid, m.specobjid) << row;
      ASSERT_EQ(r.band, bands[k]);
      if (k >= 1 && k <= 3) {
        ASSERT_EQ(r.flag, 0) << m.specobjid << " " << bands[k];
        EXPECT_NEAR(r.nmgy / m.spectroflux[size_t(k)], 1.0, 0.01) << m.specobjid << " " << bands[k];
        EXPECT_NEAR(r.mag, 22.5 - 2.5 * std::log10(r.nmgy), 1e-6);
        EXPECT_NEAR(r.mag_err, 1.0857362 * r.nmgy_err / r.nmgy, 1e-6);
        EXPECT_GT(r.nmgy_err, 0);
      } else if (k == 0) {
        EXPECT_EQ(r.flag, photometry_not_covered);
        EXPECT_TRUE(std::isnan(r.nmgy) && std::isnan(r.mag) && std::isnan(r.mag_err));
      }
    }
  }
}

TEST_P(PhotometryEngine, WindowSizeDoesNotChangeTheOutput) {
  const auto ids = ids_of(*metas_);
  const auto small = options("small.csv", 5000);  // one spectrum a window
  const auto large = options("large.csv", int64_t(1) << 24);
  run_photometry(small, ids);
  run_photometry(large, ids);
  std::ifstream a(small.out), b(large.out);
  const std::string sa((std::istreambuf_iterator<char>(a)), {}), sb((std::istreambuf_iterator<char>(b)), {});
  EXPECT_FALSE(sa.empty());
  EXPECT_EQ(sa, sb);
}

TEST_P(PhotometryEngine, FiltersAndErrors) {
  auto opts = options("one.csv", int64_t(1) << 24);
  opts.filters = "sdss2010noatm-r";
  const auto sum = run_photometry(opts, ids_of(*metas_));
  EXPECT_EQ(sum.rows, 10u);
  EXPECT_EQ(sum.bands, std::vector<std::string>{"sdss2010noatm-r"});

  opts.filters = "sdss2010-x";
  EXPECT_THROW(run_photometry(opts, ids_of(*metas_)), not_found);
  opts.filters = "sdss2010-r";
  EXPECT_THROW(run_photometry(opts, {parse_spectrum_id("1,51000,1")}), not_found);
  EXPECT_THROW(run_photometry(opts, {}), not_found);
  opts.context = "nope";
  EXPECT_THROW(run_photometry(opts, ids_of(*metas_)), invalid_argument);
}

// The window pipeline against the CSR path photometry ran on before it (batch_reader packs each
// spectrum's stored pixels end to end; the kernel sums them): on the CPU the same bits, since
// the same pixels are summed in the same order; on cuda within 1e-12 relative of the CPU (the
// device sums in another order). Small windows, a missing ID and a duplicate.
TEST_P(PhotometryEngine, WindowPipelineMatchesTheCsrKernel) {
  store st(tmp_->path() / "store", store::access::read);
  auto ids = ids_of(*metas_);
  std::reverse(ids.begin(), ids.end());
  ids.insert(ids.begin() + 2, parse_spectrum_id("1234,56789,1"));
  ids.push_back(ids[1]);
  const auto resolved = resolve_ids(st.catalog(), std::string(default_context), ids);
  const band_tables bands = photometry_bands(default_photometry_filters, st.grid());
  const size_t nb = bands.size();

  batch_reader csr(st, resolved, int64_t(1) << 24);
  ASSERT_EQ(csr.windows().size(), 1u);
  const auto& cw = csr.windows()[0];
  std::vector<float> flux(size_t(cw.pixels())), ivar(size_t(cw.pixels()));
  csr.read(cw, column::flux, flux.data());
  csr.read(cw, column::ivar, ivar.data());
  std::vector<int32_t> starts(resolved.size(), 0);
  for (size_t i = 0; i < resolved.size(); ++i)
    if (resolved[i].has_pixels()) starts[i] = resolved[i].lattice_start();
  std::vector<band_flux> want(resolved.size() * nb);
  synthetic_photometry(backend::cpu, {resolved.size(), cw.offsets.data(), starts.data(), flux.data(), ivar.data(), nullptr},
                       bands, {}, want.data());

  std::vector<band_flux> got(resolved.size() * nb, band_flux{-1, -1, -1});
  size_t windows = 0;
  photometry_windows(st, resolved, bands, GetParam(), {}, 9000, [&](const aligned_reader::window& w, std::span<const band_flux> r) {
    ASSERT_EQ(r.size(), w.rows() * nb);
    std::copy(r.begin(), r.end(), got.begin() + std::ptrdiff_t(w.first * nb));
    ++windows;
  });
  EXPECT_GT(windows, 3u);  // ~2 spectra a window
  for (size_t i = 0; i < got.size(); ++i) {
    const std::string what = "item " + std::to_string(i / nb) + " band " + bands.name(i % nb);
    ASSERT_EQ(got[i].flag, want[i].flag) << what;
    if (want[i].flag) {
      EXPECT_TRUE(std::isnan(got[i].maggies) && std::isnan(got[i].maggies_err)) << what;
    } else if (GetParam() == backend::cpu) {
      EXPECT_EQ(std::memcmp(&got[i].maggies, &want[i].maggies, 8), 0) << what;
      EXPECT_EQ(std::memcmp(&got[i].maggies_err, &want[i].maggies_err, 8), 0) << what;
    } else {
      EXPECT_NEAR(got[i].maggies, want[i].maggies, 1e-12 * std::abs(want[i].maggies)) << what;
      EXPECT_NEAR(got[i].maggies_err, want[i].maggies_err, 1e-12 * std::abs(want[i].maggies_err)) << what;
    }
  }
  EXPECT_EQ(got[2 * nb].flag, photometry_not_covered);  // the missing ID
}

INSTANTIATE_TEST_SUITE_P(Cpu, PhotometryEngine, ::testing::Values(backend::cpu));
INSTANTIATE_TEST_SUITE_P(Cuda, PhotometryEngine, ::testing::Values(backend::cuda));

}  // namespace
