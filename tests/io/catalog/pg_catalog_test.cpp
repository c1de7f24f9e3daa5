// The PostgreSQL catalog backend against the SQLite one it is exported from: the throwaway
// cluster of the test harness itself, every catalog_reader question answered alike (contexts,
// blocks, lookups, located rows in order, the locator, registered catalogs), strings with the
// bytes COPY must escape, and the lexical guard of user constraints (pg_guard).
#include <gtest/gtest.h>

#include <random>

#include "common/pg_cluster.hpp"
#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "io/catalog/catalog_db.hpp"
#include "io/catalog/pg.hpp"
#include "io/catalog/pg_catalog.hpp"
#include "io/catalog/pg_export.hpp"
#include "io/catalog/pg_guard.hpp"

namespace specmill {
namespace {

using test_support::pg_database;

// Two contexts; rows with and without pixels, several epochs of one plate-mjd-fiber, odd
// strings, IDs >= 2^63, a position without a valid HEALPix pixel.
void fill(catalog_db& cat) {
  auto tx = cat.transaction();
  cat.ensure_context("sdss_dr16", "the main one");
  cat.ensure_context("other", "tab\tnew\nline back\\slash 'quote' \"dq\" ünï");
  cat.insert_block({1, "blocks/blk-00000001.h5", 40, 3500, 4000, 123456});
  cat.insert_block({2, "blocks/blk-00000002.h5", 20, 3600, 3900, 654321});
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  for (int i = 0; i < 300; ++i) {
    spec_meta m;
    m.plate = 1000 + i % 7;
    m.mjd = 55000 + i % 3;
    m.fiberid = 1 + i % 50;
    m.specobjid = (i % 5 == 0 ? (uint64_t(1) << 63) : 0) + uint64_t(1000 + i);
    m.run2d = i % 2 ? "v5_13_0" : "26";
    m.plug_ra = 360 * u(rng);
    m.plug_dec = i == 7 ? 95.0 : -90 + 180 * u(rng);
    m.z = float(u(rng) * 3);
    m.class_name = i % 3 ? "GALAXY" : "QSO";
    m.subclass = i % 11 ? "" : "odd\\\t|\"sub\"";
    m.specprimary = i % 4 != 0;
    m.thing_id = i % 9 ? i : -1;
    const std::string ctx = i % 10 == 0 ? "other" : "sdss_dr16";
    if (i < 60)
      cat.put_spectrum(ctx, m, {1 + i / 40, int32_t(i % 40), 3500 + i, 3800 + i});
    else
      cat.put_catalog_row(ctx, m);
  }
  tx.commit();
}

struct exported {
  test_support::temp_dir dir;
  catalog_db sqlite{dir / "catalog.sqlite", sqlite_db::mode::read_write};
  pg_database db;
  exported() {
    fill(sqlite);
    const auto sum = export_to_postgres(sqlite, db.url());
    EXPECT_EQ(sum.tables.size(), 5u);
  }
};

void expect_same(const std::optional<catalog_entry>& a, const std::optional<catalog_entry>& b) {
  ASSERT_EQ(a.has_value(), b.has_value());
  if (!a) return;
  EXPECT_EQ(a->context, b->context);
  EXPECT_EQ(a->meta.specobjid, b->meta.specobjid);
  EXPECT_EQ(a->meta.run2d, b->meta.run2d);
  EXPECT_EQ(a->meta.plug_ra, b->meta.plug_ra);  // bit for bit: COPY carries shortest round-trip text
  EXPECT_EQ(a->meta.plug_dec, b->meta.plug_dec);
  EXPECT_EQ(a->meta.z, b->meta.z);
  EXPECT_EQ(a->meta.class_name, b->meta.class_name);
  EXPECT_EQ(a->meta.subclass, b->meta.subclass);
  EXPECT_EQ(a->meta.specprimary, b->meta.specprimary);
  EXPECT_EQ(a->meta.thing_id, b->meta.thing_id);
  ASSERT_EQ(a->location.has_value(), b->location.has_value());
  if (a->location) {
    EXPECT_EQ(a->location->block_id, b->location->block_id);
    EXPECT_EQ(a->location->row, b->location->row);
    EXPECT_EQ(a->location->lattice_start, b->location->lattice_start);
    EXPECT_EQ(a->location->npix, b->location->npix);
  }
}

TEST(PgCluster, ThrowawayClusterIsUnprivilegedSocketOnlyWithQ3c) {
  SPECMILL_REQUIRE_PG();
  pg_database db;
  pg_connection c(db.url());
  EXPECT_EQ(c.exec("SHOW listen_addresses").text(0, 0), "");  // no TCP port
  EXPECT_EQ(c.exec("SELECT extname FROM pg_extension WHERE extname = 'q3c'").rows(), 1);
  EXPECT_NEAR(c.exec("SELECT q3c_dist(0, 0, 0, 1)").f64(0, 0), 1.0, 1e-12);
  // The data directory belongs to the unprivileged user that runs the server, never root.
  EXPECT_NE(c.exec("SELECT current_setting('data_directory')").text(0, 0), "");
  EXPECT_EQ(c.exec("SELECT rolname FROM pg_roles WHERE oid = 10").text(0, 0), "postgres");
}

TEST(PgCatalog, AnswersAsTheSqliteCatalogItWasExportedFrom) {
  SPECMILL_REQUIRE_PG();
  exported e;
  pg_catalog pg(e.db.url());
  catalog_db& lite = e.sqlite;
  EXPECT_EQ(pg.backend(), "postgresql");
  EXPECT_EQ(pg.version(), lite.version());

  const auto ca = lite.contexts(), cb = pg.contexts();
  ASSERT_EQ(ca.size(), 2u);
  ASSERT_EQ(cb.size(), ca.size());
  for (size_t i = 0; i < ca.size(); ++i) {
    EXPECT_EQ(cb[i].name, ca[i].name);
    EXPECT_EQ(cb[i].description, ca[i].description);  // tab, newline, backslash survive COPY
    EXPECT_EQ(cb[i].spectra, ca[i].spectra);
    EXPECT_EQ(cb[i].with_pixels, ca[i].with_pixels);
  }
  EXPECT_TRUE(pg.has_context("other"));
  EXPECT_FALSE(pg.has_context("nope"));

  const auto ba = lite.blocks(), bb = pg.blocks();
  ASSERT_EQ(bb.size(), 2u);
  for (size_t i = 0; i < ba.size(); ++i) {
    EXPECT_EQ(bb[i].block_id, ba[i].block_id);
    EXPECT_EQ(bb[i].path, ba[i].path);
    EXPECT_EQ(bb[i].bytes, ba[i].bytes);
  }

  for (int i = 0; i < 300; i += 3) {
    const uint64_t id = (i % 5 == 0 ? (uint64_t(1) << 63) : 0) + uint64_t(1000 + i);
    for (const char* ctx : {"sdss_dr16", "other"}) expect_same(pg.lookup(ctx, id), lite.lookup(ctx, id));
    const auto pa = lite.find_pixels(id), pb = pg.find_pixels(id);
    ASSERT_EQ(pa.has_value(), pb.has_value()) << i;
    if (pa) {
      EXPECT_EQ(pa->row, pb->row);
    }
  }
  for (int plate = 1000; plate < 1007; ++plate) {
    for (int fiber = 1; fiber <= 50; fiber += 7) {
      for (int mjd = 55000; mjd < 55003; ++mjd)
        expect_same(pg.lookup("sdss_dr16", plate, mjd, fiber), lite.lookup("sdss_dr16", plate, mjd, fiber));
    }
  }

  std::vector<catalog_entry> la, lb;
  lite.for_each_located("", [&](const catalog_entry& x) { la.push_back(x); });
  pg.for_each_located("", [&](const catalog_entry& x) { lb.push_back(x); });
  ASSERT_EQ(la.size(), 60u);
  ASSERT_EQ(lb.size(), la.size());
  for (size_t i = 0; i < la.size(); ++i) expect_same(lb[i], la[i]);
  lb.clear();
  pg.for_each_located("other", [&](const catalog_entry& x) { lb.push_back(x); });
  EXPECT_EQ(lb.size(), 6u);

  const auto loc_a = lite.locator("sdss_dr16"), loc_b = pg.locator("sdss_dr16");
  for (int i = 0; i < 300; i += 7) {
    const uint64_t id = (i % 5 == 0 ? (uint64_t(1) << 63) : 0) + uint64_t(1000 + i);
    expect_same(loc_b->find(id), loc_a->find(id));
    expect_same(loc_b->find(1000 + i % 7, 55000 + i % 3, 1 + i % 50), loc_a->find(1000 + i % 7, 55000 + i % 3, 1 + i % 50));
  }
  for (int plate = 1000; plate < 1007; ++plate) {
    EXPECT_EQ(loc_b->expand(plate, std::nullopt, 1, 1000), loc_a->expand(plate, std::nullopt, 1, 1000));
    EXPECT_EQ(loc_b->expand(plate, 55001, 3, 30), loc_a->expand(plate, 55001, 3, 30));
  }
  EXPECT_FALSE(loc_a->expand(1000, std::nullopt, 1, 1000).empty());
  EXPECT_TRUE(pg.catalog_tables().empty());
}

TEST(PgCatalog, ExportReplacesAnEarlierOneAndTheReaderRoleOnlyReads) {
  SPECMILL_REQUIRE_PG();
  exported e;
  spec_meta m;
  m.plate = 4000;
  m.mjd = 56000;
  m.fiberid = 9;
  m.specobjid = 77;
  m.run2d = "v5_13_0";
  e.sqlite.put_catalog_row("sdss_dr16", m);
  export_to_postgres(e.sqlite, e.db.url());  // again, over the first export
  pg_catalog pg(e.db.url());
  EXPECT_TRUE(pg.lookup("sdss_dr16", 77).has_value());
  EXPECT_EQ(pg.contexts()[1].spectra, e.sqlite.contexts()[1].spectra);
  pg_connection c(e.db.url());
  c.exec(std::string("SET ROLE ") + pg_reader_role);
  EXPECT_EQ(c.exec("SELECT count(*) FROM specobj").i64(0, 0), c.exec("SELECT count(*) FROM specobjall WHERE specprimary = 1").i64(0, 0));
  try {
    c.exec("DELETE FROM specobjall");
    ADD_FAILURE() << "the reader role deleted rows";
  } catch (const pg_error& err) {
    EXPECT_EQ(err.sqlstate, "42501") << err.what();  // insufficient_privilege
  }
  try {
    c.exec("SELECT count(*) FROM blocks");
    ADD_FAILURE() << "the reader role read blocks";
  } catch (const pg_error& err) {
    EXPECT_EQ(err.sqlstate, "42501") << err.what();
  }
}

TEST(PgGuard, LexicalLayerRefusesWhatPostgresWouldReadDifferently) {
  // Allowed: ordinary expressions, casts, subqueries, arrays, the q3c functions.
  for (const char* ok : {"z > 2 AND class = 'QSO'", "ra::numeric(10, 2) > 1", "CAST(z AS real) < 3",
                         "specobjid IN (SELECT specobjid FROM specobjall WHERE z > 1)", "x = ANY(ARRAY[1, 2])",
                         "q3c_radial_query(ra, dec, 10, 20, 1)", "class = 'it''s pg_sleep(1)'", "coalesce(z, 0) > 1",
                         "\"class\" = 'STAR'", "specobjall.z > 1"})
    EXPECT_NO_THROW(check_pg_constraint(ok)) << ok;
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"pg_sleep(1) IS NULL", "system catalogs"},
      {"z > 1 -- x", "comments"},
      {"z > 1 /* x */", "comments"},
      {"z > 1; DROP TABLE x", "second statement"},
      {"z > $1", "'$'"},
      {"$q$x$q$ = 'x'", "'$'"},
      {"E'\\'' = 'x'", "escape string"},
      {"U&'\\0041' = 'A'", "escape string"},
      {"set_config('a', 'b', false) = ''", "set_config()"},
      {"\"set_config\"('a', 'b', false) = ''", "set_config()"},
      {"pg_catalog.now() > '2000-01-01'", "system catalogs"},
      {"public.lower(class) = 'x'", "schema-qualified"},
      {"(SELECT 1 FROM information_schema.tables LIMIT 1) = 1", "system catalogs"},
      {"class = 'unterminated", "unterminated"},
      {"x = `y`", "'`'"},
      {"dblink('host=evil', 'SELECT 1') IS NULL", "dblink()"},
  };
  for (const auto& [text, reason] : bad) {
    try {
      check_pg_constraint(text);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(reason), std::string::npos) << text << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace specmill
