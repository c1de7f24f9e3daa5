// The SQLite wrapper's statement columns and scalar SQL functions (engine/query's q3c_* and
// specmill_in_region go through them).
#include "io/catalog/sqlite.hpp"

#include <gtest/gtest.h>

#include "common/temp_dir.hpp"
#include "core/error.hpp"

namespace specmill {
namespace {

TEST(Sqlite, ColumnsTypesAndParameters) {
  test_support::temp_dir dir;
  sqlite_db db(dir / "t.sqlite", sqlite_db::mode::read_write);
  sqlite_stmt st(db, "SELECT 1 AS a, 2.5 AS b, 'x' AS c, NULL AS d, ?1 AS e");
  EXPECT_EQ(st.column_count(), 5);
  EXPECT_EQ(st.column_name(1), "b");
  EXPECT_EQ(st.parameter_count(), 1);
  st.bind(1, int64_t(-7));
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.column_type(0), sqlite_stmt::type::integer);
  EXPECT_EQ(st.column_type(1), sqlite_stmt::type::real);
  EXPECT_EQ(st.column_type(2), sqlite_stmt::type::text);
  EXPECT_TRUE(st.is_null(3));
  EXPECT_EQ(st.i64(4), -7);
  EXPECT_EQ(st.id(4), uint64_t(-7));
  EXPECT_EQ(st.f64(1), 2.5);
  EXPECT_EQ(st.text(2), "x");
}

TEST(Sqlite, ScalarFunctionsResultsNullsAndErrors) {
  test_support::temp_dir dir;
  sqlite_db db(dir / "t.sqlite", sqlite_db::mode::read_write);
  int calls = 0;
  db.create_function("twice", 1, true, [&](sql_function_call& c) {
    ++calls;
    if (c.is_null(0)) return c.result_null();
    if (c.f64(0) < 0) throw invalid_argument("negative");
    c.result(c.f64(0) * 2);
  });
  db.create_function("plus1", 1, false, [](sql_function_call& c) { c.result(c.i64(0) + 1); });
  sqlite_stmt st(db, "SELECT twice(1.25), twice(NULL), plus1(41)");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.f64(0), 2.5);
  EXPECT_TRUE(st.is_null(1));
  EXPECT_EQ(st.i64(2), 42);
  EXPECT_EQ(calls, 2);
  sqlite_stmt bad(db, "SELECT twice(-1)");
  try {
    bad.step();
    FAIL() << "expected sqlite_error";
  } catch (const sqlite_error& e) {
    EXPECT_NE(std::string(e.what()).find("negative"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace specmill
