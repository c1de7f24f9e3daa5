#include "io/catalog/catalog_tables.hpp"

#include <algorithm>
#include <array>

#include "core/error.hpp"
#include "io/catalog/healpix.hpp"

namespace specmill {
namespace {

// Tables of the store itself, and names SQLite or specmill keep for themselves.
constexpr std::array<std::string_view, 7> reserved = {"specobjall", "specobj", "contexts", "blocks",
                                                      "store_info", "ingested_files", "catalogs"};

std::string sql_quote(std::string_view id) { return "\"" + std::string(id) + "\""; }

const char* type_name(sql_type t) {
  switch (t) {
    case sql_type::integer: return "INTEGER";
    case sql_type::real: return "REAL";
    default: return "TEXT";
  }
}

std::optional<double> number(const sql_value& v) {
  if (const auto* i = std::get_if<int64_t>(&v)) return double(*i);
  if (const auto* d = std::get_if<double>(&v)) return *d;
  return std::nullopt;
}

catalog_table_info read_info(const sqlite_stmt& st) {
  return {st.text(0), st.text(1), st.i64(2), st.text(3), st.text(4), st.text(5), st.text(6)};
}

constexpr const char* select_info =
    "SELECT name, source, rows, id_column, ra_column, dec_column, created FROM catalogs ";

}  // namespace

bool is_plain_identifier(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  if (!(name[0] == '_' || (name[0] >= 'a' && name[0] <= 'z'))) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); });
}

std::string sql_identifier(std::string_view fits_name) {
  std::string s;
  for (char c : fits_name) {
    if (c >= 'A' && c <= 'Z') c = char(c - 'A' + 'a');
    s += (c == '_' || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) ? c : '_';
  }
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) s = "c" + s;
  return s.substr(0, 64);
}

void check_catalog_name(std::string_view name) {
  if (!is_plain_identifier(name) || name[0] == '_')
    throw invalid_argument("catalog name '" + std::string(name) +
                           "' is not allowed: use lowercase letters, digits and '_', starting with a letter, "
                           "at most 64 characters");
  if (std::find(reserved.begin(), reserved.end(), name) != reserved.end() || name.rfind("sqlite_", 0) == 0 ||
      name.rfind("specmill_", 0) == 0)
    throw invalid_argument("catalog name '" + std::string(name) + "' is reserved by the store");
}

std::vector<catalog_table_info> list_catalog_tables(const sqlite_db& db) {
  sqlite_stmt st(db, std::string(select_info) + "ORDER BY name");
  std::vector<catalog_table_info> out;
  while (st.step()) out.push_back(read_info(st));
  return out;
}

std::optional<catalog_table_info> find_catalog_table(const sqlite_db& db, std::string_view name) {
  sqlite_stmt st(db, std::string(select_info) + "WHERE name = ?1");
  st.bind(1, name);
  if (st.step()) return read_info(st);
  return std::nullopt;
}

catalog_table_writer::catalog_table_writer(sqlite_db& db, catalog_table_info info, std::vector<table_column> columns,
                                           bool replace)
    : db_(db), info_(std::move(info)), columns_(std::move(columns)) {
  check_catalog_name(info_.name);
  auto index_of = [&](const std::string& name, const char* role) {
    for (size_t i = 0; i < columns_.size(); ++i)
      if (columns_[i].name == name) return i;
    throw invalid_argument(std::string(role) + " column '" + name + "' is not among the table's columns");
  };
  ra_ = index_of(info_.ra_column, "RA");
  dec_ = index_of(info_.dec_column, "Dec");
  index_of(info_.id_column, "ID");
  for (const auto& c : columns_) {
    if (!is_plain_identifier(c.name)) throw invalid_argument("column name '" + c.name + "' is not a plain identifier");
    if (c.name == "healpix") throw invalid_argument("column name 'healpix' is reserved for the index");
  }
  const bool exists = find_catalog_table(db_, info_.name).has_value();
  if (exists && !replace)
    throw invalid_argument("catalog '" + info_.name + "' already exists (use --replace to load it again)");
  if (exists) {
    db_.exec("DROP TABLE IF EXISTS " + sql_quote(info_.name));
    sqlite_stmt del(db_, "DELETE FROM catalogs WHERE name = ?1");
    del.bind(1, std::string_view(info_.name)).run();
  }
  std::string ddl = "CREATE TABLE " + sql_quote(info_.name) + "(", ins = "INSERT INTO " + sql_quote(info_.name) + " VALUES(";
  for (size_t i = 0; i < columns_.size(); ++i) {
    ddl += sql_quote(columns_[i].name) + " " + type_name(columns_[i].type) + ", ";
    ins += "?" + std::to_string(i + 1) + ", ";
  }
  ddl += "healpix INTEGER)";
  ins += "?" + std::to_string(columns_.size() + 1) + ")";
  try {
    db_.exec(ddl);
  } catch (const sqlite_error& e) {  // e.g. a table of that name that is not a registered catalog
    throw invalid_argument("cannot create catalog table '" + info_.name + "': " + e.what());
  }
  insert_ = sqlite_stmt(db_, ins);
}

bool catalog_table_writer::insert(const std::vector<sql_value>& row) {
  SPECMILL_EXPECTS(row.size() == columns_.size(), "catalog row has the wrong number of values");
  for (size_t i = 0; i < row.size(); ++i) insert_.bind(int(i + 1), row[i]);
  const auto ra = number(row[ra_]), dec = number(row[dec_]);
  const auto pix = ra && dec ? healpix_index(*ra, *dec) : std::nullopt;
  if (pix) insert_.bind(int(row.size() + 1), *pix);
  else insert_.bind_null(int(row.size() + 1));
  insert_.run();
  ++rows_;
  return pix.has_value();
}

void catalog_table_writer::finish() {
  // Built after the rows: one sort instead of a B-tree insert per row. (healpix, ra, dec) lets
  // the exact region test run on the index alone, before any table row is read; partial, like
  // specobjall's, so that scans without a healpix range never go through it.
  db_.exec("CREATE INDEX " + sql_quote(info_.name + "_healpix") + " ON " + sql_quote(info_.name) + "(healpix, " +
           sql_quote(info_.ra_column) + ", " + sql_quote(info_.dec_column) + ") WHERE healpix IS NOT NULL");
  sqlite_stmt reg(db_,
                  "INSERT INTO catalogs(name, source, rows, id_column, ra_column, dec_column) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  reg.bind(1, std::string_view(info_.name)).bind(2, std::string_view(info_.source)).bind(3, rows_);
  reg.bind(4, std::string_view(info_.id_column)).bind(5, std::string_view(info_.ra_column));
  reg.bind(6, std::string_view(info_.dec_column)).run();
}

}  // namespace specmill
