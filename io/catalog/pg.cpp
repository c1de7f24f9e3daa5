#include "io/catalog/pg.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <memory>

namespace specmill {
namespace {

// Type OIDs (src/include/catalog/pg_type.dat); stable across PostgreSQL versions.
constexpr Oid oid_bool = 16, oid_int8 = 20, oid_int2 = 21, oid_int4 = 23, oid_float4 = 700, oid_float8 = 701,
              oid_numeric = 1700;

std::string message_of(PGconn* c) {
  std::string m = c ? PQerrorMessage(c) : "out of memory";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

pg_result_set& pg_result_set::operator=(pg_result_set&& o) noexcept {
  if (this != &o) {
    if (r_) PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}

pg_result_set::~pg_result_set() {
  if (r_) PQclear(r_);
}

int pg_result_set::rows() const { return r_ ? PQntuples(r_) : 0; }
int pg_result_set::columns() const { return r_ ? PQnfields(r_) : 0; }
std::string pg_result_set::column_name(int c) const { return PQfname(r_, c); }

pg_result_set::kind pg_result_set::column_kind(int c) const {
  switch (PQftype(r_, c)) {
    case oid_bool:
    case oid_int2:
    case oid_int4:
    case oid_int8: return kind::integer;
    case oid_float4:
    case oid_float8:
    case oid_numeric: return kind::real;
    default: return kind::text;
  }
}

bool pg_result_set::is_null(int r, int c) const { return PQgetisnull(r_, r, c) != 0; }

std::string_view pg_result_set::text(int r, int c) const {
  return std::string_view(PQgetvalue(r_, r, c), size_t(PQgetlength(r_, r, c)));
}

int64_t pg_result_set::i64(int r, int c) const {
  const auto t = text(r, c);
  if (t == "t") return 1;  // bool
  if (t == "f") return 0;
  int64_t v = 0;
  std::from_chars(t.data(), t.data() + t.size(), v);
  return v;
}

double pg_result_set::f64(int r, int c) const {
  // strtod reads what PostgreSQL prints, NaN and Infinity included; the value is NUL-terminated.
  return std::strtod(PQgetvalue(r_, r, c), nullptr);
}

pg_connection::pg_connection(const std::string& url) {
  c_ = PQconnectdb(url.c_str());
  if (!c_ || PQstatus(c_) != CONNECTION_OK) {
    const std::string m = message_of(c_);
    if (c_) PQfinish(c_);
    c_ = nullptr;
    throw pg_error("cannot connect to PostgreSQL: " + m, "");
  }
  // Doubles printed shortest-exact (the default since PostgreSQL 12, set for older servers).
  exec("SET extra_float_digits = 3; SET client_min_messages = warning");
}

pg_connection& pg_connection::operator=(pg_connection&& o) noexcept {
  if (this != &o) {
    if (c_) PQfinish(c_);
    c_ = o.c_;
    o.c_ = nullptr;
  }
  return *this;
}

pg_connection::~pg_connection() {
  if (c_) PQfinish(c_);
}

pg_result_set pg_connection::check(PGresult* r, std::string_view sql) {
  const auto st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY) return pg_result_set(r);
  std::string state, msg;
  if (r) {
    if (const char* s = PQresultErrorField(r, PG_DIAG_SQLSTATE)) state = s;
    if (const char* m = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) msg = m;
    PQclear(r);
  }
  if (msg.empty()) msg = message_of(c_);
  (void)sql;  // the statement may hold user text: it goes in no message
  throw pg_error("PostgreSQL: " + msg, state);
}

pg_result_set pg_connection::exec(std::string_view sql) {
  SPECMILL_EXPECTS(c_, "PostgreSQL connection not open");
  const std::string s(sql);
  // PQexec returns only the last result of several statements; earlier failures stop it.
  return check(PQexec(c_, s.c_str()), sql);
}

pg_result_set pg_connection::exec(std::string_view sql, const std::vector<pg_param>& params) {
  SPECMILL_EXPECTS(c_, "PostgreSQL connection not open");
  const std::string s(sql);
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  return check(PQexecParams(c_, s.c_str(), int(values.size()), nullptr, values.data(), nullptr, nullptr, 0), sql);
}

void pg_connection::copy_in(std::string_view copy_sql, const std::function<bool(std::string&)>& next) {
  const std::string s(copy_sql);
  PGresult* r = PQexec(c_, s.c_str());
  if (!r || PQresultStatus(r) != PGRES_COPY_IN) {
    check(r, copy_sql);
    throw pg_error("PostgreSQL: COPY did not start", "");
  }
  PQclear(r);
  std::string chunk;
  std::string failure;
  try {
    while (true) {
      chunk.clear();
      const bool more = next(chunk);
      if (!chunk.empty() && PQputCopyData(c_, chunk.data(), int(chunk.size())) != 1)
        throw pg_error("PostgreSQL COPY: " + message_of(c_), "");
      if (!more) break;
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  PQputCopyEnd(c_, failure.empty() ? nullptr : failure.c_str());
  pg_result_set last;
  std::optional<pg_error> err;
  while (PGresult* res = PQgetResult(c_)) {
    try {
      last = check(res, copy_sql);
    } catch (const pg_error& e) {
      if (!err) err = e;
    }
  }
  if (!failure.empty()) throw io_error("COPY aborted: " + failure);
  if (err) throw *err;
}

void pg_connection::cancel() const {
  if (!c_) return;
  std::unique_ptr<PGcancel, void (*)(PGcancel*)> c(PQgetCancel(c_), PQfreeCancel);
  char buf[256];
  if (c) PQcancel(c.get(), buf, sizeof buf);
}

std::string pg_connection::quote_literal(std::string_view s) const {
  char* q = PQescapeLiteral(c_, s.data(), s.size());
  if (!q) throw pg_error("cannot quote a literal: " + message_of(c_), "");
  std::string out(q);
  PQfreemem(q);
  return out;
}

std::string pg_connection::quote_identifier(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) out += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return out + "\"";
}

pg_transaction::pg_transaction(pg_connection& c, std::string_view begin) : c_(c) { c_.exec(begin); }

pg_transaction::~pg_transaction() {
  if (done_) return;
  try {
    c_.exec("ROLLBACK");
  } catch (...) {
    // the connection is gone; the server rolls back on its own
  }
}

void pg_transaction::commit() {
  c_.exec("COMMIT");
  done_ = true;
}

bool is_postgres_url(std::string_view url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0 ||
         url.find("dbname=") != std::string_view::npos || url.find("host=") == 0;
}

}  // namespace specmill
