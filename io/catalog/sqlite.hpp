#pragma once
// Thin RAII over the SQLite C API: a connection, prepared statements, transactions, scalar SQL
// functions. Errors become sqlite_error carrying SQLite's code and message.
//
// This header does not include sqlite3.h: code outside io/ uses the wrapper without SQLite's
// names (sqlite3 and sqlite3_stmt are opaque structs there, declared here the same way). Code in
// io/ that calls SQLite itself includes <sqlite3.h>.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

struct sqlite3;
struct sqlite3_stmt;
struct sqlite3_context;
struct sqlite3_value;

namespace specmill {

// The arguments of one call of a scalar SQL function, and its result.
class sql_function_call {
 public:
  sql_function_call(sqlite3_context* ctx, int argc, sqlite3_value** argv) : ctx_(ctx), argc_(argc), argv_(argv) {}
  int size() const { return argc_; }
  bool is_null(int i) const;
  double f64(int i) const;
  int64_t i64(int i) const;
  std::string text(int i) const;  // "" for NULL
  void result(int64_t v);
  void result(double v);
  void result_null();
  void result_error(std::string_view message);

 private:
  sqlite3_context* ctx_;
  int argc_;
  sqlite3_value** argv_;
};

// The body of a scalar SQL function: reads the call's arguments, sets its result. An exception
// it throws becomes the statement's error.
using sql_function = std::function<void(sql_function_call&)>;

class sqlite_db {
 public:
  enum class mode { read_only, read_write };
  sqlite_db() = default;
  sqlite_db(const std::filesystem::path& file, mode m);
  sqlite_db(const sqlite_db&) = delete;
  sqlite_db& operator=(const sqlite_db&) = delete;
  sqlite_db(sqlite_db&& o) noexcept : db_(o.db_) { o.db_ = nullptr; }
  sqlite_db& operator=(sqlite_db&& o) noexcept;
  ~sqlite_db();

  sqlite3* get() const { return db_; }
  void exec(std::string_view sql);       // one or more statements, no results
  [[noreturn]] void fail(int rc, std::string_view what) const;

  // Registers a deterministic scalar function of n_args arguments (UTF-8). direct_only: usable
  // in top-level SQL only, not from views, triggers or schema expressions.
  void create_function(const std::string& name, int n_args, bool direct_only, sql_function fn);

 private:
  sqlite3* db_ = nullptr;
};

// One SQL value as SQLite types it (NULL, INTEGER, REAL, TEXT).
using sql_value = std::variant<std::monostate, int64_t, double, std::string>;

class sqlite_stmt {
 public:
  sqlite_stmt() = default;
  sqlite_stmt(const sqlite_db& db, std::string_view sql);
  // Takes ownership of a statement prepared elsewhere (e.g. under an authorizer).
  static sqlite_stmt adopt(const sqlite_db& db, sqlite3_stmt* st);
  sqlite_stmt(const sqlite_stmt&) = delete;
  sqlite_stmt& operator=(const sqlite_stmt&) = delete;
  sqlite_stmt(sqlite_stmt&& o) noexcept : db_(o.db_), st_(o.st_) { o.st_ = nullptr; }
  sqlite_stmt& operator=(sqlite_stmt&& o) noexcept;
  ~sqlite_stmt();

  // 1-based parameter index, as in SQLite.
  sqlite_stmt& bind(int i, int64_t v);
  sqlite_stmt& bind(int i, int32_t v) { return bind(i, int64_t(v)); }
  sqlite_stmt& bind(int i, double v);
  sqlite_stmt& bind(int i, std::string_view v);
  sqlite_stmt& bind_null(int i);
  sqlite_stmt& bind(int i, const sql_value& v);
  // SPECOBJID is uint64; SQLite integers are int64: stored as the same 64 bits (two's complement).
  sqlite_stmt& bind_id(int i, uint64_t v) { return bind(i, static_cast<int64_t>(v)); }

  bool prepared() const { return st_ != nullptr; }
  sqlite3_stmt* get() const { return st_; }
  bool step();   // true: a row is ready; false: done
  void run();    // step to completion, then reset
  void reset();

  // Columns of the result (0-based).
  enum class type { integer, real, text, blob, null };
  type column_type(int col) const;
  bool is_null(int col) const { return column_type(col) == type::null; }
  int64_t i64(int col) const;
  uint64_t id(int col) const { return static_cast<uint64_t>(i64(col)); }
  double f64(int col) const;
  std::string text(int col) const;
  int column_count() const;
  std::string column_name(int col) const;
  int parameter_count() const;  // the ?, :name, @name, $name parameters of the statement

 private:
  const sqlite_db* db_ = nullptr;
  sqlite3_stmt* st_ = nullptr;
};

// BEGIN IMMEDIATE on construction, ROLLBACK in the destructor unless commit() ran.
class sqlite_transaction {
 public:
  explicit sqlite_transaction(sqlite_db& db);
  sqlite_transaction(const sqlite_transaction&) = delete;
  sqlite_transaction& operator=(const sqlite_transaction&) = delete;
  ~sqlite_transaction();
  void commit();

 private:
  sqlite_db& db_;
  bool done_ = false;
};

}  // namespace specmill
