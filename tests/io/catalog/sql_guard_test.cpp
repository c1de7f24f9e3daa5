// io/sql_guard: each of the two layers on its own. check_where_clause() on text; the guarded
// connection's authorizer on whole statements that the text check would never let through
// (so that a hole in one layer is still caught by the other).
#include "io/catalog/sql_guard.hpp"

#include <sqlite3.h>

#include <gtest/gtest.h>

#include "common/temp_dir.hpp"
#include "core/error.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

std::string text_error(std::string_view sql) {
  try {
    check_where_clause(sql);
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

struct guarded_db_fixture {
  test_support::temp_dir tmp;
  fs::path file = tmp.path() / "db.sqlite";
  guarded_db_fixture() {
    sqlite_db db(file, sqlite_db::mode::read_write);
    db.exec("CREATE TABLE t(x INTEGER, y TEXT); INSERT INTO t VALUES(1, 'a'), (2, 'b');"
            "CREATE TABLE secret(s TEXT); INSERT INTO secret VALUES('hidden');"
            "CREATE VIEW v AS SELECT * FROM t WHERE x > 1;");
  }
};

std::string prepare_error(guarded_connection& g, std::string_view sql) {
  try {
    g.prepare(sql, "test");
  } catch (const invalid_argument& e) {
    return e.what();
  }
  return "(accepted)";
}

}  // namespace

TEST(SqlGuard, TextCheckAcceptsExpressions) {
  for (const char* ok : {"z > 2 AND class = 'QSO'", "class = 'it''s'", "\"class\" = 'a;b--c/*d'", "[z] > (1 + (2))",
                         "`z` IN (1, 2)", "name LIKE 'x%'", "x = 'caf\xc3\xa9'", "x = '\xf0\x9f\x94\xad'"})
    EXPECT_EQ(text_error(ok), "(accepted)") << ok;
}

TEST(SqlGuard, TextCheckRefusesEscapes) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "empty"},
      {"   \n", "empty"},
      {"1; SELECT 2", "second statement"},
      {"1) OR (1", "')' at byte 2 closes nothing"},
      {"((1)", "1 '(' not closed"},
      {"1 -- x", "comments"},
      {"1 /* x */", "comments"},
      {"'abc", "unterminated string literal starting at byte 1"},
      {"x = 'a''", "unterminated string literal"},
      {"\"x", "unterminated quoted name"},
      {"[x", "unterminated quoted name"},
      {"`x", "unterminated quoted name"},
      {std::string("1\0", 2), "NUL byte"},
      {"x = '\x80'", "not valid UTF-8"},
      {"x = '\xed\xa0\x80'", "not valid UTF-8"},  // a UTF-16 surrogate
      {"x = '\xe0\x80\xbb'", "not valid UTF-8"},  // overlong
      {std::string(10001, '1'), "longer than 10000 bytes"},
  };
  for (const auto& [sql, why] : cases) EXPECT_NE(text_error(sql).find(why), std::string::npos) << sql << ": " << text_error(sql);
}

TEST(SqlGuard, AuthorizerAllowsOnlyReadsOfNamedTables) {
  guarded_db_fixture f;
  guarded_connection g(f.file);
  g.allow_table("t");
  g.allow_table("v");
  auto st = g.prepare("SELECT x FROM t WHERE abs(x) >= 1 AND y IN (SELECT y FROM v)", "test");
  int rows = 0;
  while (g.step(st)) ++rows;
  EXPECT_EQ(rows, 1);
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"SELECT s FROM secret", "reading table 'secret'"},
      {"SELECT count(*) FROM secret", "reading table 'secret'"},
      {"SELECT x FROM t WHERE x IN (SELECT length(s) FROM secret)", "reading table 'secret'"},
      {"SELECT name FROM sqlite_master", "reading table 'sqlite_master'"},
      {"PRAGMA writable_schema = 1", "not allowed: PRAGMA writable_schema"},
      {"PRAGMA table_info(t)", "not allowed: PRAGMA"},
      {"ATTACH DATABASE ':memory:' AS m", "not allowed: ATTACH"},
      {"DETACH DATABASE main", "not allowed"},
      {"INSERT INTO t VALUES(3, 'c')", "not allowed: INSERT"},
      {"UPDATE t SET x = 0", "not allowed: UPDATE"},
      {"DELETE FROM t", "not allowed: DELETE"},
      {"REPLACE INTO t VALUES(1, 'z')", "not allowed: INSERT"},
      {"DROP TABLE t", "not allowed: changing the schema"},
      {"CREATE TABLE u(a)", "not allowed: changing the schema"},
      {"CREATE TEMP TABLE u(a)", "not allowed: changing the schema"},
      {"CREATE TEMP VIEW w AS SELECT 1", "not allowed: changing the schema"},
      {"CREATE INDEX i ON t(x)", "not allowed: changing the schema"},
      {"ALTER TABLE t ADD COLUMN z", "not allowed: ALTER TABLE"},
      {"BEGIN", "not allowed: transactions"},
      {"SAVEPOINT a", "not allowed: SAVEPOINT"},
      {"ANALYZE", "not allowed"},
      {"REINDEX", "not allowed"},
      {"VACUUM", "not allowed"},
      {"VACUUM INTO '/tmp/specmill-guard-test.db'", "not allowed"},
      {"SELECT load_extension('x')", "function load_extension()"},
      {"SELECT sqlite_version()", "function sqlite_version()"},
      {"SELECT randomblob(10)", "function randomblob()"},
      {"WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r", "recursive WITH"},
      {"SELECT * FROM json_each('[1]')", "not allowed"},
      {"SELECT 1; SELECT 2", "second statement"},
      {"EXPLAIN SELECT x FROM t", "not allowed"},
      {"SELECT nope FROM t", "unknown column 'nope'"},
      {"SELECT x FROM nowhere", "unknown table 'nowhere'"},
      {"SELECT nosuch(x) FROM t", "unknown function nosuch()"},
  };
  for (const auto& [sql, why] : refused)
    EXPECT_NE(prepare_error(g, sql).find(why), std::string::npos) << sql << ": " << prepare_error(g, sql);
  EXPECT_FALSE(fs::exists("/tmp/specmill-guard-test.db"));
}

TEST(SqlGuard, TimeLimitStopsAStatementAndTheConnectionRecovers) {
  guarded_db_fixture f;
  guarded_connection g(f.file);
  g.allow_table("t");
  // 2^60 rows of a cross join: never finishes on its own.
  std::string sql = "SELECT count(*) FROM t a";
  for (char c = 'b'; c <= 'z'; ++c) sql += std::string(", t ") + c;
  auto st = g.prepare(sql + ", t a1, t a2, t a3, t a4, t a5, t a6, t a7, t a8, t a9, t b1, t b2, t b3, t b4, t b5, t b6, t b7, t b8, t b9, t c1, t c2, t c3, t c4, t c5, t c6, t c7, t c8, t c9, t d1, t d2, t d3, t d4, t d5, t d6, t d7", "test");
  g.start_clock(0.2);
  EXPECT_THROW(g.step(st), time_limit_exceeded);
  g.start_clock(5);
  auto ok = g.prepare("SELECT count(*) FROM t", "test");
  ASSERT_TRUE(g.step(ok));
  EXPECT_EQ(ok.i64(0), 2);
}

TEST(SqlGuard, ReadOnlyEvenWithoutTheAuthorizer) {
  guarded_db_fixture f;
  guarded_connection g(f.file);
  // Switch the authorizer off to check the next layer: a read-only, query_only connection.
  sqlite3_set_authorizer(g.db().get(), nullptr, nullptr);
  EXPECT_THROW(g.db().exec("INSERT INTO t VALUES(9, 'z')"), sqlite_error);
  EXPECT_THROW(g.db().exec("ATTACH DATABASE ':memory:' AS m"), sqlite_error);  // no ATTACH slots
  EXPECT_THROW(g.db().exec("SELECT load_extension('x')"), sqlite_error);
  sqlite_db check(f.file, sqlite_db::mode::read_only);
  sqlite_stmt n(check, "SELECT count(*) FROM t");
  ASSERT_TRUE(n.step());
  EXPECT_EQ(n.i64(0), 2);
}
