#include "io/catalog/sqlite.hpp"

#include <sqlite3.h>

#include <memory>

#include "core/error.hpp"

namespace specmill {

sqlite_db::sqlite_db(const std::filesystem::path& file, mode m) {
  const int flags = m == mode::read_only ? SQLITE_OPEN_READONLY
                                         : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  const int rc = sqlite3_open_v2(file.c_str(), &db_, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw sqlite_error("cannot open catalog " + file.string() + ": " + msg, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
  // A writer (ingest) holds the lock briefly per block; readers wait rather than fail.
  sqlite3_busy_timeout(db_, 30000);
}

sqlite_db& sqlite_db::operator=(sqlite_db&& o) noexcept {
  if (this != &o) {
    sqlite3_close(db_);
    db_ = o.db_;
    o.db_ = nullptr;
  }
  return *this;
}

sqlite_db::~sqlite_db() { sqlite3_close(db_); }

void sqlite_db::fail(int rc, std::string_view what) const {
  throw sqlite_error(std::string(what) + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)), rc);
}

namespace {

void call_function(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  const auto& fn = *static_cast<const sql_function*>(sqlite3_user_data(ctx));
  sql_function_call call(ctx, argc, argv);
  try {
    fn(call);
  } catch (const std::exception& e) {
    call.result_error(e.what());
  }
}

}  // namespace

void sqlite_db::create_function(const std::string& name, int n_args, bool direct_only, sql_function fn) {
  auto owned = std::make_unique<sql_function>(std::move(fn));
  const int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | (direct_only ? SQLITE_DIRECTONLY : 0);
  // SQLite owns the function object from here, even when registration fails (it then calls
  // the destructor itself).
  const int rc = sqlite3_create_function_v2(
      db_, name.c_str(), n_args, flags, owned.release(), call_function, nullptr, nullptr,
      [](void* p) { delete static_cast<sql_function*>(p); });
  if (rc != SQLITE_OK) fail(rc, "cannot register SQL function " + name);
}

bool sql_function_call::is_null(int i) const { return sqlite3_value_type(argv_[i]) == SQLITE_NULL; }
double sql_function_call::f64(int i) const { return sqlite3_value_double(argv_[i]); }
int64_t sql_function_call::i64(int i) const { return sqlite3_value_int64(argv_[i]); }
std::string sql_function_call::text(int i) const {
  const auto* t = sqlite3_value_text(argv_[i]);
  return t ? std::string(reinterpret_cast<const char*>(t), size_t(sqlite3_value_bytes(argv_[i]))) : std::string();
}
void sql_function_call::result(int64_t v) { sqlite3_result_int64(ctx_, v); }
void sql_function_call::result(double v) { sqlite3_result_double(ctx_, v); }
void sql_function_call::result_null() { sqlite3_result_null(ctx_); }
void sql_function_call::result_error(std::string_view message) {
  sqlite3_result_error(ctx_, message.data(), int(message.size()));
}

void sqlite_db::exec(std::string_view sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw sqlite_error("SQL failed (" + std::string(sql.substr(0, 60)) + "...): " + msg, rc);
  }
}

sqlite_stmt::sqlite_stmt(const sqlite_db& db, std::string_view sql) : db_(&db) {
  const int rc = sqlite3_prepare_v2(db.get(), sql.data(), int(sql.size()), &st_, nullptr);
  if (rc != SQLITE_OK) db.fail(rc, "cannot prepare '" + std::string(sql) + "'");
}

sqlite_stmt sqlite_stmt::adopt(const sqlite_db& db, sqlite3_stmt* st) {
  sqlite_stmt s;
  s.db_ = &db;
  s.st_ = st;
  return s;
}

sqlite_stmt& sqlite_stmt::operator=(sqlite_stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(st_);
    db_ = o.db_;
    st_ = o.st_;
    o.st_ = nullptr;
  }
  return *this;
}

sqlite_stmt::~sqlite_stmt() { sqlite3_finalize(st_); }

sqlite_stmt& sqlite_stmt::bind(int i, int64_t v) {
  if (int rc = sqlite3_bind_int64(st_, i, v); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}
sqlite_stmt& sqlite_stmt::bind(int i, double v) {
  if (int rc = sqlite3_bind_double(st_, i, v); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}
sqlite_stmt& sqlite_stmt::bind(int i, std::string_view v) {
  // A default-constructed string_view has a null data(), which SQLite would bind as NULL.
  const char* p = v.data() ? v.data() : "";
  if (int rc = sqlite3_bind_text(st_, i, p, int(v.size()), SQLITE_TRANSIENT); rc != SQLITE_OK)
    db_->fail(rc, "bind");
  return *this;
}
sqlite_stmt& sqlite_stmt::bind_null(int i) {
  if (int rc = sqlite3_bind_null(st_, i); rc != SQLITE_OK) db_->fail(rc, "bind");
  return *this;
}

sqlite_stmt& sqlite_stmt::bind(int i, const sql_value& v) {
  switch (v.index()) {
    case 1: return bind(i, std::get<int64_t>(v));
    case 2: return bind(i, std::get<double>(v));
    case 3: return bind(i, std::string_view(std::get<std::string>(v)));
    default: return bind_null(i);
  }
}

bool sqlite_stmt::step() {
  const int rc = sqlite3_step(st_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(st_);
  db_->fail(rc, "step");
}

void sqlite_stmt::run() {
  while (step()) {
  }
  reset();
}

void sqlite_stmt::reset() {
  sqlite3_reset(st_);
  sqlite3_clear_bindings(st_);
}

sqlite_stmt::type sqlite_stmt::column_type(int col) const {
  switch (sqlite3_column_type(st_, col)) {
    case SQLITE_INTEGER: return type::integer;
    case SQLITE_FLOAT: return type::real;
    case SQLITE_TEXT: return type::text;
    case SQLITE_BLOB: return type::blob;
    default: return type::null;
  }
}

int64_t sqlite_stmt::i64(int col) const { return sqlite3_column_int64(st_, col); }
double sqlite_stmt::f64(int col) const { return sqlite3_column_double(st_, col); }
int sqlite_stmt::column_count() const { return sqlite3_column_count(st_); }
std::string sqlite_stmt::column_name(int col) const {
  const char* p = sqlite3_column_name(st_, col);
  return p ? std::string(p) : std::string();
}
int sqlite_stmt::parameter_count() const { return sqlite3_bind_parameter_count(st_); }

std::string sqlite_stmt::text(int col) const {
  const auto* p = sqlite3_column_text(st_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), size_t(sqlite3_column_bytes(st_, col))) : std::string();
}

sqlite_transaction::sqlite_transaction(sqlite_db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

sqlite_transaction::~sqlite_transaction() {
  if (!done_) {
    try {
      db_.exec("ROLLBACK");
    } catch (...) {
      // Nothing sensible to do in a destructor; SQLite rolls back on close anyway.
    }
  }
}

void sqlite_transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace specmill
