#include "io/catalog/pg_guard.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace specmill {
namespace {

[[noreturn]] void refuse(const std::string& why) { throw invalid_argument("invalid constraint: " + why); }

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || (c & 0x80); }
bool ident_char(char c) { return ident_start(c) || std::isdigit(static_cast<unsigned char>(c)); }

// Words that may stand before '(' without being a function call.
const std::set<std::string, std::less<>>& keywords() {
  static const std::set<std::string, std::less<>> k = {
      "and", "or", "not", "in", "exists", "any", "all", "some", "array", "values", "select", "from", "where",
      "case", "when", "then", "else", "end", "between", "like", "ilike", "similar", "is", "null", "row",
      "distinct", "on", "as", "join", "using", "escape", "by", "union", "intersect", "except", "with", "over",
      "filter", "within", "cast"};
  return k;
}

struct token {
  enum kind { ident, quoted, punct, literal } k;
  std::string text;  // identifiers lowercased, quoted names as written
};

std::vector<token> tokens_of(std::string_view t) {
  std::vector<token> out;
  for (size_t i = 0; i < t.size();) {
    const char c = t[i];
    const char next = i + 1 < t.size() ? t[i + 1] : '\0';
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      std::string body;
      for (; j < t.size(); ++j) {
        if (t[j] != c) {
          body += t[j];
          continue;
        }
        if (j + 1 < t.size() && t[j + 1] == c) {  // doubled: escaped
          body += c;
          ++j;
          continue;
        }
        break;
      }
      if (j >= t.size()) refuse(c == '\'' ? "unterminated string literal" : "unterminated quoted name");
      out.push_back({c == '\'' ? token::literal : token::quoted, body});
      i = j + 1;
    } else if (ident_start(c)) {
      size_t j = i;
      while (j < t.size() && ident_char(t[j])) ++j;
      const std::string word = lower(t.substr(i, j - i));
      // E'...' reads backslash escapes and U&'...' Unicode escapes: text that check_where_clause
      // and this lexer would read differently from the server. Not allowed.
      if (j < t.size() && t[j] == '\'' && (word == "e" || word == "u"))
        refuse("escape string literals (E'...', U&'...') are not allowed");
      if (word == "u" && j + 1 < t.size() && t[j] == '&') refuse("escape string literals (E'...', U&'...') are not allowed");
      out.push_back({token::ident, word});
      i = j;
    } else if ((c == '-' && next == '-') || (c == '/' && next == '*')) {
      refuse("comments ('--', '/*') are not allowed");
    } else if (c == ';') {
      refuse("a second statement (';') is not allowed");
    } else if (c == '$') {
      refuse("SQL parameters and dollar quoting ('$') are not allowed");
    } else if (c == '`' || c == '\\') {
      refuse(std::string("'") + c + "' is not allowed");
    } else if (c == ':' && next == ':') {
      out.push_back({token::punct, "::"});
      i += 2;
    } else {
      out.push_back({token::punct, std::string(1, c)});
      ++i;
    }
  }
  return out;
}

bool is_system_name(std::string_view name) {
  const std::string n = lower(name);
  return n.rfind("pg_", 0) == 0 || n == "information_schema";
}

}  // namespace

const std::set<std::string, std::less<>>& allowed_pg_functions() {
  // As allowed_sql_functions() for SQLite: deterministic, side-effect free, no large
  // intermediate values; the q3c functions of the original service's conditions.
  static const std::set<std::string, std::less<>> names = {
      "abs", "coalesce", "nullif", "greatest", "least", "length", "char_length", "lower", "upper", "ltrim", "rtrim",
      "btrim", "trim", "max", "min", "round", "sign", "substr", "substring", "position", "strpos", "chr", "ascii",
      "avg", "count", "sum",
      "acos", "asin", "atan", "atan2", "ceil", "ceiling", "cos", "cosh", "degrees", "exp", "floor", "ln", "log",
      "log10", "mod", "pi", "power", "radians", "sin", "sinh", "sqrt", "tan", "tanh", "trunc", "cbrt",
      "q3c_radial_query", "q3c_dist", "q3c_poly_query", "q3c_sindist"};
  return names;
}

void check_pg_constraint(std::string_view text) {
  const auto toks = tokens_of(text);
  for (size_t i = 0; i < toks.size(); ++i) {
    const token& t = toks[i];
    if (t.k != token::ident && t.k != token::quoted) continue;
    if (is_system_name(t.text)) refuse("system catalogs are not allowed ('" + t.text + "')");
    // As on SQLite: a recursive WITH can run unbounded before the time limit stops it.
    if (t.k == token::ident && t.text == "recursive") refuse("recursive WITH is not allowed");
    const bool call = i + 1 < toks.size() && toks[i + 1].k == token::punct && toks[i + 1].text == "(";
    const bool qualified = i + 1 < toks.size() && toks[i + 1].k == token::punct && toks[i + 1].text == ".";
    // A type (x::numeric(5, 2), CAST(x AS varchar(9))) or a name that a column list follows
    // (WITH r(x), INTO t(x), TABLE t(x)): not a call; the server decides whether it is valid.
    const bool type_name = i > 0 && ((toks[i - 1].k == token::punct && toks[i - 1].text == "::") ||
                                     (toks[i - 1].k == token::ident &&
                                      (toks[i - 1].text == "as" || toks[i - 1].text == "with" ||
                                       toks[i - 1].text == "into" || toks[i - 1].text == "table")));
    if (qualified && i + 2 < toks.size() && i + 3 < toks.size() && toks[i + 3].k == token::punct &&
        toks[i + 3].text == "(")
      refuse("schema-qualified functions are not allowed ('" + t.text + "." + toks[i + 2].text + "')");
    if (!call || type_name) continue;
    if (t.k == token::ident && keywords().count(t.text)) continue;
    if (t.k == token::quoted || !allowed_pg_functions().count(t.text))
      refuse("function " + t.text + "() is not allowed");
  }
}

pg_guarded_connection::pg_guarded_connection(pg_connection& conn) : conn_(conn) {
  conn_.exec("SET standard_conforming_strings = on");
  const auto r = conn_.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {std::string(pg_reader_role)});
  if (r.rows() == 0)
    throw data_error(std::string("the PostgreSQL catalog has no role ") + pg_reader_role +
                     " for user constraints: run `specmill catalog export` again");
}

void pg_guarded_connection::run(const std::string& sql, double seconds,
                                const std::function<bool(const pg_result_set&, int)>& row) {
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(seconds));
  auto timeout_ms = [&]() -> int64_t {
    if (seconds <= 0) return 0;  // 0: no statement_timeout
    const auto left = std::chrono::duration<double, std::milli>(deadline - clock::now()).count();
    return std::max<int64_t>(1, int64_t(std::ceil(left)));
  };
  auto stopped = [&] {
    std::ostringstream s;
    s << "query exceeded its time limit of " << seconds << " s";
    return time_limit_exceeded(s.str());
  };
  try {
    pg_transaction tx(conn_, "BEGIN TRANSACTION READ ONLY");
    conn_.exec(std::string("SET LOCAL ROLE ") + pg_reader_role);
    conn_.exec("SET LOCAL statement_timeout = " + std::to_string(timeout_ms()));
    // One statement only: PQexecParams (the extended protocol) refuses a second.
    conn_.exec("DECLARE specmill_query NO SCROLL CURSOR FOR " + sql, {});
    for (bool more = true; more;) {
      if (seconds > 0 && clock::now() >= deadline) throw stopped();
      conn_.exec("SET LOCAL statement_timeout = " + std::to_string(timeout_ms()));
      const auto r = conn_.exec("FETCH 1000 FROM specmill_query", {});
      for (int i = 0; i < r.rows() && more; ++i) more = row(r, i);
      if (r.rows() < 1000) more = false;
    }
  } catch (const pg_error& e) {
    const std::string& s = e.sqlstate;
    if (s == "57014") throw stopped();  // query_canceled: the statement_timeout
    // Syntax and access (42), data (22), cardinality (21), read-only (25), not supported (0A),
    // program limits (54), invalid role/authorization in user SQL (28, 2F, 38, 39).
    const std::string cls = s.substr(0, 2);
    if (cls == "42" || cls == "22" || cls == "21" || cls == "25" || cls == "0A" || cls == "54" || cls == "2F" ||
        cls == "38" || cls == "39" || cls == "2B")
      throw invalid_argument(std::string("invalid constraint: ") + e.what());
    throw;
  }
}

}  // namespace specmill
