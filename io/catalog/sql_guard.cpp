#include "io/catalog/sql_guard.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/error.hpp"

namespace specmill {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void refuse(const std::string& why) { throw invalid_argument(why); }

// Overlong forms and surrogates are malformed too (RFC 3629), though they could not smuggle
// ASCII past check_where_clause, which, like SQLite's tokenizer, only acts on ASCII bytes.
bool valid_utf8(std::string_view s) {
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  for (size_t i = 0; i < s.size();) {
    const unsigned c = byte(i);
    size_t n = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 2;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 3;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;
    for (size_t k = 1; k <= n; ++k)
      if ((byte(i + k) & 0xC0) != 0x80) return false;
    const unsigned c1 = byte(i + 1);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) || (c == 0xF4 && c1 > 0x8F))
      return false;
    i += n + 1;
  }
  return true;
}

const char* action_name(int action) {
  switch (action) {
    case SQLITE_INSERT: return "INSERT";
    case SQLITE_UPDATE: return "UPDATE";
    case SQLITE_DELETE: return "DELETE";
    case SQLITE_PRAGMA: return "PRAGMA";
    case SQLITE_ATTACH: return "ATTACH";
    case SQLITE_DETACH: return "DETACH";
    case SQLITE_TRANSACTION: return "transactions";
    case SQLITE_SAVEPOINT: return "SAVEPOINT";
    case SQLITE_ANALYZE: return "ANALYZE";
    case SQLITE_REINDEX: return "REINDEX";
    case SQLITE_ALTER_TABLE: return "ALTER TABLE";
    case SQLITE_CREATE_INDEX: case SQLITE_CREATE_TEMP_INDEX: return "CREATE INDEX";
    case SQLITE_CREATE_TABLE: case SQLITE_CREATE_TEMP_TABLE: return "CREATE TABLE";
    case SQLITE_CREATE_TRIGGER: case SQLITE_CREATE_TEMP_TRIGGER: return "CREATE TRIGGER";
    case SQLITE_CREATE_VIEW: case SQLITE_CREATE_TEMP_VIEW: return "CREATE VIEW";
    case SQLITE_CREATE_VTABLE: return "CREATE VIRTUAL TABLE";
    case SQLITE_DROP_INDEX: case SQLITE_DROP_TEMP_INDEX: return "DROP INDEX";
    case SQLITE_DROP_TABLE: case SQLITE_DROP_TEMP_TABLE: return "DROP TABLE";
    case SQLITE_DROP_TRIGGER: case SQLITE_DROP_TEMP_TRIGGER: return "DROP TRIGGER";
    case SQLITE_DROP_VIEW: case SQLITE_DROP_TEMP_VIEW: return "DROP VIEW";
    case SQLITE_DROP_VTABLE: return "DROP VIRTUAL TABLE";
    case SQLITE_RECURSIVE: return "recursive WITH";
    case SQLITE_COPY: return "COPY";
    default: return "this SQL action";
  }
}

// SQLite's own messages, reworded for someone who wrote a WHERE clause.
std::string explain_prepare_error(const std::string& msg) {
  auto after = [&](std::string_view prefix) { return msg.substr(prefix.size()); };
  if (msg.rfind("no such column: ", 0) == 0) return "unknown column '" + after("no such column: ") + "'";
  if (msg.rfind("no such table: ", 0) == 0) return "unknown table '" + after("no such table: ") + "'";
  if (msg.rfind("no such function: ", 0) == 0) return "unknown function " + after("no such function: ") + "()";
  if (msg.rfind("near \"", 0) == 0) {
    const auto end = msg.find("\": syntax error");
    if (end != std::string::npos) {
      const std::string token = msg.substr(6, end - 6);
      // The ')' is usually the one closing the parentheses the expression is wrapped in.
      return "syntax error near '" + token + "'" + (token == ")" ? " (is the expression incomplete?)" : "");
    }
  }
  return msg;
}

}  // namespace

void check_where_clause(std::string_view t) {
  if (t.find_first_not_of(" \t\r\n\f") == std::string_view::npos) refuse("empty SQL constraint");
  if (t.size() > guarded_connection::max_where_clause_bytes)
    refuse("SQL constraint longer than " + std::to_string(guarded_connection::max_where_clause_bytes) + " bytes");
  if (t.find('\0') != std::string_view::npos) refuse("SQL constraint contains a NUL byte");
  if (!valid_utf8(t)) refuse("SQL constraint is not valid UTF-8");
  int depth = 0;
  for (size_t i = 0; i < t.size(); ++i) {
    const char c = t[i];
    const char next = i + 1 < t.size() ? t[i + 1] : '\0';
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      const char close = c == '[' ? ']' : c;
      size_t j = i + 1;
      for (; j < t.size(); ++j) {
        if (t[j] != close) continue;
        if (close != ']' && j + 1 < t.size() && t[j + 1] == close) {  // doubled quote: escaped
          ++j;
          continue;
        }
        break;
      }
      if (j >= t.size())
        refuse(std::string("SQL constraint has an unterminated ") + (c == '\'' ? "string literal" : "quoted name") +
               " starting at byte " + std::to_string(i + 1));
      i = j;
    } else if ((c == '-' && next == '-') || (c == '/' && next == '*')) {
      refuse("not allowed in a SQL constraint: comments ('--', '/*')");
    } else if (c == ';') {
      refuse("not allowed in a SQL constraint: a second statement (';')");
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) refuse("SQL constraint has unbalanced parentheses: ')' at byte " + std::to_string(i + 1) +
                              " closes nothing");
    }
  }
  if (depth != 0) refuse("SQL constraint has unbalanced parentheses: " + std::to_string(depth) + " '(' not closed");
}

const std::set<std::string, std::less<>>& allowed_sql_functions() {
  // Deterministic, side-effect free, bounded by SQLITE_LIMIT_LENGTH. Not here on purpose:
  // random/randomblob/zeroblob, load_extension, sqlite_* and changes()-style introspection,
  // date/time ('now' is not deterministic), group_concat and json (large intermediate values),
  // printf/format (a width of 10^9 is built in one call, which the time limit cannot stop).
  static const std::set<std::string, std::less<>> names = {
      "abs", "coalesce", "ifnull", "iif", "nullif", "instr", "length", "like", "glob", "lower", "upper",
      "ltrim", "rtrim", "trim", "max", "min", "replace", "round", "sign", "substr", "substring", "typeof",
      "unicode", "char", "hex", "quote", "likelihood", "likely", "unlikely",
      "avg", "count", "sum", "total",
      "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "ceil", "ceiling", "cos", "cosh", "degrees",
      "exp", "floor", "ln", "log", "log10", "log2", "mod", "pi", "pow", "power", "radians", "sin", "sinh",
      "sqrt", "tan", "tanh", "trunc"};
  return names;
}

guarded_connection::guarded_connection(const std::filesystem::path& file)
    : functions_(allowed_sql_functions()) {
  if (!std::filesystem::exists(file)) throw not_found("no catalog at " + file.string());
  db_ = sqlite_db(file, sqlite_db::mode::read_only);
  sqlite3* h = db_.get();
  sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);
  sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  sqlite3_db_config(h, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, nullptr);
  sqlite3_db_config(h, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, nullptr);
  db_.exec("PRAGMA query_only = ON");
  sqlite3_limit(h, SQLITE_LIMIT_ATTACHED, 0);
  sqlite3_limit(h, SQLITE_LIMIT_LENGTH, 1000000);          // strings/blobs: randomblob/printf bombs
  sqlite3_limit(h, SQLITE_LIMIT_SQL_LENGTH, 1000000);      // room for 4096 pixel ranges (~200 KB)
  sqlite3_limit(h, SQLITE_LIMIT_EXPR_DEPTH, 200);
  sqlite3_limit(h, SQLITE_LIMIT_COMPOUND_SELECT, 20);
  sqlite3_limit(h, SQLITE_LIMIT_VARIABLE_NUMBER, 32);
  sqlite3_limit(h, SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 1000);
  sqlite3_limit(h, SQLITE_LIMIT_FUNCTION_ARG, 16);
  // Installed last: everything above ran as trusted setup.
  sqlite3_set_authorizer(h, &guarded_connection::authorize, this);
  sqlite3_progress_handler(h, 1000, &guarded_connection::progress, this);
}

void guarded_connection::allow_table(std::string name) { tables_.insert(lower(name)); }
void guarded_connection::allow_function(std::string name) { functions_.insert(lower(name)); }

int guarded_connection::authorize(void* self, int action, const char* a, const char* b, const char* schema,
                                  const char*) {
  return static_cast<guarded_connection*>(self)->check(action, a, b, schema);
}

int guarded_connection::check(int action, const char* a, const char* b, const char* schema) {
  std::string why;
  switch (action) {
    case SQLITE_SELECT:
      return SQLITE_OK;
    case SQLITE_READ:
      // a = table, b = column ("" when no column is read, as in count(*)).
      // Schema NULL: SQLite's call for a table read without columns (count(*)). Only `main`
      // can hold the allowed names: no ATTACH slots, and nothing can create temp tables.
      if (a && (!schema || std::string_view(schema) == "main") && tables_.count(lower(a))) return SQLITE_OK;
      why = std::string("reading table '") + (a ? a : "?") + "'";
      if (schema && std::string_view(schema) != "main") why += std::string(" of schema '") + schema + "'";
      break;
    case SQLITE_FUNCTION:
      if (b && functions_.count(lower(b))) return SQLITE_OK;
      why = std::string("function ") + (b ? b : "?") + "()";
      break;
    case SQLITE_PRAGMA:
      why = std::string("PRAGMA") + (a ? std::string(" ") + a : "");
      break;
    case SQLITE_UPDATE:
      // SQLite checks this when a query instantiates a table-valued function such as
      // pragma_table_info() or json_each(): name the construct, not SQLite's internals.
      if (a && (std::string_view(a) == "sqlite_master" || std::string_view(a) == "sqlite_schema")) {
        why = "table-valued functions and virtual tables (pragma_*, json_each, ...)";
        break;
      }
      why = std::string("UPDATE of table '") + (a ? a : "?") + "'";
      break;
    default:
      why = action_name(action);
      // CREATE and DROP first ask to write the schema table; that is the refusal SQLite reports.
      if (a && std::string_view(a).rfind("sqlite_", 0) == 0 && (action == SQLITE_INSERT || action == SQLITE_DELETE))
        why = "changing the schema (CREATE, DROP)";
      else if (a && (action == SQLITE_INSERT || action == SQLITE_DELETE))
        why += std::string(" on table '") + a + "'";
  }
  if (refusal_.empty()) refusal_ = why;  // the first refusal is the one to report
  return SQLITE_DENY;
}

int guarded_connection::progress(void* self) {
  auto* g = static_cast<guarded_connection*>(self);
  if (g->limit_s_ > 0 && std::chrono::steady_clock::now() > g->deadline_) {
    g->timed_out_ = true;
    return 1;  // interrupts the statement: SQLITE_INTERRUPT
  }
  return 0;
}

void guarded_connection::start_clock(double seconds) {
  limit_s_ = seconds;
  timed_out_ = false;
  deadline_ = std::chrono::steady_clock::now() +
              std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(seconds));
}

sqlite_stmt guarded_connection::prepare(std::string_view sql, std::string_view what) {
  refusal_.clear();
  sqlite3* h = db_.get();
  sqlite3_stmt* st = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(h, sql.data(), int(sql.size()), &st, &tail);
  const std::string prefix = std::string(what) + ": ";
  if (rc != SQLITE_OK) {
    const std::string msg = sqlite3_errmsg(h);
    sqlite3_finalize(st);
    if (!refusal_.empty()) refuse(prefix + "not allowed: " + refusal_);
    const int primary = rc & 0xff;
    if (primary != SQLITE_ERROR && primary != SQLITE_AUTH && primary != SQLITE_TOOBIG && primary != SQLITE_RANGE)
      throw sqlite_error(prefix + msg, rc);  // the catalog itself is unreadable: not the user's fault
    refuse(prefix + explain_prepare_error(msg));
  }
  auto stmt = sqlite_stmt::adopt(db_, st);
  if (!st) refuse(prefix + "empty SQL");
  // Belt and braces behind the authorizer: only a plain query, nothing SQLite itself counts as
  // writing (VACUUM INTO, for one, has no authorizer action of its own).
  if (!sqlite3_stmt_readonly(st) || sqlite3_stmt_isexplain(st) != 0)
    refuse(prefix + "not allowed: statements other than a plain query");
  const std::string_view first(sqlite3_sql(st));
  const auto kw = first.substr(first.find_first_not_of(" \t\r\n("), 6);
  if (!(lower(kw) == "select" || lower(kw.substr(0, 4)) == "with"))
    refuse(prefix + "not allowed: statements other than SELECT");
  for (const char* p = tail; p && p < sql.data() + sql.size(); ++p)
    if (!std::isspace(static_cast<unsigned char>(*p))) refuse(prefix + "not allowed: a second statement");
  return stmt;
}

bool guarded_connection::step(sqlite_stmt& st) {
  try {
    return st.step();
  } catch (const sqlite_error& e) {
    const int primary = e.code & 0xff;
    if (primary == SQLITE_INTERRUPT && timed_out_) {
      std::ostringstream s;
      s << "query exceeded its time limit of " << limit_s_ << " s";
      throw time_limit_exceeded(s.str());
    }
    if (primary == SQLITE_ERROR || primary == SQLITE_TOOBIG || primary == SQLITE_MISMATCH || primary == SQLITE_RANGE)
      throw invalid_argument(std::string("query failed while running: ") + e.what());
    throw;
  }
}

}  // namespace specmill
