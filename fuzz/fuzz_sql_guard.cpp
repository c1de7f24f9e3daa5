// The SQL guard (io/catalog/sql_guard.hpp) on user text, as the query engine uses it: layer 1,
// check_where_clause; what passes is pasted into `SELECT 1 FROM t WHERE (<input>)`, compiled on
// a guarded connection to a small temporary catalog and stepped under a 50 ms time limit.
// Refusals are invalid_argument (time_limit_exceeded included); anything else is a finding.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "io/catalog/sql_guard.hpp"

namespace {

namespace fs = std::filesystem;

// A catalog with the columns conditions name, a few rows, and a table the guard must not let
// the input read.
specmill::guarded_connection& connection() {
  static const fs::path file = [] {
    const fs::path f = fs::temp_directory_path() / ("specmill-fuzz-sql-" + std::to_string(getpid()) + ".sqlite");
    fs::remove(f);
    specmill::sqlite_db db(f, specmill::sqlite_db::mode::read_write);
    db.exec(
        "CREATE TABLE t (specobjid INTEGER, plate INTEGER, mjd INTEGER, fiberid INTEGER, ra REAL, dec REAL, "
        "z REAL, class TEXT, subclass TEXT, zwarning INTEGER);"
        "INSERT INTO t VALUES (299492975510054912, 266, 51602, 13, 146.71, -1.04, 0.1213, 'GALAXY', '', 0),"
        " (373974455765985280, 332, 52367, 639, 213.35, 53.09, 0.1006, 'QSO', 'BROADLINE', 0),"
        " (-7900291631841783808, 9367, 57758, 538, 36.9, 0.25, 2.2267, 'QSO', NULL, 4);"
        "CREATE TABLE secret (token TEXT); INSERT INTO secret VALUES ('x');");
    std::atexit([] { fs::remove(file); });
    return f;
  }();
  static const auto conn = [] {
    auto c = std::make_unique<specmill::guarded_connection>(file);
    c->allow_table("t");
    return c;
  }();
  return *conn;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = specmill::fuzz::as_text(data, size);
  specmill::guarded_connection& conn = connection();
  specmill::fuzz::expect_errors([&] {
    specmill::check_where_clause(text);
    if (text.size() > specmill::guarded_connection::max_where_clause_bytes) return;
    auto st = conn.prepare("SELECT 1 FROM t WHERE (" + std::string(text) + ")", "fuzz");
    conn.start_clock(0.05);
    for (int rows = 0; rows < 100 && conn.step(st); ++rows) {
    }
  });
  return 0;
}
