// A store written by the previous build (catalog format 1, no HEALPix column) is still read by
// get/verify, refused by query with the way out named, and upgraded in place by any writer.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "engine/query/query.hpp"
#include "engine/store/store.hpp"
#include "io/catalog/catalog_db.hpp"
#include "io/catalog/healpix.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

// The format-1 schema as the previous build created it (io/catalog/catalog_db.cpp before the query work).
constexpr const char* format1_schema = R"sql(
CREATE TABLE store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE contexts(name TEXT PRIMARY KEY, description TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE blocks(block_id INTEGER PRIMARY KEY, path TEXT NOT NULL, n_spectra INTEGER NOT NULL,
  lattice_start INTEGER NOT NULL, n_pixels INTEGER NOT NULL, bytes INTEGER NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE specobjall(context TEXT NOT NULL, specobjid INTEGER NOT NULL,
  plate INTEGER NOT NULL, mjd INTEGER NOT NULL, fiberid INTEGER NOT NULL, run2d TEXT NOT NULL,
  ra REAL, dec REAL, plug_ra REAL, plug_dec REAL,
  z REAL, z_err REAL, zwarning INTEGER, class TEXT, subclass TEXT, sn_median_all REAL, specprimary INTEGER,
  spectroflux_u REAL, spectroflux_g REAL, spectroflux_r REAL, spectroflux_i REAL, spectroflux_z REAL,
  wavemin REAL, wavemax REAL, programname TEXT, objtype TEXT, thing_id INTEGER,
  block_id INTEGER, block_row INTEGER, lattice_start INTEGER, npix INTEGER,
  PRIMARY KEY(context, specobjid)) WITHOUT ROWID;
CREATE INDEX specobjall_specobjid ON specobjall(specobjid);
CREATE INDEX specobjall_pmf ON specobjall(context, plate, mjd, fiberid);
CREATE INDEX specobjall_location ON specobjall(block_id, block_row);
CREATE VIEW specobj AS SELECT * FROM specobjall WHERE specprimary = 1;
CREATE TABLE ingested_files(context TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL,
  mtime INTEGER NOT NULL, specobjid INTEGER NOT NULL, PRIMARY KEY(context, path)) WITHOUT ROWID;
INSERT INTO store_info VALUES('format_version', '1');
INSERT INTO contexts(name) VALUES('sdss_dr16');
INSERT INTO specobjall(context, specobjid, plate, mjd, fiberid, run2d, ra, dec, specprimary)
  VALUES('sdss_dr16', 299492975510054912, 266, 51602, 13, '26', 146.71421, -1.0413043, 1),
        ('sdss_dr16', -7900291631841783808, 9367, 57758, 538, 'v5_13_0', 35.5, 89.999, 1),
        ('sdss_dr16', 42, 1, 50000, 1, '26', NULL, NULL, 1);
)sql";

fs::path make_format1_store(const fs::path& root) {
  fs::create_directories(root / "blocks");
  sqlite_db db(root / "catalog.sqlite", sqlite_db::mode::read_write);
  db.exec(format1_schema);
  return root;
}

}  // namespace

TEST(CatalogUpgrade, Format1IsReadQueryAsksForTheUpgradeAndAWriterDoesIt) {
  test::temp_dir tmp;
  const auto root = make_format1_store(tmp.path() / "store");
  {
    store st(root, store::access::read);  // get, verify, info keep working
    EXPECT_EQ(st.catalog().version(), 1);
    EXPECT_FALSE(st.catalog().has_healpix_index());
    EXPECT_TRUE(st.catalog().lookup("sdss_dr16", 266, 51602, 13).has_value());
  }
  try {
    catalog_query q(root);
    ADD_FAILURE() << "query accepted a format-1 catalog";
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("specmill upgrade --store"), std::string::npos) << e.what();
  }
  {
    store st(root, store::access::write);  // what `specmill upgrade` and every writer do
    EXPECT_EQ(st.catalog().version(), catalog_db::format_version);
    sqlite_stmt hp(st.sqlite_catalog().db(), "SELECT specobjid, healpix FROM specobjall ORDER BY plate");
    ASSERT_TRUE(hp.step());
    EXPECT_TRUE(hp.is_null(1));  // no position, no pixel
    ASSERT_TRUE(hp.step());
    EXPECT_EQ(hp.i64(1), *healpix_index(146.71421, -1.0413043));
    ASSERT_TRUE(hp.step());
    EXPECT_EQ(hp.i64(1), *healpix_index(35.5, 89.999));
  }
  catalog_query q(root);
  query_request r;
  r.region = sky_region::cone(146.71421, -1.0413043, 0.001);
  const auto rows = q.run(r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].specobjid, 299492975510054912u);
  r.region = sky_region::cone(0, 90, 0.01);
  ASSERT_EQ(q.run(r).size(), 1u);
  EXPECT_EQ(q.run(r)[0].specobjid, 10546452441867767808u);
  // Upgrading again is a no-op.
  store st(root, store::access::write);
  EXPECT_EQ(st.catalog().version(), catalog_db::format_version);
}

TEST(CatalogUpgrade, NewerFormatsAreRefused) {
  test::temp_dir tmp;
  const auto root = make_format1_store(tmp.path() / "store");
  {
    sqlite_db db(root / "catalog.sqlite", sqlite_db::mode::read_write);
    db.exec("UPDATE store_info SET value = '99'");
  }
  EXPECT_THROW(store(root, store::access::read), data_error);
  EXPECT_THROW(store(root, store::access::write), data_error);
}
