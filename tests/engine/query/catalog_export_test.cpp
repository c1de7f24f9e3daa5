// `specmill catalog export` and `specmill store set-catalog` end to end, through the binary:
// a store of the real SDSS files (and the spAll subset as a registered catalog) answers every
// read command byte for byte the same from its SQLite catalog and from the PostgreSQL copy
// (query, get, get --align, stack, photometry, image); switching back to SQLite works, and a
// database that holds another catalog is refused.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "common/pg_cluster.hpp"
#include "engine/store/catalog_setting.hpp"
#include "engine/store_fixture.hpp"

namespace fs = std::filesystem;

namespace {

int sh(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string bytes_of(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string q(const std::string& s) { return "'" + s + "'"; }

}  // namespace

TEST(CatalogExport, EveryReadCommandAnswersAlikeFromSqliteAndPostgres) {
  SPECMILL_REQUIRE_PG();
  specmill::test::temp_dir tmp;
  specmill::test_support::pg_database db("export");
  const std::string bin = SPECMILL_BIN;
  const fs::path store = tmp.path() / "store";
  const std::string data = SPECMILL_SHARED_DATA;
  ASSERT_EQ(sh(q(bin) + " -q ingest --store " + q(store) + " --catalog " + q(data + "/catalogs/spAll-plate3655.fits") +
               " -j 2 " + q(data + "/spectra")), 0);
  ASSERT_EQ(sh(q(bin) + " -q catalog add --store " + q(store) + " --name spall " +
               q(data + "/catalogs/spAll-plate3655.fits") + " > /dev/null"), 0);
  // Before any export: the database holds no catalog of this store.
  EXPECT_NE(sh(q(bin) + " -q store set-catalog --store " + q(store) + " " + q(db.url()) + " 2> /dev/null"), 0);
  EXPECT_FALSE(specmill::catalog_url(store).has_value());
  ASSERT_EQ(sh(q(bin) + " -q catalog export --store " + q(store) + " --postgres " + q(db.url()) + " > /dev/null"), 0);
  ASSERT_EQ(sh(q(bin) + " -q query --store " + q(store) + " --all --with-pixels --constraint 1=1 -o " + q(tmp / "ids.txt")), 0);

  const std::vector<std::pair<std::string, std::string>> commands = {
      {"query.csv", "query --store S --all --constraint 1=1 --format csv --sort 'class desc, z' -o OUT"},
      {"cone.json", "query --store S --all --cone 169.5,49.3,3 --constraint \"z > 0.1 AND class <> 'STAR'\" "
                    "--format json --limit 7 --offset 2 -o OUT"},
      {"poly.csv", "query --store S --polygon 168,48,172,48,172,52,168,52 --format csv --sort subclass -o OUT"},
      {"spall.csv", "query --store S --catalog spall --cone 169.5,49.3,3 --format csv --sort 'z desc' -o OUT"},
      {"get.npz", "get --store S --ids IDS -o OUT"},
      {"aligned.csv", "get --store S --ids IDS --align --format csv -o OUT"},
      {"stack.npz", "stack --store S --ids IDS -o OUT"},
      {"phot.csv", "photometry --store S --ids IDS -o OUT"},
      {"image.png", "image --store S --ids IDS -o OUT"},
  };
  auto run_all = [&](const std::string& tag) {
    for (const auto& [name, args] : commands) {
      std::string a = args;
      a.replace(a.find(" S "), 3, " " + q(store) + " ");
      if (a.find("IDS") != std::string::npos) a.replace(a.find("IDS"), 3, q(tmp / "ids.txt"));
      a.replace(a.find("OUT"), 3, q(tmp / (tag + "." + name)));
      EXPECT_EQ(sh(q(bin) + " -q " + a), 0) << a;
    }
  };
  run_all("sqlite");
  ASSERT_EQ(sh(q(bin) + " -q store set-catalog --store " + q(store) + " " + q(db.url()) + " > /dev/null"), 0);
  ASSERT_EQ(specmill::catalog_url(store), db.url());
  EXPECT_EQ(fs::status(store / "catalog.url").permissions() & fs::perms::others_read, fs::perms::none);
  run_all("pg");
  for (const auto& [name, args] : commands) {
    const auto a = bytes_of(tmp / ("sqlite." + name)), b = bytes_of(tmp / ("pg." + name));
    EXPECT_GT(a.size(), 20u) << name;
    EXPECT_TRUE(a == b) << name << ": " << a.size() << " vs " << b.size() << " bytes";
  }
  // The PostgreSQL copy is what answers: a row deleted there is gone from the store's queries.
  {
    specmill::pg_connection c(db.url());
    c.exec("DELETE FROM specobjall WHERE class = 'STAR'");
  }
  ASSERT_EQ(sh(q(bin) + " -q query --store " + q(store) + " --all --constraint 1=1 --format csv --sort 'class desc, z' -o " +
               q(tmp / "after.csv")), 0);
  EXPECT_LT(bytes_of(tmp / "after.csv").size(), bytes_of(tmp / "sqlite.query.csv").size());
  // And back to SQLite.
  ASSERT_EQ(sh(q(bin) + " -q store set-catalog --store " + q(store) + " sqlite > /dev/null"), 0);
  EXPECT_FALSE(specmill::catalog_url(store).has_value());
  ASSERT_EQ(sh(q(bin) + " -q query --store " + q(store) + " --all --constraint 1=1 --format csv --sort 'class desc, z' -o " +
               q(tmp / "back.csv")), 0);
  EXPECT_TRUE(bytes_of(tmp / "back.csv") == bytes_of(tmp / "sqlite.query.csv"));
  EXPECT_NE(sh(q(bin) + " -q store set-catalog --store " + q(store) + " mysql://x 2> /dev/null"), 0);
}
