#include "io/catalog/pg_export.hpp"

#include <spdlog/spdlog.h>

#include <charconv>
#include <chrono>
#include <cmath>

#include "core/error.hpp"
#include "io/catalog/pg.hpp"
#include "io/catalog/pg_catalog.hpp"
#include "io/catalog/pg_guard.hpp"

namespace specmill {
namespace {

struct column {
  std::string name;
  std::string pg_type;
};

// SQLite's declared type affinity (https://sqlite.org/datatype3.html, 3.1) as a PostgreSQL type.
// Text is COLLATE "C": byte order, as SQLite's BINARY collation sorts.
std::string pg_type_of(std::string declared) {
  for (char& c : declared) c = char(std::toupper(static_cast<unsigned char>(c)));
  if (declared.find("INT") != std::string::npos) return "bigint";
  if (declared.find("CHAR") != std::string::npos || declared.find("CLOB") != std::string::npos ||
      declared.find("TEXT") != std::string::npos)
    return "text COLLATE \"C\"";
  return "double precision";  // REAL, FLOA, DOUB, and the numeric rest
}

std::vector<column> columns_of(const sqlite_db& db, const std::string& table) {
  sqlite_stmt st(db, "SELECT name, type FROM pragma_table_info(?1) ORDER BY cid");
  st.bind(1, std::string_view(table));
  std::vector<column> out;
  while (st.step()) out.push_back({st.text(0), pg_type_of(st.text(1))});
  if (out.empty()) throw data_error("catalog has no table " + table);
  return out;
}

// One value in COPY's text format: \N for NULL, backslash escapes in text.
void append_value(std::string& line, const sqlite_stmt& st, int i) {
  switch (st.column_type(i)) {
    case sqlite_stmt::type::null: line += "\\N"; return;
    case sqlite_stmt::type::integer: line += std::to_string(st.i64(i)); return;
    case sqlite_stmt::type::real: {
      const double v = st.f64(i);
      if (std::isinf(v)) {
        line += v > 0 ? "Infinity" : "-Infinity";
        return;
      }
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, v);
      line.append(buf, r.ptr);
      return;
    }
    default:
      for (char c : st.text(i)) {
        switch (c) {
          case '\\': line += "\\\\"; break;
          case '\t': line += "\\t"; break;
          case '\n': line += "\\n"; break;
          case '\r': line += "\\r"; break;
          default: line += c;
        }
      }
  }
}

// Creates `table` in PostgreSQL like the SQLite one and copies its rows; returns the row count.
// `rowid`: also copy SQLite's rowid as specmill_rowid (the query order's last tie-breaker).
int64_t copy_table(sqlite_db& src, pg_connection& pg, const std::string& table, bool rowid) {
  const auto cols = columns_of(src, table);
  std::string create = "CREATE TABLE " + pg_connection::quote_identifier(table) + " (";
  std::string select = "SELECT ";
  std::string names;
  for (size_t i = 0; i < cols.size(); ++i) {
    create += (i ? ", " : "") + pg_connection::quote_identifier(cols[i].name) + " " + cols[i].pg_type;
    select += (i ? ", " : "") + std::string("\"") + cols[i].name + "\"";
    names += (i ? ", " : "") + pg_connection::quote_identifier(cols[i].name);
  }
  if (rowid) {
    create += ", specmill_rowid bigint";
    select += ", rowid";
    names += ", specmill_rowid";
  }
  pg.exec(create + ")");
  sqlite_stmt st(src, select + " FROM \"" + table + "\"");
  const int n = st.column_count();
  int64_t rows = 0;
  pg.copy_in("COPY " + pg_connection::quote_identifier(table) + " (" + names + ") FROM STDIN",
             [&](std::string& chunk) {
               while (chunk.size() < (1 << 20)) {
                 if (!st.step()) return false;
                 for (int i = 0; i < n; ++i) {
                   if (i) chunk += '\t';
                   append_value(chunk, st, i);
                 }
                 chunk += '\n';
                 ++rows;
               }
               return true;
             });
  return rows;
}

void ensure_reader_role(pg_connection& pg) {
  const std::string role = pg_connection::quote_identifier(pg_reader_role);
  try {
    if (pg.exec("SELECT 1 FROM pg_roles WHERE rolname = $1", {std::string(pg_reader_role)}).rows() == 0)
      pg.exec("CREATE ROLE " + role + " NOLOGIN");
  } catch (const pg_error& e) {
    // Two exports at once: the other created it (duplicate_object, or unique_violation on the
    // catalog when both inserted at the same moment).
    if (e.sqlstate != "42710" && e.sqlstate != "23505") throw;
  }
  // The exporting user becomes a member, so that the service (connecting as that user) may
  // SET ROLE to it. A superuser needs no membership; refusing one is PostgreSQL's business.
  try {
    pg.exec("GRANT " + role + " TO CURRENT_USER");
  } catch (const pg_error& e) {
    spdlog::debug("GRANT {} TO CURRENT_USER: {}", pg_reader_role, e.what());
  }
}

}  // namespace

pg_export_summary export_to_postgres(catalog_db& source, const std::string& url) {
  const auto t0 = std::chrono::steady_clock::now();
  if (source.version() != catalog_db::format_version)
    throw data_error("the SQLite catalog is format " + std::to_string(source.version()) + ": run `specmill upgrade` first");
  pg_connection pg(url);
  try {
    pg.exec("CREATE EXTENSION IF NOT EXISTS q3c");
  } catch (const pg_error& e) {
    throw io_error(std::string("the PostgreSQL database needs the q3c extension (Debian: postgresql-15-q3c; "
                               "CREATE EXTENSION q3c as its owner): ") + e.what());
  }
  ensure_reader_role(pg);
  sqlite_db& src = source.db();
  const auto registered = source.catalog_tables();

  pg_export_summary sum;
  pg_transaction tx(pg);
  // What an earlier export left: its registered tables (named in its catalogs table) first.
  if (pg.exec("SELECT 1 FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'catalogs'").rows()) {
    const auto old = pg.exec("SELECT name FROM catalogs");
    for (int i = 0; i < old.rows(); ++i)
      pg.exec("DROP TABLE IF EXISTS " + pg_connection::quote_identifier(std::string(old.text(i, 0))));
  }
  pg.exec("DROP VIEW IF EXISTS specobj; DROP TABLE IF EXISTS specobjall, blocks, contexts, catalogs, store_info");
  for (const char* t : {"store_info", "contexts", "blocks", "specobjall", "catalogs"})
    sum.tables.push_back({t, copy_table(src, pg, t, false)});
  for (const auto& c : registered) {
    pg.exec("DROP TABLE IF EXISTS " + pg_connection::quote_identifier(c.name));
    sum.tables.push_back({c.name, copy_table(src, pg, c.name, true)});
  }

  // The SQLite catalog's keys and indexes, with q3c's in place of HEALPix.
  pg.exec(
      "ALTER TABLE store_info ADD PRIMARY KEY (key);"
      "ALTER TABLE contexts ADD PRIMARY KEY (name);"
      "ALTER TABLE blocks ADD PRIMARY KEY (block_id);"
      "ALTER TABLE catalogs ADD PRIMARY KEY (name);"
      "ALTER TABLE specobjall ADD PRIMARY KEY (context, specobjid);"
      "CREATE INDEX specobjall_specobjid ON specobjall (specobjid);"
      "CREATE INDEX specobjall_pmf ON specobjall (context, plate, mjd, fiberid);"
      "CREATE INDEX specobjall_location ON specobjall (block_id, block_row);"
      "CREATE INDEX specobjall_q3c ON specobjall (q3c_ang2ipix(" + pg_q3c_ra("ra") + ", dec));"
      "CREATE VIEW specobj AS SELECT * FROM specobjall WHERE specprimary = 1;");
  const std::string reader = pg_connection::quote_identifier(pg_reader_role);
  pg.exec("GRANT USAGE ON SCHEMA " + pg_connection::quote_identifier(std::string(pg.exec("SELECT current_schema()").text(0, 0))) +
          " TO " + reader);
  pg.exec("GRANT SELECT ON specobjall, specobj TO " + reader);
  for (const auto& c : registered) {
    const std::string T = pg_connection::quote_identifier(c.name);
    pg.exec("CREATE INDEX " + pg_connection::quote_identifier(c.name + "_q3c") + " ON " + T + " (q3c_ang2ipix(" +
            pg_q3c_ra(pg_connection::quote_identifier(c.ra_column)) + ", " +
            pg_connection::quote_identifier(c.dec_column) + "))");
    pg.exec("CREATE INDEX " + pg_connection::quote_identifier(c.name + "_id") + " ON " + T + " (" +
            pg_connection::quote_identifier(c.id_column) + ")");
    pg.exec("GRANT SELECT ON " + T + " TO " + reader);
  }
  tx.commit();
  pg.exec("ANALYZE specobjall");
  for (const auto& c : registered) pg.exec("ANALYZE " + pg_connection::quote_identifier(c.name));
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace specmill
