// Staleness: ingest and check_stale on copies of real spec files that are then touched (same
// bytes, new mtime), re-processed (flux changed, written back by the spec-lite writer) or
// removed. The re-ingested spectrum must be the new one, bit for bit.
#include "engine/ingest/stale_check.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>

#include "core/error.hpp"
#include "engine/ingest/file_digest.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/store/store.hpp"
#include "engine/store/verify.hpp"
#include "common/spec_patch.hpp"
#include "engine/store_fixture.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "io/fits/sdss_spec_writer.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

const std::string dr16(default_context);

ingest_options options(const fs::path& store, const fs::path& input) {
  ingest_options o;
  o.store = store;
  o.inputs = {input.string()};
  o.progress = false;
  o.jobs = 2;
  o.block_spectra = 2;
  return o;
}

// Three real files copied into dir (their own mtimes, which the test then moves).
std::vector<fs::path> copy_three(const fs::path& dir) {
  fs::create_directories(dir);
  std::vector<fs::path> out;
  for (size_t i = 0; i < 3; ++i) {
    const auto f = test::real_spec_files()[i];
    out.push_back(dir / f.filename());
    fs::copy_file(f, out.back());
  }
  return out;
}

void bump_mtime(const fs::path& p) { fs::last_write_time(p, fs::last_write_time(p) + std::chrono::seconds(7)); }

coadd stored_pixels(const fs::path& store_dir, uint64_t specobjid) {
  store st(store_dir, store::access::read);
  const auto e = st.catalog().lookup(default_context, specobjid);
  if (!e || !e->location) throw std::runtime_error("not stored");
  return st.shared_block(e->location->block_id)->read_spectrum(size_t(e->location->row));
}

}  // namespace

TEST(FileDigest, SameBytesSameDigestAnyByteChangesIt) {
  test::temp_dir tmp;
  const auto real = test::real_spec_files()[0];
  const auto copy = tmp.path() / "copy.fits";
  fs::copy_file(real, copy);
  EXPECT_EQ(file_digest(real), file_digest(copy));
  std::string bytes = test_support::slurp(copy);
  for (size_t at : {size_t(0), bytes.size() / 2, bytes.size() - 1}) {  // first, middle, last byte
    std::string changed = bytes;
    changed[at] = char(changed[at] ^ 1);
    const auto p = tmp.path() / ("changed-" + std::to_string(at));
    std::ofstream(p, std::ios::binary) << changed;
    EXPECT_NE(file_digest(p), file_digest(copy)) << "byte " << at;
  }
  // A tail of zeros is not the same file as the shorter one.
  std::ofstream(tmp.path() / "longer", std::ios::binary) << bytes << std::string(3, '\0');
  EXPECT_NE(file_digest(tmp.path() / "longer"), file_digest(copy));
  EXPECT_THROW(file_digest(tmp.path() / "absent"), io_error);
}

TEST(StaleCheck, TouchedChangedMissingAndTheReplacementIsServed) {
  test::temp_dir tmp;
  const auto store_dir = tmp.path() / "store";
  const auto files = copy_three(tmp.path() / "in");
  ASSERT_EQ(ingest(options(store_dir, tmp.path() / "in")).ingested, 3u);
  auto clean = check_stale(store_dir, dr16);
  EXPECT_EQ(clean.recorded, 3u);
  EXPECT_EQ(clean.unchanged, 3u);
  EXPECT_TRUE(clean.files.empty());

  // files[0]: touched. files[1]: re-processed (flux x 1.5 + 2, z changed). files[2]: removed.
  bump_mtime(files[0]);
  auto reprocessed = read_sdss_spectrum(files[1]);
  const coadd before = stored_pixels(store_dir, reprocessed.meta.specobjid);
  for (float& f : reprocessed.data.flux) f = f * 1.5f + 2.0f;
  reprocessed.meta.z += 0.001f;
  write_sdss_spec_lite(files[1], reprocessed);
  bump_mtime(files[1]);
  const auto gone = read_sdss_spectrum(files[2]).meta.specobjid;
  fs::rename(files[2], tmp.path() / "elsewhere.fits");

  const auto rep = check_stale(store_dir, dr16);
  EXPECT_EQ(rep.recorded, 3u);
  EXPECT_EQ(rep.unchanged, 0u);
  EXPECT_EQ(rep.touched, 1u);
  EXPECT_EQ(rep.changed, 1u);
  EXPECT_EQ(rep.missing, 1u);
  ASSERT_EQ(rep.files.size(), 3u);
  for (const auto& f : rep.files) {
    if (fs::path(f.path).filename() == files[0].filename()) {
      EXPECT_EQ(f.state, file_state::touched);
    }
    if (fs::path(f.path).filename() == files[1].filename()) {
      EXPECT_EQ(f.state, file_state::changed);
    }
    if (fs::path(f.path).filename() == files[2].filename()) {
      EXPECT_EQ(f.state, file_state::missing);
      EXPECT_EQ(f.specobjid, gone);
    }
  }
  // The check changed nothing: the same answer again, and the old pixels still served.
  EXPECT_EQ(check_stale(store_dir, dr16).changed, 1u);
  EXPECT_EQ(stored_pixels(store_dir, reprocessed.meta.specobjid).flux, before.flux);

  const auto again = ingest(options(store_dir, tmp.path() / "in"));
  EXPECT_EQ(again.replaced, 1u);
  EXPECT_EQ(again.touched, 1u);
  EXPECT_EQ(again.ingested, 0u);
  EXPECT_EQ(again.failed, 0u);
  const coadd after = stored_pixels(store_dir, reprocessed.meta.specobjid);
  EXPECT_EQ(after.flux, reprocessed.data.flux);  // bit for bit the re-processed flux
  EXPECT_NE(after.flux, before.flux);
  EXPECT_EQ(after.ivar, before.ivar);
  {
    store st(store_dir, store::access::read);
    EXPECT_FLOAT_EQ(st.catalog().lookup(default_context, reprocessed.meta.specobjid)->meta.z, reprocessed.meta.z);
  }
  // Now only the missing file is stale; a third run does nothing.
  const auto after_rep = check_stale(store_dir, dr16);
  EXPECT_EQ(after_rep.unchanged, 2u);
  EXPECT_EQ(after_rep.missing, 1u);
  const auto third = ingest(options(store_dir, tmp.path() / "in"));
  EXPECT_EQ(third.replaced + third.ingested + third.blocks, 0u);
  EXPECT_EQ(third.skipped, 2u);
  EXPECT_TRUE(verify_store(store_dir, true).ok());
}

TEST(StaleCheck, UnknownContextIsNotFound) {
  test::temp_dir tmp;
  const auto files = copy_three(tmp.path() / "in");
  ingest(options(tmp.path() / "store", tmp.path() / "in"));
  EXPECT_THROW(check_stale(tmp.path() / "store", "no_such_context"), not_found);
  EXPECT_THROW(check_stale(tmp.path() / "absent", dr16), not_found);
}
