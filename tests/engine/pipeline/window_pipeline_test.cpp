// The one window pipeline (engine/pipeline/window_pipeline.hpp) on both backends: windows in
// list order whatever the window size (1, 31, 32, 33 rows, one window), lists spanning several
// store blocks, zero IDs, one ID, missing IDs; every column equals a reference built from whole
// spectra read one at a time (exact: the pipeline moves values, it computes nothing); on cuda
// the device copy equals the host copy. The checkpoint between windows stops the run. And the
// chained on-device path of get --resample (cuda against cpu). Tests on backend::cuda report
// SKIPPED without a GPU.
#include "common/store_setup.hpp"
#include "engine/pipeline/window_pipeline.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>
#include <tuple>

#include "core/error.hpp"
#include "engine/get/get.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/pipeline/rest_frame.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/store_fixture.hpp"
#include "kernels/launch/device.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// 40 sample spectra of both eras in blocks of 8: five blocks, so any list window of more than a
// few rows reads several.
class PipelineStore : public ::testing::Environment {
 public:
  static inline test::temp_dir* dir = nullptr;
  void SetUp() override {
    dir = new test::temp_dir;
    test_support::ingest_into(path(), test_support::write_sample_files(dir->path() / "sample", 40, 23, 0.5), 8);
  }
  void TearDown() override { delete dir; }
  static fs::path path() { return dir->path() / "store"; }
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new PipelineStore);

resolved_id missing_id(uint64_t n) { return resolved_id::make_missing(n, 0); }

// Every stored spectrum, shuffled, with a missing ID inside and a repeat at the end.
std::vector<resolved_id> listed_ids(store& st) {
  std::vector<resolved_id> ids;
  st.catalog().for_each_located("sdss_dr16", [&](const catalog_entry& e) { ids.push_back(resolved_id::from_entry(e)); });
  std::mt19937 rng(5);
  std::shuffle(ids.begin(), ids.end(), rng);
  ids.insert(ids.begin() + 4, missing_id(777));
  ids.push_back(ids[1]);
  return ids;
}

// Column c of each listed spectrum placed on g by index arithmetic from the whole spectrum.
std::vector<uint32_t> reference(const resolved_list& ids, column c, const lattice_window& g, store& st) {
  std::vector<uint32_t> out(ids.size() * size_t(g.width), 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].has_pixels()) continue;
    const auto& loc = ids[i].location();
    const coadd s = block_reader(st.block_path(loc.block_id)).read_spectrum(size_t(loc.row));
    const void* src = c == column::flux ? static_cast<const void*>(s.flux.data())
                      : c == column::ivar ? static_cast<const void*>(s.ivar.data())
                                          : static_cast<const void*>(s.and_mask.data());
    for (int64_t j = 0; j < g.width; ++j) {
      const int64_t k = g.start + j - s.lattice_start;
      if (k >= 0 && k < int64_t(s.npix()))
        std::memcpy(&out[i * size_t(g.width) + size_t(j)], static_cast<const char*>(src) + k * 4, 4);
    }
  }
  return out;
}

const std::vector<column> read_columns{column::flux, column::ivar, column::and_mask};

class WindowPipeline : public ::testing::TestWithParam<std::tuple<backend, size_t>> {
 protected:
  void SetUp() override {
    if (b() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  backend b() const { return std::get<0>(GetParam()); }
  size_t rows_per_window() const { return std::get<1>(GetParam()); }

  // Runs the pipeline over ids and checks windows, order, progress and every column.
  void check(store& st, const resolved_list& ids, const lattice_window& g) {
    aligned_reader reader(st, ids, g, backend::cpu, rows_per_window() * size_t(g.width) * 4);
    window_pipeline pipe(reader, read_columns, b());
    const size_t width = size_t(g.width);
    std::vector<std::vector<uint32_t>> got(read_columns.size(), std::vector<uint32_t>(ids.size() * width, 0xdeadbeef));
    size_t next_first = 0, windows = 0, last_done = 0;
    pipe.run(
        [&](const aligned_reader::window& w, staged_window& slot) {
          EXPECT_EQ(w.first, next_first) << "windows out of list order";
          EXPECT_LE(w.rows(), rows_per_window());
          EXPECT_EQ(slot.where(), b());
          next_first = w.last;
          ++windows;
          for (size_t k = 0; k < read_columns.size(); ++k) {
            std::memcpy(got[k].data() + w.first * width, slot.host(k), w.rows() * width * 4);
            if (b() != backend::cuda) {
              EXPECT_EQ(slot.device(k), nullptr);
              continue;
            }
            // The device copy is the host copy, byte for byte.
            std::vector<uint32_t> back(w.rows() * width, 0xdeadbeef);
            // Copy device -> host through the slot's own download over a scribbled host copy.
            std::vector<uint32_t> saved(w.rows() * width);
            std::memcpy(saved.data(), slot.host(k), saved.size() * 4);
            std::memset(slot.host(k), 0xab, saved.size() * 4);
            slot.download(k, saved.size() * 4);
            slot.synchronize();
            std::memcpy(back.data(), slot.host(k), back.size() * 4);
            EXPECT_EQ(back, saved) << "device copy of column " << k << " differs";
          }
        },
        [&](size_t done) {
          EXPECT_GT(done, last_done);
          last_done = done;
        });
    EXPECT_EQ(next_first, ids.size());
    EXPECT_EQ(last_done, ids.size());
    EXPECT_EQ(windows, ids.empty() ? 0 : (ids.size() + rows_per_window() - 1) / rows_per_window());
    if (ids.empty()) return;
    EXPECT_EQ(pipe.max_rows(), std::min(ids.size(), rows_per_window()));
    for (size_t k = 0; k < read_columns.size(); ++k) {
      SCOPED_TRACE(column_names[int(read_columns[k])]);
      EXPECT_EQ(got[k], reference(ids, read_columns[k], g, st));
    }
  }
};

TEST_P(WindowPipeline, ListSpanningBlocksMatchesReference) {
  store st(PipelineStore::path(), store::access::read);
  const auto ids = listed_ids(st);
  ASSERT_GT(ids.size(), 33u);  // the 31/32/33-row windows cut the list more than once
  check(st, ids, list_span(ids, st.grid()));
}

TEST_P(WindowPipeline, NarrowWindowAtTheListEdge) {
  store st(PipelineStore::path(), store::access::read);
  const auto ids = listed_ids(st);
  const lattice_window span = list_span(ids, st.grid());
  check(st, ids, {span.start - 3, 33});
}

TEST_P(WindowPipeline, OneIdAndZeroIds) {
  store st(PipelineStore::path(), store::access::read);
  const auto ids = listed_ids(st);
  const std::vector<resolved_id> one(ids.begin(), ids.begin() + 1);
  check(st, one, list_span(ids, st.grid()));
  check(st, {}, list_span(ids, st.grid()));
}

TEST_P(WindowPipeline, MissingIdsGiveZeroRows) {
  store st(PipelineStore::path(), store::access::read);
  const lattice_window g = list_span(listed_ids(st), st.grid());
  std::vector<resolved_id> ids;
  for (int64_t k = 0; k < 34; ++k) ids.push_back(missing_id(uint64_t(1000 + k)));
  check(st, ids, g);  // the reference of a missing ID is a row of zeros
}

TEST_P(WindowPipeline, CheckpointThrowStopsBetweenWindows) {
  store st(PipelineStore::path(), store::access::read);
  const auto ids = listed_ids(st);
  const lattice_window g = list_span(ids, st.grid());
  aligned_reader reader(st, ids, g, backend::cpu, rows_per_window() * size_t(g.width) * 4);
  if (reader.windows().size() < 2) GTEST_SKIP() << "one window: no checkpoint between windows";
  window_pipeline pipe(reader, read_columns, b());
  size_t consumed = 0;
  EXPECT_THROW(pipe.run([&](const aligned_reader::window&, staged_window&) { ++consumed; },
                        [&](size_t) { throw std::runtime_error("budget spent"); }),
               std::runtime_error);
  EXPECT_EQ(consumed, 1u);  // the first window, then the checkpoint stopped the run
}

TEST_P(WindowPipeline, CustomColumnReader) {
  store st(PipelineStore::path(), store::access::read);
  const auto ids = listed_ids(st);
  const lattice_window g{3600, 31};
  aligned_reader reader(st, ids, g, backend::cpu, rows_per_window() * size_t(g.width) * 4);
  window_pipeline pipe(reader, {column::flux}, b(), [&](const aligned_reader::window& w, size_t, void* dst) {
    auto* out = static_cast<int32_t*>(dst);
    for (size_t i = 0; i < w.rows() * size_t(g.width); ++i) out[i] = int32_t(w.first * size_t(g.width) + i);
  });
  size_t checked = 0;
  pipe.run([&](const aligned_reader::window& w, staged_window& slot) {
    const auto* v = slot.host<int32_t>(0);
    for (size_t i = 0; i < w.rows() * size_t(g.width); ++i, ++checked)
      ASSERT_EQ(v[i], int32_t(w.first * size_t(g.width) + i));
  });
  EXPECT_EQ(checked, ids.size() * size_t(g.width));
}

std::string pipeline_name(const ::testing::TestParamInfo<WindowPipeline::ParamType>& info) {
  std::string name = std::get<0>(info.param) == backend::cpu ? "cpu" : "cuda";
  name += "_rows";
  name += std::to_string(std::get<1>(info.param));
  return name;
}
const auto window_rows = ::testing::Values(size_t(1), size_t(31), size_t(32), size_t(33), size_t(1) << 20);
INSTANTIATE_TEST_SUITE_P(Cpu, WindowPipeline, ::testing::Combine(::testing::Values(backend::cpu), window_rows),
                         pipeline_name);
INSTANTIATE_TEST_SUITE_P(Cuda, WindowPipeline, ::testing::Combine(::testing::Values(backend::cuda), window_rows),
                         pipeline_name);

// ---------------------------------------------------------------- rest_frame_shifts

TEST(RestFrameShifts, SuppliedCatalogAndUnusable) {
  store st(PipelineStore::path(), store::access::read);
  auto ids = listed_ids(st);
  ids.resize(6);  // item 4 is the missing ID
  const std::vector<double> z{0.0, 0.5, -1.0, NAN, 2.0, 1e-3};
  const auto s = rest_frame_shifts(z, ids);
  ASSERT_EQ(s.size(), 6u);
  EXPECT_EQ(s[0], 0.0);
  EXPECT_NEAR(s[1], std::log10(1.5), 1e-15);
  EXPECT_TRUE(std::isnan(s[2]));  // z <= -1
  EXPECT_TRUE(std::isnan(s[3]));
  EXPECT_NEAR(s[4], std::log10(3.0), 1e-15);  // a supplied z counts even for a missing ID
  const auto from_catalog = rest_frame_shifts({}, ids);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].found()) {
      EXPECT_TRUE(std::isnan(from_catalog[i]));
      continue;
    }
    const double zc = double(ids[i].z());
    if (std::isfinite(zc) && zc > -1) {
      EXPECT_NEAR(from_catalog[i], std::log10(1.0 + zc), 1e-15);
    }
  }
  EXPECT_THROW(rest_frame_shifts(std::vector<double>{0.1}, ids), invalid_argument);
}

// ---------------------------------------------------------------- get --resample, chained on the device

std::vector<float> npy_floats(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t header = 10 + size_t(uint8_t(bytes[8])) + 256 * size_t(uint8_t(bytes[9]));
  std::vector<float> v((bytes.size() - header) / 4);
  std::memcpy(v.data(), bytes.data() + header, v.size() * 4);
  return v;
}

std::vector<float> get_resampled(backend b, column c, bool rest, const fs::path& out) {
  store st(PipelineStore::path(), store::access::read);
  std::vector<spectrum_id> request;
  for (const auto& r : listed_ids(st)) request.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  get_options o;
  o.store = PipelineStore::path();
  o.resample = wavelength_grid{wavelength_grid::scale::linear, 4000, 8000, 2.5};
  o.rest_frame = rest;
  o.columns = {c};
  o.format = get_format::npy;
  o.out = out;
  o.progress = false;
  o.device = b;
  o.mask_bits = 1 << 22;
  o.window_bytes = 31 * 4 * 4000;  // windows of a few rows: several windows, several blocks
  get_spectra(o, request);
  return npy_floats(out);
}

// The device path (one copy in per window, resample there, results back) against the CPU's.
// Tolerance: 2e-6 relative plus 1e-30 absolute: the device computes the edges with exp() on
// the spot, the CPU from tables of the same expressions; both sum in double and round once.
TEST(GetResampleCuda, MatchesCpu) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  test::temp_dir tmp;
  for (bool rest : {false, true})
    for (column c : {column::flux, column::ivar}) {
      SCOPED_TRACE(std::string(column_names[int(c)]) + (rest ? " rest" : " observed"));
      const auto cpu = get_resampled(backend::cpu, c, rest, tmp.path() / "cpu.npy");
      const auto cuda = get_resampled(backend::cuda, c, rest, tmp.path() / "cuda.npy");
      ASSERT_EQ(cpu.size(), cuda.size());
      size_t bad = 0;
      for (size_t i = 0; i < cpu.size(); ++i) {
        const bool ok = std::isnan(cpu[i]) ? std::isnan(cuda[i])
                                           : std::fabs(double(cpu[i]) - cuda[i]) <= 2e-6 * std::fabs(cpu[i]) + 1e-30;
        if (!ok && bad++ < 5) ADD_FAILURE() << "i=" << i << " cpu " << cpu[i] << " cuda " << cuda[i];
      }
      EXPECT_EQ(bad, 0u);
    }
}

// The CPU path through the pipeline: windows change nothing (one window against 31-row ones).
TEST(GetResample, WindowSizeChangesNothing) {
  test::temp_dir tmp;
  const auto windowed = get_resampled(backend::cpu, column::flux, true, tmp.path() / "a.npy");
  store st(PipelineStore::path(), store::access::read);
  std::vector<spectrum_id> request;
  for (const auto& r : listed_ids(st)) request.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  get_options o;
  o.store = PipelineStore::path();
  o.resample = wavelength_grid{wavelength_grid::scale::linear, 4000, 8000, 2.5};
  o.rest_frame = true;
  o.columns = {column::flux};
  o.format = get_format::npy;
  o.out = tmp.path() / "b.npy";
  o.progress = false;
  o.mask_bits = 1 << 22;
  get_spectra(o, request);
  const auto whole = npy_floats(o.out);
  ASSERT_EQ(whole.size(), windowed.size());
  EXPECT_EQ(std::memcmp(whole.data(), windowed.data(), whole.size() * 4), 0);
}

}  // namespace
