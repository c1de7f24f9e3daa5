#include "engine/ingest/ingest.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/store/store.hpp"
#include "engine/store/verify.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

ingest_options options(const fs::path& store, std::vector<std::string> inputs, std::string context = "sdss_dr16") {
  ingest_options o;
  o.store = store;
  o.inputs = std::move(inputs);
  o.context = std::move(context);
  o.progress = false;
  o.jobs = 2;
  return o;
}

template <class T>
bool same_bits(const std::vector<T>& a, const T* b, size_t n) {
  return a.size() == n && std::memcmp(a.data(), b, n * sizeof(T)) == 0;
}

}  // namespace

// Every column of every real file goes through ingest -> read back bit for bit; the catalog
// row carries the HDU 2 metadata and the SPECOBJID rebuilt from plate/mjd/fiber/run2d.
TEST(Ingest, RealFilesRoundTripBitExact) {
  test::temp_dir tmp;
  const auto files = test::real_spec_files();
  ASSERT_EQ(files.size(), 10u);
  auto opts = options(tmp.path() / "store", {test::shared_spectra().string()});
  opts.block_spectra = 4;  // several blocks, and a partial last one
  const auto sum = ingest(opts);
  EXPECT_EQ(sum.ingested, 10u);
  EXPECT_EQ(sum.failed, 0u);
  EXPECT_EQ(sum.blocks, 3u);

  store st(tmp.path() / "store", store::access::read);
  std::vector<resolved_id> ids;
  std::vector<sdss_spectrum> originals;
  for (const auto& f : files) {
    originals.push_back(read_sdss_spectrum(f));
    const auto& m = originals.back().meta;
    const auto entry = st.catalog().lookup("sdss_dr16", m.specobjid);
    ASSERT_TRUE(entry && entry->location) << f;
    const resolved_id r = resolved_id::from_entry(*entry);
    ASSERT_TRUE(r.has_pixels()) << f;
    const auto& e = entry->meta;
    EXPECT_EQ(e.specobjid, pack_specobjid({e.plate, e.mjd, e.fiberid, run2d_code(e.run2d)}));
    EXPECT_EQ(e.z, m.z);
    EXPECT_EQ(e.class_name, m.class_name);
    EXPECT_EQ(e.subclass, m.subclass);
    EXPECT_EQ(e.plug_ra, m.plug_ra);
    EXPECT_EQ(r.npix(), int32_t(originals.back().data.npix()));
    EXPECT_EQ(r.plate(), m.plate);
    EXPECT_EQ(r.mjd(), m.mjd);
    EXPECT_EQ(r.fiberid(), m.fiberid);
    ids.push_back(r);
  }
  // Reverse order: results must come back in request order, not block order.
  std::reverse(ids.begin(), ids.end());
  std::reverse(originals.begin(), originals.end());
  batch_reader reader(st, ids, 9000);  // small windows: several windows, blocks split across them
  EXPECT_GT(reader.windows().size(), 2u);
  for (int c = 0; c < n_columns; ++c) {
    for (const auto& w : reader.windows()) {
      std::vector<uint32_t> buf(size_t(w.pixels()));
      reader.read(w, column(c), buf.data());
      for (size_t i = w.first; i < w.last; ++i) {
        const coadd& o = originals[i].data;
        const void* got = buf.data() + w.offsets[i - w.first];
        const size_t n = size_t(w.offsets[i - w.first + 1] - w.offsets[i - w.first]);
        const column col = column(c);
        bool ok = false;
        switch (col) {
          case column::flux: ok = same_bits(o.flux, static_cast<const float*>(got), n); break;
          case column::loglam: ok = same_bits(o.loglam, static_cast<const float*>(got), n); break;
          case column::ivar: ok = same_bits(o.ivar, static_cast<const float*>(got), n); break;
          case column::and_mask: ok = same_bits(o.and_mask, static_cast<const int32_t*>(got), n); break;
          case column::or_mask: ok = same_bits(o.or_mask, static_cast<const int32_t*>(got), n); break;
          case column::wdisp: ok = same_bits(o.wdisp, static_cast<const float*>(got), n); break;
          case column::sky: ok = same_bits(o.sky, static_cast<const float*>(got), n); break;
          case column::model: ok = same_bits(o.model, static_cast<const float*>(got), n); break;
        }
        EXPECT_TRUE(ok) << "column " << column_names[size_t(c)] << " of " << ids[i].name();
      }
    }
  }
  const auto rep = verify_store(tmp.path() / "store", true);
  EXPECT_TRUE(rep.ok()) << (rep.problems.empty() ? "" : rep.problems[0]);
  EXPECT_EQ(rep.rows, 10u);
  EXPECT_EQ(rep.spectra, 10u);
}

TEST(Ingest, RerunIsIdempotentAndDuplicatesAreNotStoredTwice) {
  test::temp_dir tmp;
  const auto store_dir = tmp.path() / "store";
  EXPECT_EQ(ingest(options(store_dir, {test::shared_spectra().string()})).ingested, 10u);
  const auto again = ingest(options(store_dir, {test::shared_spectra().string()}));
  EXPECT_EQ(again.ingested, 0u);
  EXPECT_EQ(again.skipped, 10u);
  EXPECT_EQ(again.blocks, 0u);

  // The same spectrum under another path (a copy) is recognised by its SPECOBJID.
  fs::create_directories(tmp.path() / "copy");
  fs::copy_file(test::real_spec_files()[0], tmp.path() / "copy" / test::real_spec_files()[0].filename());
  const auto copy = ingest(options(store_dir, {(tmp.path() / "copy").string()}));
  EXPECT_EQ(copy.ingested, 0u);
  EXPECT_EQ(copy.skipped, 1u);
  const auto rep = verify_store(store_dir, false);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.spectra, 10u);
}

TEST(Ingest, AnotherContextLinksInsteadOfCopying) {
  test::temp_dir tmp;
  const auto store_dir = tmp.path() / "store";
  ingest(options(store_dir, {test::shared_spectra().string()}, "sdss_dr16"));
  const auto dr17 = ingest(options(store_dir, {test::shared_spectra().string()}, "sdss_dr17"));
  EXPECT_EQ(dr17.linked, 10u);
  EXPECT_EQ(dr17.blocks, 0u);
  store st(store_dir, store::access::read);
  const auto ctx = st.catalog().contexts();
  ASSERT_EQ(ctx.size(), 2u);
  EXPECT_EQ(ctx[0].with_pixels, 10);
  EXPECT_EQ(ctx[1].with_pixels, 10);
  const auto rep = verify_store(store_dir, false);
  EXPECT_TRUE(rep.ok());
  EXPECT_EQ(rep.rows, 20u);
  EXPECT_EQ(rep.spectra, 10u);
}

TEST(Ingest, CorruptFilesAreReportedAndSkipped) {
  test::temp_dir tmp;
  const auto in = tmp.path() / "in";
  fs::create_directories(in);
  for (const auto& f : test::real_spec_files()) fs::copy_file(f, in / f.filename());
  std::ofstream(in / "spec-0001-50001-0001.fits") << "this is not a FITS file\n";
  {
    const auto src = test::real_spec_files()[3];
    std::ifstream s(src, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(s)), {});
    std::ofstream(in / "spec-0002-50002-0002.fits", std::ios::binary) << bytes.substr(0, bytes.size() / 2 + 1000);
  }
  std::ofstream(in / "notes.txt") << "not a spec file name: never opened\n";
  const auto sum = ingest(options(tmp.path() / "store", {in.string()}));
  EXPECT_EQ(sum.files, 12u);
  EXPECT_EQ(sum.ingested, 10u);
  EXPECT_EQ(sum.failed, 2u);
  ASSERT_EQ(sum.failures.size(), 2u);
  for (const auto& f : sum.failures) EXPECT_FALSE(f.reason.empty());
}

TEST(Ingest, CatalogRowsOverrideAndCatalogOnlyRowsHaveNoPixels) {
  test::temp_dir tmp;
  auto opts = options(tmp.path() / "store", {test::shared_spectra().string()});
  opts.catalog = fs::path(SPECMILL_SHARED_DATA) / "catalogs" / "spAll-plate3655.fits";
  const auto sum = ingest(opts);
  EXPECT_EQ(sum.catalog_rows, 93u);
  EXPECT_EQ(sum.ingested, 10u);
  store st(tmp.path() / "store", store::access::read);
  const auto ctx = st.catalog().contexts();
  ASSERT_EQ(ctx.size(), 1u);
  EXPECT_EQ(ctx[0].spectra, 93 + 6);  // 93 catalog rows (4 of them with files) + 6 other files
  EXPECT_EQ(ctx[0].with_pixels, 10);
  const auto e = st.catalog().lookup("sdss_dr16", 9367, 57758, 538);
  ASSERT_TRUE(e && e->location);
  EXPECT_EQ(e->meta.specobjid, 10546452441867767808ull);
}

TEST(Ingest, RejectsBadArguments) {
  test::temp_dir tmp;
  EXPECT_THROW(ingest(options(tmp.path() / "store", {})), invalid_argument);
  EXPECT_THROW(ingest(options(tmp.path() / "store", {(tmp.path() / "missing").string()})), not_found);
  EXPECT_THROW(store(tmp.path() / "nostore", store::access::read), not_found);
}

TEST(Ingest, OneWriterAtATime) {
  test::temp_dir tmp;
  store writer(tmp.path() / "store", store::access::write);
  EXPECT_THROW(store(tmp.path() / "store", store::access::write), io_error);
}
