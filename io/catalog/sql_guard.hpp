#pragma once
// Running SQL text that came from a user (a query's `--constraint`, later the REST /query) on
// the catalog without letting it do anything but read the tables it may read.
//
// Two independent layers, each sufficient against the attacks in tests/io/catalog/sql_guard_test.cpp:
//  1. check_where_clause(): the text must be one SQL expression that cannot leave the
//     `WHERE (...)` it is pasted into: no NUL byte, valid UTF-8, no comments, no ';', quotes
//     and brackets terminated, parentheses balanced (outside literals).
//  2. guarded_connection: a separate read-only connection (SQLITE_OPEN_READONLY plus
//     `PRAGMA query_only`, defensive mode, no extension loading, no ATTACH slots, small length
//     and depth limits) whose authorizer allows only SELECT, reads of the tables named with
//     allow_table() in schema main, and a whitelist of deterministic functions; recursive
//     CTEs, PRAGMA, writes, ATTACH, transactions and every other action are refused, and the
//     refusal names the action. A progress handler stops a statement that runs past its
//     time limit (time_limit_exceeded).
#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>

#include "io/catalog/sqlite.hpp"

namespace specmill {

// Throws invalid_argument naming the first problem (see layer 1 above). Empty text is an error.
void check_where_clause(std::string_view text);

// The functions the authorizer lets user SQL call (lowercase).
const std::set<std::string, std::less<>>& allowed_sql_functions();

class guarded_connection {
 public:
  static constexpr double default_time_limit_s = 10.0;
  static constexpr size_t max_where_clause_bytes = 10000;

  // Opens `file` read-only; the catalog must exist (not_found otherwise).
  explicit guarded_connection(const std::filesystem::path& file);
  guarded_connection(const guarded_connection&) = delete;  // the callbacks hold `this`
  guarded_connection& operator=(const guarded_connection&) = delete;

  // The raw connection, for registering application functions (call allow_function too).
  sqlite_db& db() { return db_; }
  void allow_table(std::string name);
  void allow_function(std::string name);

  // Compiles one statement under the authorizer. A refused action, a syntax error, an unknown
  // column or a second statement throw invalid_argument; `what` prefixes the message.
  sqlite_stmt prepare(std::string_view sql, std::string_view what);

  // Statements stepped through step() stop with time_limit_exceeded once `seconds` have passed
  // since the call (<= 0: no limit).
  void start_clock(double seconds);
  // sqlite_stmt::step with the guard's error translation: the deadline -> time_limit_exceeded,
  // errors raised by the user's expression (overflow, too big) -> invalid_argument.
  bool step(sqlite_stmt& st);

 private:
  static int authorize(void* self, int action, const char* a, const char* b, const char* schema, const char* via);
  static int progress(void* self);
  int check(int action, const char* a, const char* b, const char* schema);

  sqlite_db db_;
  std::set<std::string, std::less<>> tables_;
  std::set<std::string, std::less<>> functions_;
  std::string refusal_;  // why the authorizer refused, for the error message
  std::chrono::steady_clock::time_point deadline_{};
  double limit_s_ = 0;
  bool timed_out_ = false;
};

}  // namespace specmill
