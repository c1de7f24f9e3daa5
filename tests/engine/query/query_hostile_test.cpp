// Hostile SQL constraints against engine/query on a small store: each is refused (with the
// reason in the message) or stopped by the time limit, the catalog's bytes are unchanged
// afterwards, and the connection keeps working. Also bad sort columns and catalog names.
// Every test runs on both backends (query_backend.hpp); on PostgreSQL the database's tables,
// rows, roles and settings are compared before and after as well.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "core/error.hpp"
#include "engine/query/query.hpp"
#include "engine/sample/sample_catalog.hpp"
#include "io/catalog/catalog_db.hpp"
#include "engine/store_fixture.hpp"
#include "engine/query/query_backend.hpp"
#include "io/catalog/pg.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

struct small_store {
  test::temp_dir tmp;
  fs::path root = tmp.path() / "store";
  small_store() {
    sample_catalog_options o;
    o.rows = 10000;
    ensure_sample_catalog_store(root, o);
  }
};

// A missing file reads as empty: a reader may create an empty WAL (SQLite does so for a
// read-only connection in a writable directory); no frames either way.
std::string bytes_of(const fs::path& p) {
  if (!fs::exists(p)) return {};
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The catalog's bytes, and its WAL's (the data a reader sees is the file plus the WAL).
std::vector<std::string> snapshot(const fs::path& root) {
  return {bytes_of(root / "catalog.sqlite"), bytes_of(root / "catalog.sqlite-wal")};
}

struct hostile {
  std::string sql;
  std::string reason;  // expected in the message (SQLite)
  // On PostgreSQL: expected in the message; empty: the same as on SQLite (the shared first
  // layer, check_where_clause, refuses it); "*": PostgreSQL may run it (harmless there: a deep
  // but finite expression, a 10 MB string) as long as nothing changes.
  std::string pg_reason = {};  // (a default: entries without it leave it empty, warning-free)
};

// What a constraint could change in the PostgreSQL catalog: every table and view of the schema
// with its rows (as text, hashed), the roles, and the settings of a fresh connection.
std::string pg_snapshot(const std::string& url) {
  pg_connection c(url);
  std::string out;
  const auto tables = c.exec(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() ORDER BY 1");
  for (int i = 0; i < tables.rows(); ++i) {
    const std::string t = pg_connection::quote_identifier(tables.text(i, 0));
    out += std::string(tables.text(i, 0)) + ":" +
           std::string(c.exec("SELECT count(*) || '/' || md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) "
                              "FROM " + t + " x").text(0, 0)) + "\n";
  }
  out += c.exec("SELECT string_agg(rolname || rolsuper::text || rolcanlogin::text, ',' ORDER BY rolname) FROM pg_roles")
             .text(0, 0);
  out += c.exec("SELECT string_agg(name || '=' || setting, ',' ORDER BY name) FROM pg_settings").text(0, 0);
  return out;
}

const std::vector<hostile>& hostile_constraints() {
  static const std::vector<hostile> h = {
      {"1; DROP TABLE specobjall", "second statement"},
      {"1 = 1; UPDATE specobjall SET z = 0", "second statement"},
      {"1) OR (1", "unbalanced parentheses"},
      {"z > 0) UNION SELECT sql FROM sqlite_master WHERE (1", "unbalanced parentheses"},
      {"(z > 0", "unbalanced parentheses"},
      {"z > 0 -- comment", "comments"},
      {"z > 0 /* */", "comments"},
      {"1) /*", "unbalanced parentheses"},
      {"1 /*", "comments"},
      {"ATTACH DATABASE '/tmp/specmill-evil.db' AS evil", "syntax error", "syntax error"},
      {"PRAGMA writable_schema = 1", "syntax error"},
      {"(SELECT count(*) FROM pragma_table_info('specobjall')) > 0", "table-valued functions", "function pragma_table_info() is not allowed"},
      {"(SELECT count(*) FROM ingested_files) > 0", "reading table 'ingested_files'", "does not exist"},
      {"(SELECT count(*) FROM main.ingested_files) > 0", "reading table 'ingested_files'", "does not exist"},
      {"(SELECT count(*) FROM sqlite_master) > 0", "reading table 'sqlite_master'", "does not exist"},
      {"(SELECT count(*) FROM temp.sqlite_master) >= 0", "reading table", "does not exist"},
      {"(SELECT count(*) FROM blocks WHERE block_id IN (SELECT block_id FROM specobjall)) >= 0", "reading table 'blocks'",
       "permission denied for table blocks"},
      {"(SELECT name FROM catalogs LIMIT 1) IS NOT NULL", "reading table 'catalogs'", "permission denied for table catalogs"},
      {"(SELECT value FROM store_info) IS NOT NULL", "reading table 'store_info'", "permission denied for table store_info"},
      {"load_extension('/tmp/specmill-evil.so') IS NULL", "function load_extension()", "function load_extension() is not allowed"},
      {"EXISTS (WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x FROM r WHERE x < 0)",
       "recursive WITH"},
      {"length(randomblob(1000000000)) > 0", "function randomblob()"},
      {"length(zeroblob(1000000000)) > 0", "function zeroblob()"},
      {"writefile('/tmp/specmill-evil', 'x') = 1", "unknown function writefile()", "function writefile() is not allowed"},
      {"readfile('/etc/passwd') IS NOT NULL", "unknown function readfile()", "function readfile() is not allowed"},
      {"sqlite_version() <> ''", "function sqlite_version()"},
      {"random() > 0", "function random()", "function random() is not allowed"},
      {"date('now') > ''", "function date()", "function date() is not allowed"},
      {"json_extract('{}', '$') IS NULL", "function json_extract()"},
      {"(SELECT group_concat(class) FROM specobjall) <> ''", "function group_concat()"},
      {"(INSERT INTO specobjall DEFAULT VALUES) IS NULL", "syntax error"},
      {"DELETE FROM specobjall", "syntax error"},
      {"CREATE TEMP TABLE t(x)", "syntax error"},
      {"REPLACE INTO specobjall(context) VALUES('x')", "syntax error"},
      {"VACUUM", "unknown column 'VACUUM'", "column \"vacuum\" does not exist"},
      {std::string("z > 0\0; DROP TABLE specobjall", 29), "NUL byte"},
      {"class = 'QSO", "unterminated string literal"},
      {"class = \"QSO", "unterminated quoted name"},
      {"z \xef\xbc\x9e 0", "syntax error"},                              // fullwidth '>'
      {"class = 'QSO'\xef\xbc\x9b DROP TABLE specobjall", "syntax error"},  // fullwidth ';'
      {"z > 0 \xff", "not valid UTF-8"},
      {"z > 0 \xc0\xbb", "not valid UTF-8"},  // overlong ';'
      {"z > ?", "SQL parameters", "syntax error"},
      {"z > :x", "SQL parameters", "syntax error"},
      {"z > $x", "SQL parameters"},
      {"foo > 1", "unknown column 'foo'", "column \"foo\" does not exist"},
      {"z >", "syntax error"},
      {std::string(300, '(') + "1" + std::string(300, ')'), "stack overflow", "*"},
      {[] {
         std::string e = "1";
         for (int i = 0; i < 600; ++i) e += "+1";  // an expression tree 600 deep
         return e;
       }(),
       "too large", "*"},
      {std::string(20000, ' ') + "1", "longer than 10000 bytes"},
      {[] {
         std::string e = "'aaaaaaaaaa'";  // 10^7 bytes after six rounds: past SQLITE_LIMIT_LENGTH
         for (int i = 0; i < 6; ++i) e = "replace(" + e + ", 'a', 'aaaaaaaaaa')";
         return "length(" + e + ") > 0";
       }(),
       "too big", "*"},
      // printf/format build their padding in one call that no time limit interrupts (one
      // printf('%.*c', 1000000000, 'x') a row ran 445 s against a 5 s limit): not allowed.
      {"printf('%.*c', 1000000000, 'x') <> ''", "not allowed"},
      {"format('%.*c', 1000000000, 'x') <> ''", "not allowed"},
      {"abs(-9223372036854775808) > 0", "integer overflow", "out of range"},
      // PostgreSQL's own ways out of a WHERE clause: each refused before the server sees it, or
      // by the server (privileges, read-only transaction).
      {"pg_sleep(100) IS NULL", "unknown function pg_sleep()", "system catalogs are not allowed"},
      {"(SELECT count(*) FROM pg_catalog.pg_authid) > 0", "unknown table", "system catalogs are not allowed"},
      {"(SELECT count(*) FROM information_schema.tables) > 0", "unknown table", "system catalogs are not allowed"},
      {"set_config('default_transaction_read_only', 'off', false) IS NOT NULL", "unknown function set_config()",
       "function set_config() is not allowed"},
      {"current_setting('data_directory') <> ''", "unknown function current_setting()",
       "function current_setting() is not allowed"},
      {"lo_import('/etc/passwd') > 0", "unknown function lo_import()", "function lo_import() is not allowed"},
      {"E'\\'' = '' OR 1 = 1", "unterminated string literal"},
      {"class <> E'\\\\x'", "syntax error", "escape string literals"},  // backslash escapes: read differently by the server
      {"$$x$$ = 'x'", "SQL parameters", "dollar quoting"},
      {"(SELECT count(*) FROM generate_series(1, 1000000000)) > 0", "unknown table 'generate_series'",
       "function generate_series() is not allowed"},
      {"\"pg_sleep\"(10) IS NULL", "unknown function pg_sleep()", "system catalogs are not allowed"},
      {"public.specobjall.z > 0", "unknown column", "*"},  // PostgreSQL: the same table, harmless
  };
  return h;
}

std::string refusal(catalog_query& q, query_request r) {
  try {
    q.run(r);
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

class QueryHostile : public test::backend_test {
 protected:
  std::string snapshot_db() const { return pg() ? pg_snapshot(*catalog_url(root_)) : ""; }
  fs::path root_;
};

}  // namespace

TEST_P(QueryHostile, EveryHostileConstraintIsRefusedAndTheCatalogIsUnchanged) {
  small_store s;
  root_ = s.root;
  catalog_query q(on_backend(s.root));
  const auto before = snapshot(s.root);
  const auto before_db = snapshot_db();
  ASSERT_GE(hostile_constraints().size(), 20u);
  for (const auto& h : hostile_constraints()) {
    for (bool region : {false, true}) {
      query_request r;
      r.constraint = h.sql;
      if (region) r.region = sky_region::cone(10, 10, 30);
      const std::string msg = refusal(q, r);
      const std::string& reason = pg() && !h.pg_reason.empty() ? h.pg_reason : h.reason;
      if (reason != "*") {
        EXPECT_NE(msg.find(reason), std::string::npos) << "constraint: " << h.sql.substr(0, 100) << "\nmessage: " << msg;
      }
    }
    // The connection still answers a good query after each refusal.
    query_request ok;
    ok.constraint = "z > 3.9";
    EXPECT_FALSE(q.run(ok).empty()) << h.sql;
  }
  const auto after = snapshot(s.root);
  EXPECT_TRUE(after[0] == before[0]) << "catalog.sqlite changed: " << before[0].size() << " -> " << after[0].size();
  EXPECT_TRUE(after[1] == before[1]) << "catalog.sqlite-wal changed: " << before[1].size() << " -> " << after[1].size();
  EXPECT_TRUE(snapshot_db() == before_db) << "the PostgreSQL catalog changed";
}

// Strings stay strings: SQL inside a literal is data, and a subquery over the catalog's own
// tables is allowed.
TEST_P(QueryHostile, InjectionInsideLiteralsIsInert) {
  small_store s;
  catalog_query q(on_backend(s.root));
  query_request r;
  r.constraint = "class = 'QSO'' OR 1=1 --' OR class = \"class\" || ');DROP TABLE specobjall;--'";
  EXPECT_TRUE(q.run(r).empty());
  // chr() is PostgreSQL's char().
  r.constraint = std::string("specobjid IN (SELECT specobjid FROM specobjall WHERE z > 3.9) AND class <> ") +
                 (pg() ? "chr(39)" : "char(39)");
  const auto rows = q.run(r);
  r.constraint = "z > 3.9";
  EXPECT_EQ(q.run(r).size(), rows.size());
  EXPECT_FALSE(rows.empty());
}

TEST_P(QueryHostile, RunawayQueriesStopAtTheTimeLimit) {
  small_store s;
  root_ = s.root;
  const auto before = snapshot(s.root);
  catalog_query q(on_backend(s.root));
  const auto before_db = snapshot_db();
  query_request r;
  r.constraint = "(SELECT count(*) FROM specobjall a, specobjall b, specobjall c) > 0";
  r.time_limit_s = 0.3;
  const auto t0 = std::chrono::steady_clock::now();
  try {
    q.run(r);
    ADD_FAILURE() << "not stopped";
  } catch (const time_limit_exceeded& e) {
    EXPECT_NE(std::string(e.what()).find("time limit of 0.3 s"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 3.0);
  // The same with a region, and the connection is usable afterwards.
  r.region = sky_region::cone(0, 0, 90);
  EXPECT_THROW(q.run(r), time_limit_exceeded);
  r.constraint = "z > 3.9";
  EXPECT_FALSE(q.run(r).empty());
  EXPECT_TRUE(snapshot(s.root) == before);
  EXPECT_TRUE(snapshot_db() == before_db);
}

TEST_P(QueryHostile, SortColumnsAndCatalogNamesAreValidated) {
  small_store s;
  catalog_query q(on_backend(s.root));
  query_request r;
  r.constraint = "z > 3.9";
  // Sort keys are "col [ASC|DESC], ...": each name checked against the columns, each direction
  // one of two words; anything else is refused before SQL sees it.
  for (const char* bad : {"z; DROP TABLE specobjall", "nope", "specobjall.z", "z sideways", "z DESC; DROP TABLE x",
                          "z DESC extra", "z, nope", "\"z\" DESC --"}) {
    r.sort = bad;
    const std::string msg = refusal(q, r);
    EXPECT_TRUE(msg.find("unknown sort column") != std::string::npos || msg.find("sort: expected") != std::string::npos)
        << bad << ": " << msg;
  }
  r.sort = "Z";  // column names are case-insensitive, as in SQL
  const auto up = q.run(r);
  EXPECT_FALSE(up.empty());
  r.sort = "\"z\" DESC";
  const auto down = q.run(r);
  ASSERT_EQ(down.size(), up.size());
  EXPECT_EQ(down.front().specobjid, up.back().specobjid);
  r.sort.clear();
  for (const char* bad : {"ingested_files", "specobjall", "x\"; DROP TABLE specobjall; --", "sqlite_master"}) {
    r.catalog = bad;
    const std::string msg = refusal(q, r);
    EXPECT_NE(msg.find("unknown catalog"), std::string::npos) << bad << ": " << msg;
  }
  r.catalog.clear();
  r.limit = -1;
  EXPECT_NE(refusal(q, r).find("limit"), std::string::npos);
}

INSTANTIATE_BACKENDS(QueryHostile);
