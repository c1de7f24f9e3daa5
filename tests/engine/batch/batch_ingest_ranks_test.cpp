// `batch ingest` with repaired copies (NaN pixels zeroed on read), the one rule whose spectra
// wait for the end of the run: rank 0 defers such a copy in case a clean one follows, and its
// pixels wait on the rank that decoded it. Run as one rank by the engine tests, and under
// `mpirun -np 2` as CTest mpi.ingest.repaired, where the copies fall in both ranks' shares:
// the store must hold what a single `ingest` of the same inputs holds, pixel for pixel.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "engine/batch/batch_ingest.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/store/store.hpp"
#include "engine/store/verify.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "io/mpi/communicator.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// A copy of `from` with NaN flux at pixel 100: it reads, with the pixel zeroed and unweighted.
fs::path nan_copy(const fs::path& from, const fs::path& to) {
  fs::create_directories(to.parent_path());
  fs::copy_file(from, to);
  fits_file f = fits_file::open_update(to);
  f.move_to(1);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  int status = 0;
  fits_write_col(native(f), TFLOAT, *f.column_index("flux"), 101, 1, 1, const_cast<float*>(&nan), &status);
  f.check(status, "test setup");
  f.close();
  return to;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0);
}

}  // namespace

TEST(BatchIngestRanks, RepairedCopiesWaitOnTheirRankAndEndAsInOneProcess) {
  communicator comm;
  std::unique_ptr<test_support::temp_dir> tmp;
  std::vector<std::byte> where;
  std::vector<fs::path> real;
  for (const auto& e : fs::directory_iterator(fs::path(SPECMILL_SHARED_DATA) / "spectra")) real.push_back(e.path());
  std::sort(real.begin(), real.end());
  ASSERT_GE(real.size(), 5u);
  if (comm.rank() == 0) {
    tmp = std::make_unique<test_support::temp_dir>();
    where = to_bytes(tmp->path().string());
  }
  comm.broadcast(where);
  const fs::path dir = to_string(where);
  // In this order, the first three in rank 0's share at -np 2, the last three in rank 1's:
  // R0 repaired, then clean in the other share (the clean copy wins); R1 and R3 only repaired
  // (stored at the end, from rank 0's and rank 1's held copies); R2, R4 clean.
  const std::vector<fs::path> inputs = {dir / "a" / real[0].filename(), dir / "a" / real[1].filename(), real[2],
                                        real[0], dir / "b" / real[3].filename(), real[4]};
  if (comm.rank() == 0) {
    nan_copy(real[0], inputs[0]);
    nan_copy(real[1], inputs[1]);
    nan_copy(real[3], inputs[4]);
  }
  comm.barrier();
  ingest_options opts;
  opts.store = dir / "batch";
  opts.progress = false;
  opts.block_spectra = 2;
  for (const auto& p : inputs) opts.inputs.push_back(p.string());
  const ingest_summary got = run_batch_ingest(comm, opts);
  if (comm.rank() != 0) return;

  ingest_options serial = opts;
  serial.store = dir / "serial";
  const ingest_summary want = ingest(serial);
  EXPECT_EQ(got.files, want.files);
  EXPECT_EQ(got.ingested, want.ingested);
  EXPECT_EQ(got.skipped, want.skipped);
  EXPECT_EQ(got.failed, want.failed);
  EXPECT_EQ(want.ingested, 5u);
  ASSERT_EQ(got.duplicates.size(), want.duplicates.size());
  ASSERT_EQ(want.duplicates.size(), 1u);
  EXPECT_EQ(got.duplicates[0].file, want.duplicates[0].file);
  EXPECT_EQ(got.duplicates[0].kept, want.duplicates[0].kept);
  EXPECT_EQ(fs::path(want.duplicates[0].file), inputs[0]);  // the repaired copy lost

  store a(opts.store, store::access::read), b(serial.store, store::access::read);
  for (size_t i = 0; i < 5; ++i) {
    const uint64_t id = read_sdss_spectrum(real[i]).meta.specobjid;
    const auto ea = a.catalog().lookup(opts.context, id), eb = b.catalog().lookup(opts.context, id);
    ASSERT_TRUE(ea && ea->location && eb && eb->location) << "spectrum " << i << " not stored";
    const coadd ca = a.shared_block(ea->location->block_id)->read_spectrum(size_t(ea->location->row));
    const coadd cb = b.shared_block(eb->location->block_id)->read_spectrum(size_t(eb->location->row));
    EXPECT_EQ(ca.lattice_start, cb.lattice_start);
    EXPECT_TRUE(same_bits(ca.flux, cb.flux)) << "spectrum " << i;
    EXPECT_TRUE(same_bits(ca.ivar, cb.ivar)) << "spectrum " << i;
    EXPECT_TRUE(same_bits(ca.and_mask, cb.and_mask)) << "spectrum " << i;
    // R1 and R3 were stored from their repaired copies: pixel 100 zeroed and unweighted.
    const bool repaired = i == 1 || i == 3;
    EXPECT_EQ(ca.ivar[100] == 0.0f && ca.flux[100] == 0.0f, repaired) << "spectrum " << i;
  }
}
