#pragma once
// RAII over libpq (PostgreSQL's C client library) for the PostgreSQL catalog backend. libpq's
// header stays in pg.cpp: PGconn and PGresult are libpq's own typedefs of these two structs,
// declared here without it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

struct pg_conn;
struct pg_result;

namespace specmill {

// libpq or the server reported an error; `sqlstate` is the five-character SQLSTATE ("" when the
// client library failed before the server answered).
struct pg_error : io_error {
  pg_error(const std::string& what, std::string sqlstate, source_location where = {})
      : io_error(what, where), sqlstate(std::move(sqlstate)) {}
  std::string sqlstate;
};

class pg_result_set {
 public:
  pg_result_set() = default;
  explicit pg_result_set(pg_result* r) : r_(r) {}
  pg_result_set(pg_result_set&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  pg_result_set& operator=(pg_result_set&& o) noexcept;
  pg_result_set(const pg_result_set&) = delete;
  pg_result_set& operator=(const pg_result_set&) = delete;
  ~pg_result_set();

  int rows() const;
  int columns() const;
  std::string column_name(int c) const;
  // The column's kind from its type OID: integer (int2/4/8, bool as 0/1), real (float4/8,
  // numeric), text (everything else).
  enum class kind { integer, real, text };
  kind column_kind(int c) const;
  bool is_null(int r, int c) const;
  std::string_view text(int r, int c) const;
  int64_t i64(int r, int c) const;
  double f64(int r, int c) const;
  uint64_t id(int r, int c) const { return static_cast<uint64_t>(i64(r, c)); }

 private:
  pg_result* r_ = nullptr;
};

using pg_param = std::optional<std::string>;  // text form; nullopt is SQL NULL

class pg_connection {
 public:
  pg_connection() = default;
  // `url`: a libpq connection URI or key=value string. Throws pg_error when it cannot connect.
  explicit pg_connection(const std::string& url);
  pg_connection(pg_connection&& o) noexcept : c_(o.c_) { o.c_ = nullptr; }
  pg_connection& operator=(pg_connection&& o) noexcept;
  pg_connection(const pg_connection&) = delete;
  pg_connection& operator=(const pg_connection&) = delete;
  ~pg_connection();

  bool open() const { return c_ != nullptr; }
  // One or more statements without parameters (simple protocol); the last result is returned.
  pg_result_set exec(std::string_view sql);
  // One statement with $1.. parameters in text form (extended protocol: never a second statement).
  pg_result_set exec(std::string_view sql, const std::vector<pg_param>& params);
  // COPY ... FROM STDIN: `next` fills the buffer with the next chunk of COPY text and returns
  // false when there is no more.
  void copy_in(std::string_view copy_sql, const std::function<bool(std::string&)>& next);
  // Asks the server to cancel the running statement (thread-safe, from any thread).
  void cancel() const;

  std::string quote_literal(std::string_view s) const;
  static std::string quote_identifier(std::string_view s);
  static std::string text_of(uint64_t id) { return std::to_string(static_cast<int64_t>(id)); }

 private:
  pg_result_set check(pg_result* r, std::string_view sql);
  pg_conn* c_ = nullptr;
};

// A transaction: BEGIN now, ROLLBACK unless commit() was called.
class pg_transaction {
 public:
  explicit pg_transaction(pg_connection& c, std::string_view begin = "BEGIN");
  pg_transaction(const pg_transaction&) = delete;
  pg_transaction& operator=(const pg_transaction&) = delete;
  ~pg_transaction();
  void commit();

 private:
  pg_connection& c_;
  bool done_ = false;
};

// True for a URL that names a PostgreSQL database (postgresql:// or postgres://, or libpq's
// key=value form with dbname= or host=).
bool is_postgres_url(std::string_view url);

}  // namespace specmill
