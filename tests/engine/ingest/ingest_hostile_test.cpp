// Ingest runs with hostile files among good ones: every good file is stored, every bad one is
// reported by name, and the run neither aborts nor hangs. And when one spectrum comes in
// several files, a damaged or unreadable copy never wins over a good one.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <limits>
#include <set>

#include "common/spec_patch.hpp"
#include "core/error.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/store/store.hpp"
#include "engine/store/verify.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

ingest_options options(const fs::path& store, std::vector<std::string> inputs) {
  ingest_options o;
  o.store = store;
  o.inputs = std::move(inputs);
  o.progress = false;
  o.jobs = 2;
  return o;
}

// Runs ingest on another thread; a run that hangs (on a FIFO) fails the test instead of it.
ingest_summary ingest_within(const ingest_options& o, std::chrono::seconds limit, const std::vector<fs::path>& fifos) {
  auto run = std::async(std::launch::async, [&] { return ingest(o); });
  if (run.wait_for(limit) != std::future_status::ready) {
    for (const auto& f : fifos) {  // release a reader blocked in open()
      const int fd = ::open(f.c_str(), O_WRONLY | O_NONBLOCK);
      if (fd >= 0) ::close(fd);
    }
    run.wait();
    ADD_FAILURE() << "ingest did not finish within " << limit.count() << " s";
  }
  return run.get();
}

void gzip_bomb(const fs::path& path, size_t zeros) {
  gzFile gz = gzopen(path.c_str(), "wb1");
  ASSERT_NE(gz, nullptr);
  std::vector<char> block(1 << 20, 0);
  for (size_t left = zeros; left > 0; left -= std::min(left, block.size()))
    gzwrite(gz, block.data(), unsigned(std::min(left, block.size())));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

std::set<std::string> failed_files(const ingest_summary& s) {
  std::set<std::string> out;
  for (const auto& f : s.failures) out.insert(fs::path(f.file).filename().string());
  return out;
}

// A copy of `from` with NaN flux at pixel 100: it reads, with the pixel zeroed and unweighted.
fs::path nan_copy(const fs::path& from, const fs::path& to) {
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

coadd stored(const fs::path& store_dir, uint64_t specobjid) {
  store st(store_dir, store::access::read);
  const auto e = st.catalog().lookup("sdss_dr16", specobjid);
  if (!e || !e->location) throw std::runtime_error("not stored");
  return st.shared_block(e->location->block_id)->read_spectrum(size_t(e->location->row));
}

}  // namespace

// The bad copies come first in input order and have the same SPECOBJIDs as good files: none of
// them may abort the run, block it, or keep its good twin out.
TEST(IngestHostile, BadFilesAreReportedByNameAndEveryGoodFileIsStored) {
  test::temp_dir tmp;
  const auto bad = tmp.path() / "bad";
  fs::create_directories(bad);
  const auto files = test::real_spec_files();
  using cards = std::vector<std::pair<std::string, std::string>>;
  test_support::patch_header_cards(files[4], bad / "spec-naxis2-1e12.fits", 1, cards{{"NAXIS2", "1000000000000"}});
  test_support::patch_header_cards(files[5], bad / "spec-naxis2-1e8.fits", 1, cards{{"NAXIS2", "100000000"}});
  test_support::patch_header_cards(files[6], bad / "spec-tform.fits", 1,
                                   cards{{"TFORM1", "'1000000000E'"}, {"NAXIS1", "4000000028"}});
  test_support::patch_header_cards(files[7], bad / "spec-hdu2-naxis2.fits", 2, cards{{"NAXIS2", "1000000000000"}});
  gzip_bomb(bad / "spec-bomb.fits.gz", size_t(200) << 20);
  const auto fifo = bad / "spec-fifo.fits";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto fifo2 = tmp.path() / "spec-listed-fifo.fits";  // named on the command line
  ASSERT_EQ(::mkfifo(fifo2.c_str(), 0600), 0);

  const auto sum = ingest_within(options(tmp.path() / "store", {bad.string(), fifo2.string(),
                                                                test::shared_spectra().string()}),
                                 std::chrono::seconds(60), {fifo, fifo2});
  EXPECT_EQ(sum.ingested, 10u);
  EXPECT_EQ(sum.failed, 7u);
  EXPECT_EQ(failed_files(sum),
            (std::set<std::string>{"spec-naxis2-1e12.fits", "spec-naxis2-1e8.fits", "spec-tform.fits",
                                   "spec-hdu2-naxis2.fits", "spec-bomb.fits.gz", "spec-fifo.fits",
                                   "spec-listed-fifo.fits"}));
  for (const auto& f : sum.failures) EXPECT_FALSE(f.reason.empty()) << f.file;
  EXPECT_TRUE(sum.duplicates.empty());
  const auto rep = verify_store(tmp.path() / "store", true);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.spectra, 10u);

  // A re-run reads the failures again (they are not marked done) and fails them again.
  const auto again = ingest_within(options(tmp.path() / "store", {bad.string(), fifo2.string(),
                                                                  test::shared_spectra().string()}),
                                   std::chrono::seconds(60), {fifo, fifo2});
  EXPECT_EQ(again.ingested, 0u);
  EXPECT_EQ(again.failed, 7u);
}

// Ingest reads each file once and parses its bytes in memory: a truncated or garbage file must
// still be reported with the words the reader gives for the file on disk (as before), and the
// files after it stored.
TEST(IngestHostile, DamagedFilesAreReportedInThePathReadersWordsAndTheRestStored) {
  test::temp_dir tmp;
  const auto in = tmp.path() / "in";
  fs::create_directories(in);
  const auto files = test::real_spec_files();
  const auto write = [&](const char* name, const std::string& bytes) {
    std::ofstream(in / name, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return in / name;
  };
  const std::string full = test_support::slurp(files[1]);  // a full file: exposures after HDU 2
  const std::string lite = test_support::slurp(files[4]);
  const std::vector<fs::path> bad = {
      write("spec-a-cut-exposures.fits", full.substr(0, full.size() - 1000)),
      write("spec-b-cut-rows.fits", lite.substr(0, 2880 * 20)),
      write("spec-c-cut-odd.fits", lite.substr(0, 2880 * 30 + 17)),
      write("spec-d-garbage.fits", std::string(2880 * 10, '\x5a')),
      write("spec-e-one-more.fits", lite + "x"),
  };
  for (size_t i = 0; i < files.size(); ++i) fs::copy_file(files[i], in / ("spec-z" + std::to_string(i) + ".fits"));

  const auto sum = ingest(options(tmp.path() / "store", {in.string()}));
  EXPECT_EQ(sum.ingested, files.size());
  ASSERT_EQ(sum.failed, bad.size());
  ASSERT_EQ(sum.failures.size(), bad.size());
  for (const auto& f : sum.failures) {
    std::string expected;
    try {
      (void)read_sdss_spectrum(f.file);
    } catch (const std::exception& e) {
      expected = e.what();
    }
    EXPECT_FALSE(expected.empty()) << f.file;
    EXPECT_EQ(f.reason, expected) << f.file;
  }
  EXPECT_TRUE(verify_store(tmp.path() / "store", true).ok());
}

TEST(IngestHostile, RepairedCopyLosesToACleanCopyInEitherOrder) {
  const auto real = test::real_spec_files()[5];
  const sdss_spectrum clean = read_sdss_spectrum(real);
  for (const bool repaired_first : {true, false}) {
    SCOPED_TRACE(repaired_first ? "repaired copy first" : "clean copy first");
    test::temp_dir tmp;
    fs::create_directories(tmp.path() / "a");
    const auto repaired = nan_copy(real, tmp.path() / "a" / real.filename());
    ASSERT_EQ(read_sdss_spectrum(repaired).data.nonfinite_pixels, 1);
    // Named un-normalised, as a user may: the report must still tell the two files apart.
    const auto repaired_as_given = tmp.path() / "a" / "." / real.filename();
    std::vector<std::string> inputs = {repaired_as_given.string(), real.string()};
    if (!repaired_first) std::swap(inputs[0], inputs[1]);
    auto o = options(tmp.path() / "store", inputs);
    o.block_spectra = 1;  // the first copy would be in a committed block before the second is read
    const auto sum = ingest(o);
    EXPECT_EQ(sum.ingested, 1u);
    EXPECT_EQ(sum.skipped, 1u);
    ASSERT_EQ(sum.duplicates.size(), 1u);
    EXPECT_EQ(fs::path(sum.duplicates[0].file), repaired_as_given);
    EXPECT_EQ(fs::path(sum.duplicates[0].kept), fs::absolute(real).lexically_normal());
    EXPECT_EQ(sum.duplicates[0].specobjid, clean.meta.specobjid);
    const coadd got = stored(tmp.path() / "store", clean.meta.specobjid);
    ASSERT_EQ(got.flux.size(), clean.data.flux.size());
    EXPECT_EQ(std::memcmp(got.flux.data(), clean.data.flux.data(), got.flux.size() * 4), 0);
    EXPECT_EQ(got.ivar[100], clean.data.ivar[100]);
    // Both files are on record: a re-run reads neither again.
    const auto again = ingest(o);
    EXPECT_EQ(again.skipped, 2u);
    EXPECT_EQ(again.ingested + again.failed, 0u);
  }
}

TEST(IngestHostile, UnreadableCopyNeverWins) {
  test::temp_dir tmp;
  const auto real = test::real_spec_files()[2];
  const sdss_spectrum clean = read_sdss_spectrum(real);
  const auto broken = tmp.path() / ("broken-" + real.filename().string());
  test_support::patch_header_cards(real, broken, 1, {{"NAXIS2", "1000000000000"}});
  const auto sum = ingest(options(tmp.path() / "store", {broken.string(), real.string()}));
  EXPECT_EQ(sum.ingested, 1u);
  EXPECT_EQ(sum.failed, 1u);
  ASSERT_EQ(sum.failures.size(), 1u);
  EXPECT_EQ(fs::path(sum.failures[0].file), broken);
  EXPECT_NE(sum.failures[0].reason.find("NAXIS"), std::string::npos) << sum.failures[0].reason;
  const coadd got = stored(tmp.path() / "store", clean.meta.specobjid);
  EXPECT_EQ(std::memcmp(got.flux.data(), clean.data.flux.data(), got.flux.size() * 4), 0);
}

TEST(IngestHostile, OnlyRepairedCopiesKeepTheOneWithFewerRepairs) {
  test::temp_dir tmp;
  const auto real = test::real_spec_files()[3];
  fs::create_directories(tmp.path() / "one");
  fs::create_directories(tmp.path() / "two");
  const auto one = nan_copy(real, tmp.path() / "one" / real.filename());
  const auto two = nan_copy(one, tmp.path() / "two" / real.filename());  // NaN at 100 again: a tie
  const auto sum = ingest(options(tmp.path() / "store", {one.string(), two.string()}));
  EXPECT_EQ(sum.ingested, 1u);
  ASSERT_EQ(sum.duplicates.size(), 1u);
  EXPECT_EQ(fs::path(sum.duplicates[0].file), two);  // a tie: the first in input order stays
  EXPECT_TRUE(verify_store(tmp.path() / "store", true).ok());
}

TEST(IngestHostile, ARepairedCopyReplacedByABetterOneIsStoredOnce) {
  test::temp_dir tmp;
  const auto real = test::real_spec_files()[8];
  fs::create_directories(tmp.path() / "one");
  fs::create_directories(tmp.path() / "two");
  const auto two_nans = nan_copy(real, tmp.path() / "two" / real.filename());
  {
    fits_file f = fits_file::open_update(two_nans);
    f.move_to(1);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    int status = 0;
    fits_write_col(native(f), TFLOAT, *f.column_index("flux"), 201, 1, 1, const_cast<float*>(&nan), &status);
    f.check(status, "test setup");
    f.close();
  }
  const auto one_nan = nan_copy(real, tmp.path() / "one" / real.filename());
  ASSERT_EQ(read_sdss_spectrum(two_nans).data.nonfinite_pixels, 2);
  const auto sum = ingest(options(tmp.path() / "store", {two_nans.string(), one_nan.string()}));
  EXPECT_EQ(sum.ingested, 1u);
  ASSERT_EQ(sum.duplicates.size(), 1u);
  EXPECT_EQ(fs::path(sum.duplicates[0].file), two_nans);
  EXPECT_EQ(fs::path(sum.duplicates[0].kept), one_nan);
  const auto rep = verify_store(tmp.path() / "store", true);
  EXPECT_TRUE(rep.ok()) << (rep.problems.empty() ? "" : rep.problems[0]);
  EXPECT_EQ(rep.spectra, 1u);  // block rows: the kept copy once, not once per time it was deferred
}

TEST(IngestHostile, LeftoverOfAKilledCatalogCreationIsIgnoredAndRemoved) {
  test::temp_dir tmp;
  const auto store_dir = tmp.path() / "store";
  fs::create_directories(store_dir / "blocks");
  std::ofstream(store_dir / "catalog.sqlite.new-99999") << "half-written";
  // No catalog.sqlite: not a store yet, for readers.
  EXPECT_THROW(store(store_dir, store::access::read), not_found);
  const auto sum = ingest(options(store_dir, {test::shared_spectra().string()}));
  EXPECT_EQ(sum.ingested, 10u);
  EXPECT_EQ(sum.orphans_removed, 1u);
  EXPECT_FALSE(fs::exists(store_dir / "catalog.sqlite.new-99999"));
  for (const auto& e : fs::directory_iterator(store_dir))
    EXPECT_EQ(e.path().filename().string().find(".new-"), std::string::npos) << e.path();
  EXPECT_TRUE(verify_store(store_dir, false).ok());
}
