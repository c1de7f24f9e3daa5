// aligned_reader and get --align/--cutout against a reference built from whole spectra read one
// at a time (block_reader::read_spectrum). Tolerance: exact (bits): alignment moves values.
#include "common/store_setup.hpp"
#include "engine/pipeline/aligned_reader.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <tuple>
#include <random>

#include "core/error.hpp"
#include "engine/get/get.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/stack/stack.hpp"
#include "kernels/launch/device.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// 70 sample spectra of both eras in blocks of 16 (5 blocks), stored once contiguous (pread
// path) and once with row chunks (HDF5 path).
class AlignedStores : public ::testing::Environment {
 public:
  static inline test::temp_dir* dir = nullptr;
  void SetUp() override {
    dir = new test::temp_dir;
    const auto sample = test_support::write_sample_files(dir->path() / "sample", 70, 11, 0.4);
    for (bool contiguous : {true, false})
      test_support::ingest_into(store_path(contiguous), sample, 16, std::string(default_context), contiguous);
  }
  void TearDown() override { delete dir; }
  static fs::path store_path(bool contiguous) { return dir->path() / (contiguous ? "contiguous" : "chunked"); }
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new AlignedStores);

// Request order shuffled, with a duplicate, an ID that is not in the store and one repeated at
// the end: rows come back in request order whatever the blocks.
std::vector<resolved_id> shuffled_ids(store& st, unsigned seed) {
  std::vector<resolved_id> ids;
  st.catalog().for_each_located("sdss_dr16", [&](const catalog_entry& e) { ids.push_back(resolved_id::from_entry(e)); });
  std::mt19937 rng(seed);
  std::shuffle(ids.begin(), ids.end(), rng);
  ids.insert(ids.begin() + 3, ids[10]);
  ids.insert(ids.begin() + 7, resolved_id::make_missing(12345, 0));
  ids.push_back(ids[0]);
  return ids;
}

// Whole spectra, read one at a time through read_spectrum, by (block, row); cached per store.
const coadd& whole_spectrum(store& st, const spectrum_location& loc) {
  static std::map<std::tuple<std::string, int64_t, int32_t>, coadd> cache;
  const auto key = std::make_tuple(st.root().string(), loc.block_id, loc.row);
  auto it = cache.find(key);
  if (it == cache.end()) it = cache.emplace(key, block_reader(st.block_path(loc.block_id)).read_spectrum(size_t(loc.row))).first;
  return it->second;
}

// The reference: each spectrum read whole, then placed by index arithmetic.
std::vector<uint32_t> reference(store& st, const resolved_list& ids, column c, const lattice_window& g) {
  std::vector<uint32_t> out(ids.size() * size_t(g.width), 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].has_pixels()) continue;
    const coadd& s = whole_spectrum(st, ids[i].location());
    const void* src = nullptr;
    switch (c) {
      case column::flux: src = s.flux.data(); break;
      case column::ivar: src = s.ivar.data(); break;
      case column::and_mask: src = s.and_mask.data(); break;
      case column::or_mask: src = s.or_mask.data(); break;
      case column::wdisp: src = s.wdisp.data(); break;
      case column::sky: src = s.sky.data(); break;
      case column::model: src = s.model.data(); break;
      case column::loglam: src = s.loglam.data(); break;
    }
    for (int64_t j = 0; j < g.width; ++j) {
      const int64_t k = g.start + j - s.lattice_start;
      if (k >= 0 && k < int64_t(s.npix())) std::memcpy(&out[i * size_t(g.width) + size_t(j)], static_cast<const char*>(src) + k * 4, 4);
    }
  }
  return out;
}

class AlignedReader : public ::testing::TestWithParam<std::tuple<backend, bool>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
  void check(store& st, const resolved_list& ids, const lattice_window& g, size_t window_bytes) {
    aligned_reader reader(st, ids, g, std::get<0>(GetParam()), window_bytes);
    size_t covered = 0;
    for (int c = 0; c < n_columns; ++c) {
      SCOPED_TRACE(column_names[c]);
      std::vector<uint32_t> got(ids.size() * size_t(g.width), 0xdeadbeef);
      for (const auto& w : reader.windows()) {
        EXPECT_EQ(w.first, covered % ids.size());
        reader.read(w, column(c), got.data() + w.first * size_t(g.width));
        covered += w.rows();
      }
      EXPECT_EQ(got, reference(st, ids, column(c), g));
    }
  }
};

TEST_P(AlignedReader, ListSpanMatchesReferenceAcrossBlocksAndWindows) {
  store st(AlignedStores::store_path(std::get<1>(GetParam())), store::access::read);
  const auto ids = shuffled_ids(st, 1);
  const lattice_window g = list_span(ids, sdss_native_grid);
  check(st, ids, g, size_t(g.width) * 4 * 9);  // 9 rows a window: windows cross blocks
  check(st, ids, g, size_t(1) << 30);           // one window
}

TEST_P(AlignedReader, CutoutsInsideAtTheEdgesAndOutside) {
  store st(AlignedStores::store_path(std::get<1>(GetParam())), store::access::read);
  const auto ids = shuffled_ids(st, 2);
  const lattice_window span = list_span(ids, sdss_native_grid);
  check(st, ids, cutout_window({6500, 6600}, sdss_native_grid), 4096);
  check(st, ids, {span.start - 40, 81}, 4096);                 // straddles the list's first pixel
  check(st, ids, {span.end() - 1, 31}, 4096);                  // the last pixel plus padding
  check(st, ids, {span.start + 100, 32}, 4096);
  check(st, ids, {span.start + 1000, 33}, 4096);
  check(st, ids, {span.end() + 10, 5}, 4096);                  // beyond every spectrum: zeros
  check(st, std::vector<resolved_id>(ids.begin(), ids.begin() + 1), {span.start, 1}, 4096);  // one spectrum
}

// for_each_stored hands every listed spectrum that has pixels exactly once per window, with its
// own stored pixels (in place from the mapping when contiguous, copied when chunked), bit-exact
// against read_spectrum, and nothing for the missing ID; four columns at once.
TEST_P(AlignedReader, ForEachStoredGivesEachSpectrumsOwnPixels) {
  if (std::get<0>(GetParam()) != backend::cpu) GTEST_SKIP() << "not applicable: for_each_stored is the CPU path";
  store st(AlignedStores::store_path(std::get<1>(GetParam())), store::access::read);
  const auto ids = shuffled_ids(st, 3);
  const lattice_window g = list_span(ids, sdss_native_grid);
  aligned_reader reader(st, ids, g, backend::cpu, size_t(g.width) * 4 * 9);  // 9 rows a window
  ASSERT_GT(reader.windows().size(), 3u);
  const std::vector<column> columns{column::flux, column::ivar, column::and_mask, column::sky};
  std::vector<int> seen(ids.size(), 0);
  std::mutex m;
  for (const auto& w : reader.windows()) {
    reader.for_each_stored(w, columns, [&](size_t i, const aligned_reader::stored_row& r) {
      ASSERT_TRUE(i >= w.first && i < w.last);
      const coadd& want = whole_spectrum(st, ids[i].location());
      std::lock_guard lock(m);
      ++seen[i];
      EXPECT_EQ(r.lattice_start, want.lattice_start);
      ASSERT_EQ(size_t(r.npix), want.npix());
      const void* expect[4] = {want.flux.data(), want.ivar.data(), want.and_mask.data(), want.sky.data()};
      for (size_t k = 0; k < columns.size(); ++k)
        EXPECT_EQ(std::memcmp(r.data[k], expect[k], want.npix() * 4), 0) << "item " << i << " column " << k;
    });
  }
  for (size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(seen[i], ids[i].has_pixels() ? 1 : 0) << "item " << i;
  const std::vector<column> loglam{column::loglam};
  EXPECT_THROW(reader.for_each_stored(reader.windows()[0], loglam, [](size_t, const aligned_reader::stored_row&) {}),
               specmill::invalid_argument);
}

// The mean stacks read their rows through the same stored_rows as for_each_stored: in place
// from contiguous blocks, copied from chunked ones. Both give the same bits (and the masks).
TEST(StoredRows, MeanStacksSameOnContiguousAndChunkedBlocks) {
  for (const stack_method m : {stack_method::weighted_mean, stack_method::mean}) {
    for (const uint32_t mask_bits : {0u, 0xffffffffu}) {
      stack_options o;
      o.method = m;
      o.mask_bits = mask_bits;
      o.progress = false;
      std::vector<stack_result> r;
      for (bool contiguous : {true, false}) {
        store st(AlignedStores::store_path(contiguous), store::access::read);
        r.push_back(compute_stack(o, st, shuffled_ids(st, 5)));
      }
      ASSERT_EQ(r[0].flux.size(), r[1].flux.size());
      ASSERT_GT(r[0].flux.size(), 0u);
      EXPECT_EQ(std::memcmp(r[0].flux.data(), r[1].flux.data(), r[0].flux.size() * 4), 0);
      EXPECT_EQ(std::memcmp(r[0].ivar.data(), r[1].ivar.data(), r[0].ivar.size() * 4), 0);
      EXPECT_EQ(r[0].n, r[1].n);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, AlignedReader,
                         ::testing::Combine(::testing::Values(backend::cpu, backend::cuda), ::testing::Bool()),
                         [](const auto& info) {
                           return std::string(std::get<0>(info.param) == backend::cpu ? "Cpu" : "Cuda") +
                                  (std::get<1>(info.param) ? "Contiguous" : "Chunked");
                         });

// End to end: get --align --format npy with one column writes the bare 2-D array.
TEST(GetDense, AlignedNpyIsTheBare2DArrayInRequestOrder) {
  test::temp_dir tmp;
  store st(AlignedStores::store_path(true), store::access::read);
  const auto ids = shuffled_ids(st, 3);
  const lattice_window g = list_span(ids, sdss_native_grid);
  std::vector<spectrum_id> request;
  for (const auto& r : ids) request.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  get_options o;
  o.store = AlignedStores::store_path(true);
  o.align = true;
  o.columns = {column::flux};
  o.format = get_format::npy;
  o.out = tmp.path() / "flux.npy";
  o.progress = false;
  o.window_bytes = 8192;
  const auto sum = get_spectra(o, request);
  EXPECT_EQ(sum.width, g.width);
  EXPECT_EQ(sum.found, ids.size() - 1);
  ASSERT_EQ(sum.missing.size(), 1u);
  std::ifstream in(o.out, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  const size_t header = 10 + size_t(uint8_t(bytes[8])) + 256 * size_t(uint8_t(bytes[9]));
  EXPECT_NE(bytes.substr(0, header).find("'shape': (" + std::to_string(ids.size()) + ", " + std::to_string(g.width) + ")"),
            std::string::npos);
  const auto want = reference(st, ids, column::flux, g);
  ASSERT_EQ(bytes.size(), header + want.size() * 4);
  EXPECT_EQ(std::memcmp(bytes.data() + header, want.data(), want.size() * 4), 0);
}

TEST(GetDense, BadRequestsAreInvalidArguments) {
  test::temp_dir tmp;
  get_options o;
  o.store = AlignedStores::store_path(true);
  o.align = true;
  o.columns = {column::loglam};  // nothing left: loglam is the grid
  o.out = tmp.path() / "x.npz";
  o.progress = false;
  spectrum_id id = parse_spectrum_id("1");
  EXPECT_THROW(get_spectra(o, {id}), error);
  o.columns = {column::flux};
  EXPECT_THROW(get_spectra(o, {id}), not_found);  // nothing found
}

}  // namespace
