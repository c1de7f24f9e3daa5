#include "engine/pipeline/id_list.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <sstream>

#include "common/store_setup.hpp"
#include "common/temp_dir.hpp"
#include "core/default_context.hpp"
#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/store/store.hpp"
#include "io/catalog/catalog_db.hpp"

using namespace specmill;

TEST(IdList, ParsesEveryForm) {
  auto a = parse_spectrum_id("299492975510054912");
  ASSERT_TRUE(a.specobjid);
  EXPECT_EQ(*a.specobjid, 299492975510054912ull);
  for (const char* text : {"266,51602,13", "266-51602-13", " 266 51602 13 ", "266, 51602, 13", "266\t51602\t13\r"}) {
    auto b = parse_spectrum_id(text);
    EXPECT_FALSE(b.specobjid) << text;
    EXPECT_EQ(b.plate, 266) << text;
    EXPECT_EQ(b.mjd, 51602) << text;
    EXPECT_EQ(b.fiberid, 13) << text;
  }
  auto neg = parse_spectrum_id("-7900291631841783808");
  ASSERT_TRUE(neg.specobjid);
  EXPECT_EQ(*neg.specobjid, 10546452441867767808ull);
}

TEST(IdList, DesiTargetSurveyProgram) {
  auto d = parse_spectrum_id("39627652591521181,main,dark");
  ASSERT_TRUE(d.desi);
  EXPECT_FALSE(d.specobjid);
  EXPECT_EQ(d.desi->targetid, 39627652591521181);
  EXPECT_EQ(d.desi->survey, "main");
  EXPECT_EQ(d.desi->program, "dark");
  EXPECT_EQ(parse_spectrum_id("7 sv1 other_1").desi->program, "other_1");
  // Survey and program are names: control bytes, quotes or punctuation make the line malformed
  // (fuzz_id_list found "2,n75\0\0..." accepted with NULs in the program).
  for (const std::string& bad : {std::string("2,n75,a\0b", 9), std::string("2,main,da\x01rk"), std::string("2,ma'in,dark"),
                                std::string("2,main,dark;"), std::string("9223372036854775808,main,dark")})
    EXPECT_THROW(parse_spectrum_id(bad), invalid_argument) << bad;
}

TEST(IdList, RejectsMalformedLinesWithTheLineNumber) {
  for (const char* bad : {"abc", "266,51602", "266,51602,13,4", "266,x,13", "0,51602,13", "1.5e3"})
    EXPECT_THROW(parse_spectrum_id(bad), invalid_argument) << bad;
  std::istringstream in("# comment\n\n266,51602,13\nbogus\n");
  try {
    read_id_list(in, "ids.txt");
    FAIL() << "no exception";
  } catch (const invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("ids.txt:4"), std::string::npos) << e.what();
  }
}

TEST(IdList, SkipsBlankAndCommentLines) {
  std::istringstream in("# header\n\n  \n299492975510054912\n# x\n266-51602-13\n");
  const auto ids = read_id_list(in, "x");
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_TRUE(ids[0].specobjid);
  EXPECT_EQ(ids[1].fiberid, 13);
}

// Six sample spectra ingested into <tmp>/store, blocks of 16: the store the ResolveIds tests read.
static std::filesystem::path six_spectrum_store(const test_support::temp_dir& tmp) {
  const auto root = tmp.path() / "store";
  test_support::ingest_into(root, test_support::write_sample_files(tmp.path() / "a", 6, 21), 16);
  return root;
}

// resolve_ids looks IDs up through one locator, which holds one SQLite read transaction (a
// savepoint) for its life and no longer: a store kept open, as each service thread keeps its
// own, sees what an ingest committed after an earlier resolve, and no transaction stays open.
TEST(ResolveIds, OneReadTransactionThatEndsWithTheCall) {
  using namespace specmill;
  test_support::temp_dir tmp;
  const auto root = six_spectrum_store(tmp);
  store st(root, store::access::read);
  sqlite3* db = st.sqlite_catalog().db().get();
  const auto all_ids = [&] {
    std::vector<spectrum_id> ids;
    store fresh(root, store::access::read);
    fresh.catalog().for_each_located(std::string(default_context), [&](const catalog_entry& e) {
      spectrum_id id;
      id.specobjid = e.meta.specobjid;
      id.text = std::to_string(e.meta.specobjid);
      ids.push_back(id);
    });
    return ids;
  };
  const auto found = [](const resolved_list& r) {
    return size_t(std::count_if(r.begin(), r.end(), [](const resolved_id& x) { return x.has_pixels(); }));
  };
  auto first = all_ids();
  ASSERT_EQ(first.size(), 6u);
  EXPECT_EQ(found(resolve_ids(st.catalog(), std::string(default_context), first)), 6u);
  EXPECT_NE(sqlite3_get_autocommit(db), 0) << "a transaction outlived resolve_ids";

  test_support::ingest_into(root, test_support::write_sample_files(tmp.path() / "b", 4, 22), 16);
  auto both = all_ids();
  ASSERT_EQ(both.size(), 10u);
  EXPECT_EQ(found(resolve_ids(st.catalog(), std::string(default_context), both)), 10u);
  EXPECT_NE(sqlite3_get_autocommit(db), 0);
}

// A plate-mjd-fiber ID is found through specobjall_pmf (SQLite's plan, as EXPLAIN QUERY PLAN
// prints it), not by searching the primary key on the context alone: that plan read every row of
// the context for each ID. Both readers of the lookup (the locator and catalog_db::lookup) take
// their FROM/WHERE from pmf_lookup_sql; the answers are checked against the same sample.
TEST(ResolveIds, PlateMjdFiberLookupsSearchTheirIndex) {
  using namespace specmill;
  test_support::temp_dir tmp;
  const auto root = six_spectrum_store(tmp);
  store st(root, store::access::read);
  sqlite_stmt plan(st.sqlite_catalog().db(), std::string("EXPLAIN QUERY PLAN SELECT specobjid ") + pmf_lookup_sql);
  plan.bind(1, std::string_view(default_context)).bind(2, 1).bind(3, 2).bind(4, 3);
  std::string steps;
  while (plan.step()) steps += plan.text(3) + "\n";
  EXPECT_NE(steps.find("USING INDEX specobjall_pmf (context=? AND plate=? AND mjd=? AND fiberid=?)"), std::string::npos)
      << steps;
  EXPECT_EQ(steps.find("PRIMARY KEY"), std::string::npos) << steps;

  std::vector<spectrum_id> ids;
  st.catalog().for_each_located(std::string(default_context), [&](const catalog_entry& e) {
    spectrum_id id;
    id.plate = e.meta.plate, id.mjd = e.meta.mjd, id.fiberid = e.meta.fiberid;
    id.text = std::to_string(e.meta.plate);
    ids.push_back(id);
    const auto direct = st.catalog().lookup(std::string(default_context), e.meta.plate, e.meta.mjd, e.meta.fiberid);
    ASSERT_TRUE(direct.has_value());
    EXPECT_EQ(direct->meta.specobjid, e.meta.specobjid);
  });
  ASSERT_EQ(ids.size(), 6u);
  const auto expected = ids;
  const auto r = resolve_ids(st.catalog(), std::string(default_context), ids);
  for (size_t i = 0; i < r.size(); ++i) {
    ASSERT_TRUE(r[i].has_pixels());
    EXPECT_EQ(r[i].plate(), expected[i].plate);
    EXPECT_EQ(r[i].fiberid(), expected[i].fiberid);
  }
}

// Issue 16: 32 bytes an entry, whatever the list holds. A list of every stored spectrum (by
// SPECOBJID and by plate-mjd-fiber), unknown IDs of every form and a catalog row without pixels;
// the entries keep each stored spectrum's location and keys (against catalog_db::lookup), and
// each entry without pixels the text its line gave.
TEST(ResolveIds, ThirtyTwoBytesAnEntryWithEveryField) {
  using namespace specmill;
  test_support::temp_dir tmp;
  const auto root = six_spectrum_store(tmp);
  store st(root, store::access::write);
  const std::string ctx(default_context);
  std::vector<catalog_entry> stored;
  st.catalog().for_each_located(ctx, [&](const catalog_entry& e) { stored.push_back(e); });
  ASSERT_EQ(stored.size(), 6u);
  // A catalog row without pixels: a seventh spectrum's metadata alone.
  spec_meta bare = stored[0].meta;
  bare.fiberid = 999;
  bare.specobjid = pack_specobjid({bare.plate, bare.mjd, bare.fiberid, run2d_code(bare.run2d)});
  {
    auto tx = st.sqlite_catalog().transaction();
    st.sqlite_catalog().put_catalog_row(ctx, bare);
    tx.commit();
  }
  std::vector<spectrum_id> ids;
  for (int rep = 0; rep < 500; ++rep)
    for (const auto& e : stored) {
      ids.push_back(parse_spectrum_id(std::to_string(e.meta.specobjid)));
      ids.push_back(parse_spectrum_id(std::to_string(e.meta.plate) + "-" + std::to_string(e.meta.mjd) + "-" +
                                      std::to_string(e.meta.fiberid)));
    }
  const std::vector<std::string> absent = {"12345", "266,51602,640", "7,sv1,dark", std::to_string(bare.specobjid)};
  for (const auto& t : absent) ids.push_back(parse_spectrum_id(t));
  const size_t n = ids.size();
  const resolved_list r = resolve_ids(st.catalog(), ctx, ids);
  ASSERT_EQ(r.size(), n);
  EXPECT_EQ(sizeof(resolved_id), 32u);
  // The entries, plus the four notes: each a string and, past its inline buffer, its text.
  size_t notes = 0;
  for (const auto& t : absent) notes += sizeof(std::string) + t.size() + 1;
  EXPECT_LE(r.bytes(), n * 32 + notes);
  for (size_t i = 0; i + absent.size() < n; ++i) {
    const catalog_entry& e = stored[(i / 2) % stored.size()];
    ASSERT_TRUE(r[i].has_pixels()) << i;
    EXPECT_EQ(r[i].specobjid(), e.meta.specobjid);
    EXPECT_EQ(r[i].plate(), e.meta.plate);
    EXPECT_EQ(r[i].mjd(), e.meta.mjd);
    EXPECT_EQ(r[i].fiberid(), e.meta.fiberid);
    EXPECT_EQ(r[i].z(), e.meta.z);
    EXPECT_EQ(r[i].block_id(), e.location->block_id);
    EXPECT_EQ(r[i].location().row, e.location->row);
    EXPECT_EQ(r[i].lattice_start(), e.location->lattice_start);
    EXPECT_EQ(r[i].npix(), e.location->npix);
  }
  for (size_t k = 0; k < absent.size(); ++k) {
    const resolved_id& x = r[n - absent.size() + k];
    EXPECT_FALSE(x.has_pixels());
    EXPECT_EQ(r.text(x), absent[k]);
  }
  EXPECT_EQ(r[n - 4].specobjid(), 12345u);  // the SPECOBJID asked for
  EXPECT_FALSE(r[n - 4].found());
  EXPECT_EQ(r.missing_text(r[n - 4]), "12345");
  EXPECT_TRUE(r[n - 1].found());  // the row without pixels
  EXPECT_EQ(r.missing_text(r[n - 1]), std::to_string(bare.specobjid) + " (catalog row without pixel data)");
  // Hidden (a rank's copy leaving out another's items): no pixels, still the same row.
  const resolved_id h = r[0].hidden();
  EXPECT_FALSE(h.has_pixels());
  EXPECT_TRUE(h.found());
  EXPECT_EQ(h.specobjid(), r[0].specobjid());
}

// DESI rows keep their plate (the HEALPix pixel) with no mjd or fiberid; a row whose keys are
// neither packed in its SPECOBJID nor a plate alone cannot be kept in 32 bytes: a data_error, not
// a silently wrong plate, mjd or fiberid.
TEST(ResolveIds, PlateAloneOrPackedElseDataError) {
  using namespace specmill;
  catalog_entry desi;
  desi.meta.specobjid = 39627652591521181ull;
  desi.meta.plate = 10032;
  desi.meta.z = 1.5f;
  desi.location = spectrum_location{3, 7, 100, 7781};
  const resolved_id d = resolved_id::from_entry(desi);
  EXPECT_EQ(d.plate(), 10032);
  EXPECT_EQ(d.mjd(), 0);
  EXPECT_EQ(d.fiberid(), 0);
  EXPECT_EQ(d.specobjid(), desi.meta.specobjid);
  EXPECT_EQ(d.keys().plate, 10032);
  EXPECT_EQ(d.z(), 1.5f);
  catalog_entry odd = desi;
  odd.meta.mjd = 55000;
  odd.meta.fiberid = 12;
  EXPECT_THROW(resolved_id::from_entry(odd), data_error);
  catalog_entry far = desi;
  far.location->block_id = int64_t(1) << 31;
  EXPECT_THROW(resolved_id::from_entry(far), data_error);
}
