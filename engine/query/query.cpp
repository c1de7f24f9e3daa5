#include "engine/query/query.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <charconv>
#include <sstream>

#include "engine/query/query_condition.hpp"

#include "core/error.hpp"
#include "core/mask_bits.hpp"
#include "core/specobjid.hpp"
#include "engine/store/catalog_setting.hpp"
#include "engine/store/store.hpp"
#include "io/catalog/catalog_db.hpp"
#include "io/catalog/catalog_tables.hpp"
#include "io/catalog/pg_catalog.hpp"
#include "io/catalog/pg_guard.hpp"

namespace fs = std::filesystem;

namespace specmill {

struct catalog_query::table_meta {
  std::string name;
  std::string id, ra, dec;           // column names
  bool spectra = false;              // specobj/specobjall: context and block_id columns
  bool has_pmf = false;              // plate, mjd, fiberid columns
  bool rowid = false;                // a rowid table without a column called rowid (SQLite's
                                     // rowid is specmill_rowid in PostgreSQL)
  std::vector<std::string> columns;
};

namespace {

// Above these fractions of the sky a sequential table scan beats the pixel-range join
// (bench_query BM_ConeLarge, docs/store-format.md): the scan delivers rows nearly in ID order,
// which SQLite's sorter likes, and with a constraint on columns outside the covering index the
// join pays a table seek (~6 us) per candidate.
constexpr double full_scan_fraction = 0.15;
constexpr double full_scan_fraction_constrained = 0.05;
// Upper bound on the pixel ranges of one query (SQL text ~40 bytes and ~5 us each).
constexpr size_t max_cover_ranges = 4096;

std::string q(std::string_view id) { return "\"" + std::string(id) + "\""; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::vector<std::string> read_columns(const sqlite_db& db, const std::string& table) {
  sqlite_stmt st(db, "SELECT * FROM " + q(table) + " LIMIT 0");
  std::vector<std::string> out;
  for (int i = 0; i < st.column_count(); ++i) out.push_back(st.column_name(i));
  return out;
}

bool has(const std::vector<std::string>& cols, std::string_view name) {
  return std::any_of(cols.begin(), cols.end(), [&](const std::string& c) { return iequals(c, name); });
}

// specmill_in_region(ra, dec): the exact test of the region being queried (`state` points at
// catalog_query::region_). NULL coordinates are outside.
template <class State>
void sql_in_region(State* state, sql_function_call& call) {
  ++state->tested;
  const sky_region* r = state->region;
  if (!r || call.is_null(0) || call.is_null(1)) return call.result(int64_t(0));
  call.result(int64_t(r->contains(call.f64(0), call.f64(1)) ? 1 : 0));
}

// The first n arguments as doubles; false when one is NULL (the row is then outside).
bool doubles(const sql_function_call& call, int n, double* out) {
  for (int i = 0; i < n; ++i) {
    if (call.is_null(i)) return false;
    out[i] = call.f64(i);
  }
  return true;
}

// q3c_radial_query(ra, dec, ra0, dec0, radius): the same test as a cone region's (a bad cone is
// the statement's error).
void sql_q3c_radial_query(sql_function_call& call) {
  double v[5];
  if (!doubles(call, 5, v)) return call.result(int64_t(0));
  call.result(int64_t(sky_region::cone(v[2], v[3], v[4]).contains(v[0], v[1]) ? 1 : 0));
}

// q3c_dist(ra1, dec1, ra2, dec2): degrees.
void sql_q3c_dist(sql_function_call& call) {
  double v[4];
  if (!doubles(call, 4, v)) return call.result_null();
  call.result(angular_distance_deg(v[0], v[1], v[2], v[3]));
}

// zwarning_has(zwarning, 'SMALL_DELTA_CHI2|MANY_OUTLIERS'): 1 when any named bit is set, 0 when
// none, NULL for a NULL zwarning; an unknown name is the user's error (a 400).
void sql_zwarning_has(sql_function_call& call) {
  if (call.is_null(0)) return call.result_null();
  call.result(int64_t((uint64_t(call.i64(0)) & parse_zwarning_bits(call.text(1))) != 0));
}

// zwarning_bits('NAMES'): the mask, for (zwarning & zwarning_bits('...')) = ... forms.
void sql_zwarning_bits(sql_function_call& call) { call.result(int64_t(parse_zwarning_bits(call.text(0)))); }

std::string join_names(const std::map<std::string, std::shared_ptr<catalog_query::table_meta>>& t) {
  std::string s;
  for (const auto& [name, m] : t)
    if (name != "specobj" && name != "specobjall") s += (s.empty() ? "" : ", ") + name;
  return s.empty() ? "none" : s;
}

// Hidden from the columns users see: the export's copy of SQLite's rowid.
constexpr const char* pg_rowid_column = "specmill_rowid";

}  // namespace

catalog_query::catalog_query(const fs::path& root) : root_(root) {
  if (!fs::is_directory(root)) throw not_found("no store at " + root.string());
  if (const auto url = catalog_url(root)) {
    // One connection per catalog_query: the service holds one per worker thread.
    meta_ = std::make_unique<pg_catalog>(*url);
    pg_ = std::make_unique<pg_guarded_connection>(static_cast<pg_catalog&>(*meta_).connection());
    load_tables();
    return;
  }
  load_tables();
  conn_ = std::make_unique<guarded_connection>(root / "catalog.sqlite");
  for (const auto& [name, m] : tables_) conn_->allow_table(name);
  conn_->db().create_function("specmill_in_region", 2, true,
                               [state = &region_](sql_function_call& call) { sql_in_region(state, call); });
  conn_->allow_function("specmill_in_region");
  // The original service's q3c functions, for conditions where they cannot become the region
  // (under OR or NOT): exact, row by row. A top-level term takes the index path instead
  // (engine/query/query_condition.hpp).
  const auto add = [&](const char* name, int n, void (*fn)(sql_function_call&)) {
    conn_->db().create_function(name, n, false, fn);
    conn_->allow_function(name);
  };
  add("q3c_radial_query", 5, sql_q3c_radial_query);
  add("q3c_dist", 4, sql_q3c_dist);
  add("zwarning_has", 2, sql_zwarning_has);
  add("zwarning_bits", 1, sql_zwarning_bits);
}

catalog_query::~catalog_query() = default;

// Reads the searchable tables and their columns on a plain read-only connection (the guarded
// one's authorizer would refuse reading the `catalogs` registry); trusted code only.
void catalog_query::load_tables() {
  if (!meta_) meta_ = std::make_unique<catalog_db>(root_ / "catalog.sqlite", sqlite_db::mode::read_only);
  catalog_reader& meta = *meta_;
  if (!meta.has_healpix_index())
    throw data_error("the catalog of " + root_.string() + " is format " + std::to_string(meta.version()) +
                     ", without the HEALPix index queries need: run `specmill upgrade --store " + root_.string() +
                     "` once");
  tables_.clear();
  for (const char* name : {"specobjall", "specobj"}) {
    auto m = std::make_shared<table_meta>();
    m->name = name;
    m->id = "specobjid";
    m->ra = "ra";
    m->dec = "dec";
    m->spectra = true;
    m->has_pmf = true;
    m->columns = read_table_columns(name);
    tables_[name] = m;
  }
  for (const auto& info : meta.catalog_tables()) {
    if (!is_plain_identifier(info.name)) continue;  // never interpolate a name we did not validate
    auto m = std::make_shared<table_meta>();
    m->name = info.name;
    m->id = info.id_column;
    m->ra = info.ra_column;
    m->dec = info.dec_column;
    m->columns = read_table_columns(info.name);
    m->has_pmf = has(m->columns, "plate") && has(m->columns, "mjd") && has(m->columns, "fiberid");
    m->rowid = !has(m->columns, "rowid");
    tables_[info.name] = m;
  }
}

std::vector<std::string> catalog_query::read_table_columns(const std::string& table) {
  if (!pg_) return read_columns(static_cast<catalog_db&>(*meta_).db(), table);
  const auto r = static_cast<pg_catalog&>(*meta_).connection().exec("SELECT * FROM " + q(table) + " LIMIT 0");
  std::vector<std::string> out;
  for (int i = 0; i < r.columns(); ++i)
    if (r.column_name(i) != pg_rowid_column) out.push_back(r.column_name(i));
  return out;
}

void catalog_query::allow_tables() {
  if (conn_)
    for (const auto& [name, m] : tables_) conn_->allow_table(name);
}

const std::vector<std::string>& catalog_query::columns(const std::string& table) {
  const auto it = tables_.find(table);
  if (it == tables_.end()) throw invalid_argument("unknown catalog '" + table + "'");
  return it->second->columns;
}

const catalog_query::table_meta& catalog_query::table_for(const query_request& r) {
  if (r.catalog.empty()) return *tables_.at(r.all ? "specobjall" : "specobj");
  if (r.all) throw invalid_argument("--all applies to the spectrum catalog, not to --catalog " + r.catalog);
  if (r.with_pixels) throw invalid_argument("--with-pixels applies to the spectrum catalog, not to --catalog");
  auto it = tables_.find(r.catalog);
  if (it == tables_.end() || it->second->spectra) {
    throw invalid_argument("unknown catalog '" + r.catalog + "' (registered: " + join_names(tables_) +
                           "; add one with `specmill catalog add`)");
  }
  return *it->second;
}

namespace {

// ORDER BY: the chosen column (validated against the table's columns, then quoted), then the ID
// in unsigned order (SPECOBJID is stored as its two's-complement int64: negatives are the IDs
// >= 2^63 and sort after the non-negative ones), then rowid, so that the order is total.
// `sort` is "col [ASC|DESC], ...": each name must be a column of the table (then quoted), each
// direction one of the two words; nothing else of the text reaches SQL.
// PostgreSQL (pg) sorts NULL last in ascending order, SQLite first: the PostgreSQL form says
// NULLS FIRST / NULLS LAST so that both give the same order.
std::string order_by(const catalog_query::table_meta& t, const std::string& sort, bool pg) {
  const auto direction = [pg](bool desc) {
    if (!pg) return std::string(desc ? " DESC" : "");
    return std::string(desc ? " DESC NULLS LAST" : " NULLS FIRST");
  };
  const std::string T = q(t.name);
  std::string order;
  bool id_desc = false;
  size_t from = 0;
  while (!sort.empty() && from <= sort.size()) {
    const size_t comma = std::min(sort.find(',', from), sort.size());
    std::istringstream words(sort.substr(from, comma - from));
    std::string name, dir, extra;
    words >> name >> dir >> extra;
    if (name.size() > 2 && name.front() == '"' && name.back() == '"') name = name.substr(1, name.size() - 2);
    const auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const std::string& c) { return iequals(c, name); });
    if (name.empty() || it == t.columns.end()) throw invalid_argument("unknown sort column '" + name + "' in " + t.name);
    if (!extra.empty() || !(dir.empty() || iequals(dir, "asc") || iequals(dir, "desc")))
      throw invalid_argument("sort: expected column [ASC|DESC], not '" + sort.substr(from, comma - from) + "'");
    const bool desc = iequals(dir, "desc");
    if (iequals(*it, t.id)) {
      id_desc = desc;  // the ID's own key below carries the direction
      break;           // the ID is unique: later keys cannot matter
    }
    order += T + "." + q(*it) + direction(desc) + ", ";
    from = comma + 1;
  }
  const std::string d = direction(id_desc);
  order += "(" + T + "." + q(t.id) + " < 0)" + d + ", " + T + "." + q(t.id) + d;
  if (t.rowid) order += ", " + T + "." + (pg ? q(pg_rowid_column) : std::string("rowid"));
  return order;
}

// The region's pixel ranges at the order the request implies; empty: scan the table instead.
std::vector<healpix_range> region_cover(const query_request& r, bool constrained, int& order_k) {
  order_k = r.cover_order >= 0 ? std::min(r.cover_order, healpix_index_order) : r.region->cover_order();
  if (!r.use_index || r.region->whole_sky()) return {};
  // A fine order on a large region means millions of ranges (and seconds in healpix_cxx):
  // step coarser until the estimate (~4 per pixel-size of radius) fits max_cover_ranges.
  while (order_k > 0 && 4.0 * r.region->bounding_radius_deg() * std::ldexp(1.0, order_k) / 58.63 > max_cover_ranges)
    --order_k;
  auto cover = r.region->cover(order_k);
  while (cover.size() > max_cover_ranges && order_k > 0) cover = r.region->cover(--order_k);
  const double scan_above = constrained ? full_scan_fraction_constrained : full_scan_fraction;
  if (r.cover_order == -1 && healpix_cover_fraction(cover) > scan_above) cover.clear();
  return cover;
}

}  // namespace

// SELECT id, ra, dec, plate, mjd, fiberid over the request's table, ranges, filters and order,
// with parameters ?1 context, ?2 limit, ?3 offset (docs/store-format.md shows its shape).
std::string catalog_query::build_sql(const query_request& r, const table_meta& t, query_summary& sum) {
  const std::string T = q(t.name);
  const bool constrained = r.constraint.find_first_not_of(" \t\r\n\f") != std::string::npos;
  std::string with, from = T, where;
  auto conj = [&](const std::string& term) { where += (where.empty() ? "" : " AND ") + term; };
  if (r.region) {
    int order_k = 0;
    const auto cover = region_cover(r, constrained, order_k);
    if (!cover.empty()) {
      // Pixel numbers are our own integers: written inline rather than bound, which keeps
      // SQLite's parameter limit out of the way of large covers.
      with = "WITH specmill_cover(specmill_lo, specmill_hi) AS (VALUES ";
      for (size_t i = 0; i < cover.size(); ++i)
        with += (i ? ",(" : "(") + std::to_string(cover[i].first) + "," + std::to_string(cover[i].last) + ")";
      with += ")\n";
      from = "specmill_cover CROSS JOIN " + T;  // CROSS JOIN: the range list drives the index
      conj(T + ".healpix BETWEEN specmill_lo AND specmill_hi");
      sum.order = order_k;
      sum.ranges = cover.size();
    }
    conj("specmill_in_region(" + T + "." + q(t.ra) + ", " + T + "." + q(t.dec) + ")");
  }
  if (t.spectra) {
    // Unary '+' keeps these terms away from the planner's index choice: without ANALYZE
    // statistics SQLite prefers the primary key's `context = ?` (every row of the context)
    // over the HEALPix ranges.
    conj("+" + T + ".context = ?1");
    if (r.with_pixels) conj("+" + T + ".block_id IS NOT NULL");
  }
  if (constrained) {
    check_where_clause(r.constraint);
    // First alone against the table: unknown columns and refused actions are reported against
    // the user's text, and no SQL parameter may hide in it.
    auto probe = conn_->prepare("SELECT 1 FROM " + T + " WHERE (\n" + r.constraint + "\n)", "invalid constraint");
    if (probe.parameter_count() != 0)
      throw invalid_argument("invalid constraint: not allowed: SQL parameters (?, :name, @name, $name)");
    conj("(\n" + r.constraint + "\n)");
  }
  const std::string pmf = t.has_pmf ? T + ".plate, " + T + ".mjd, " + T + ".fiberid" : "NULL, NULL, NULL";
  std::string extra;
  for (const auto& f : field_names(r)) extra += ", " + T + "." + q(f);
  return with + "SELECT " + T + "." + q(t.id) + ", " + T + "." + q(t.ra) + ", " + T + "." + q(t.dec) + ", " + pmf +
         extra + " FROM " + from + (where.empty() ? "" : " WHERE " + where) + " ORDER BY " + order_by(t, r.sort, false) +
         " LIMIT ?2 OFFSET ?3";
}

std::vector<std::string> catalog_query::field_names(const query_request& r) {
  if (!r.catalog.empty() && !tables_.count(r.catalog)) {  // registered since we opened?
    load_tables();
    allow_tables();
  }
  const table_meta& t = table_for(r);
  std::vector<std::string> out;
  for (const auto& f : r.fields) {
    const auto it = std::find_if(t.columns.begin(), t.columns.end(), [&](const std::string& c) { return iequals(c, f); });
    if (it == t.columns.end()) throw invalid_argument("unknown field '" + f + "' in " + t.name);
    out.push_back(*it);
  }
  return out;
}

namespace {

// One delivered field as text (query_row::values).
std::string field_text(sqlite_stmt& st, int i, bool unsigned_id) {
  switch (st.column_type(i)) {
    case sqlite_stmt::type::null: return {};
    case sqlite_stmt::type::integer: {
      const int64_t v = st.i64(i);
      return unsigned_id ? std::to_string(uint64_t(v)) : std::to_string(v);
    }
    case sqlite_stmt::type::real: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, st.f64(i));
      return std::string(buf, r.ptr);
    }
    default: return st.text(i);
  }
}

}  // namespace

query_summary catalog_query::run(const query_request& r, const std::function<void(const query_row&)>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!r.catalog.empty() && !tables_.count(r.catalog)) {  // registered since we opened?
    load_tables();
    allow_tables();
  }
  const table_meta& t = table_for(r);
  if (r.limit && *r.limit < 0) throw invalid_argument("limit must be >= 0");
  if (r.offset < 0) throw invalid_argument("offset must be >= 0");
  query_summary sum;
  sum.table = t.name;
  if (pg_) return run_pg(r, t, sum, fn);
  const std::string sql = build_sql(r, t, sum);
  if (t.spectra && !meta_->has_context(r.context)) {
    std::string known;
    for (const auto& c : meta_->contexts()) known += (known.empty() ? "" : ", ") + c.name;
    throw not_found("unknown context '" + r.context + "' (store has: " + (known.empty() ? "none" : known) + ")");
  }
  auto st = conn_->prepare(sql, "invalid query");
  if (t.spectra) st.bind(1, std::string_view(r.context));
  st.bind(2, r.limit ? *r.limit + 1 : int64_t(-1));  // one more than asked: is there a next page?
  st.bind(3, r.offset);

  region_ = {r.region ? &*r.region : nullptr, 0};
  conn_->start_clock(r.time_limit_s);
  struct reset_region {
    region_state& s;
    ~reset_region() { s.region = nullptr; }
  } guard{region_};
  query_row row;
  while (conn_->step(st)) {
    if (r.limit && int64_t(sum.rows) == *r.limit) {
      sum.more = true;
      break;
    }
    row.specobjid = st.id(0);
    row.ra = st.f64(1);
    row.dec = st.f64(2);
    if (st.is_null(3)) {
      const auto k = unpack_specobjid(row.specobjid);
      row.plate = k.plate;
      row.mjd = k.mjd;
      row.fiberid = k.fiberid;
    } else {
      row.plate = int32_t(st.i64(3));
      row.mjd = int32_t(st.i64(4));
      row.fiberid = int32_t(st.i64(5));
    }
    row.values.clear();
    for (size_t k = 0; k < r.fields.size(); ++k) row.values.push_back(field_text(st, int(6 + k), iequals(r.fields[k], t.id)));
    fn(row);
    ++sum.rows;
  }
  sum.tested = region_.tested;
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  spdlog::debug("query on {}: {} rows, order {}, {} ranges, {:.4f} s", t.name, sum.rows, sum.order, sum.ranges,
                sum.seconds);
  return sum;
}

namespace {

std::string float8(double v) {
  char buf[32];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return "'" + std::string(buf, r.ptr) + "'::float8";
}

// The region as q3c sees it. Positions that sky_region::contains calls invalid (NULL,
// infinite, |dec| > 90) are outside here too; the whole sky is every valid position.
std::string pg_region_term(const sky_region& g, const std::string& ra, const std::string& dec) {
  std::string valid = ra + " > '-Infinity'::float8 AND " + ra + " < 'Infinity'::float8 AND " + dec +
                      " BETWEEN -90 AND 90";
  if (g.whole_sky()) return valid;
  if (g.is_cone()) {
    // q3c_radial_query keeps points strictly inside; specmill's cone includes its boundary. So
    // the index search runs on a radius a hair larger, and the exact test is q3c's own
    // distance (sin^2 of half the angle, as q3c_radial_query computes it) with <=.
    const auto& c = g.points().front();
    const double r = g.bounding_radius_deg();
    const double half = std::sin(0.5 * r * deg_to_rad);
    return "q3c_radial_query(" + pg_q3c_ra(ra) + ", " + dec + ", " + float8(c.ra) + ", " + float8(c.dec) + ", " +
           float8(r * (1 + 1e-9) + 1e-12) + ") AND q3c_sindist(" + ra + ", " + dec + ", " + float8(c.ra) + ", " +
           float8(c.dec) + ") <= " + float8(half * half) + " AND " + valid;
  }
  std::string poly = "ARRAY[";
  for (size_t i = 0; i < g.points().size(); ++i)
    poly += (i ? ", " : "") + float8(g.points()[i].ra) + ", " + float8(g.points()[i].dec);
  return "q3c_poly_query(" + pg_q3c_ra(ra) + ", " + dec + ", " + poly + "]) AND " + valid;
}

// One delivered field as text (query_row::values), as field_text gives it from SQLite.
std::string pg_field_text(const pg_result_set& res, int row, int c, bool unsigned_id) {
  if (res.is_null(row, c)) return {};
  switch (res.column_kind(c)) {
    case pg_result_set::kind::integer: {
      const int64_t v = res.i64(row, c);
      return unsigned_id ? std::to_string(uint64_t(v)) : std::to_string(v);
    }
    case pg_result_set::kind::real: {
      char buf[32];
      const auto r = std::to_chars(buf, buf + sizeof buf, res.f64(row, c));
      return std::string(buf, r.ptr);
    }
    default: return std::string(res.text(row, c));
  }
}

}  // namespace

// The PostgreSQL form of build_sql: the same columns, filters and order, the region as a q3c
// call (which uses the q3c index on (ra, dec)), limit and offset inline.
std::string catalog_query::build_pg_sql(const query_request& r, const table_meta& t) {
  const std::string T = q(t.name);
  std::string where;
  auto conj = [&](const std::string& term) { where += (where.empty() ? "" : " AND ") + term; };
  if (r.region) conj(pg_region_term(*r.region, T + "." + q(t.ra), T + "." + q(t.dec)));
  if (t.spectra) {
    conj(T + ".context = " + pg_->db().quote_literal(r.context));
    if (r.with_pixels) conj(T + ".block_id IS NOT NULL");
  }
  if (r.constraint.find_first_not_of(" \t\r\n\f") != std::string::npos) {
    check_where_clause(r.constraint);
    check_pg_constraint(r.constraint);
    conj("(\n" + r.constraint + "\n)");
  }
  const std::string pmf = t.has_pmf ? T + ".plate, " + T + ".mjd, " + T + ".fiberid" : "NULL, NULL, NULL";
  std::string extra;
  for (const auto& f : field_names(r)) extra += ", " + T + "." + q(f);
  std::string sql = "SELECT " + T + "." + q(t.id) + ", " + T + "." + q(t.ra) + ", " + T + "." + q(t.dec) + ", " + pmf +
                    extra + " FROM " + T + (where.empty() ? "" : " WHERE " + where) + "\nORDER BY " +
                    order_by(t, r.sort, true);
  if (r.limit) sql += " LIMIT " + std::to_string(*r.limit + 1);  // one more: is there a next page?
  if (r.offset) sql += " OFFSET " + std::to_string(r.offset);
  return sql;
}

query_summary catalog_query::run_pg(const query_request& r, const table_meta& t, query_summary sum,
                                    const std::function<void(const query_row&)>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  const std::string sql = build_pg_sql(r, t);
  if (t.spectra && !meta_->has_context(r.context)) {
    std::string known;
    for (const auto& c : meta_->contexts()) known += (known.empty() ? "" : ", ") + c.name;
    throw not_found("unknown context '" + r.context + "' (store has: " + (known.empty() ? "none" : known) + ")");
  }
  query_row row;
  pg_->run(sql, r.time_limit_s, [&](const pg_result_set& res, int i) {
    if (r.limit && int64_t(sum.rows) == *r.limit) {
      sum.more = true;
      return false;
    }
    row.specobjid = res.id(i, 0);
    row.ra = res.is_null(i, 1) ? std::nan("") : res.f64(i, 1);
    row.dec = res.is_null(i, 2) ? std::nan("") : res.f64(i, 2);
    if (res.is_null(i, 3)) {
      const auto k = unpack_specobjid(row.specobjid);
      row.plate = k.plate;
      row.mjd = k.mjd;
      row.fiberid = k.fiberid;
    } else {
      row.plate = int32_t(res.i64(i, 3));
      row.mjd = int32_t(res.i64(i, 4));
      row.fiberid = int32_t(res.i64(i, 5));
    }
    row.values.clear();
    for (size_t k = 0; k < r.fields.size(); ++k)
      row.values.push_back(pg_field_text(res, i, int(6 + k), iequals(r.fields[k], t.id)));
    fn(row);
    ++sum.rows;
    return true;
  });
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

std::vector<query_row> catalog_query::run(const query_request& r, query_summary* summary) {
  std::vector<query_row> rows;
  const auto s = run(r, [&](const query_row& row) { rows.push_back(row); });
  if (summary) *summary = s;
  return rows;
}

query_summary run_query(const store& st, const query_request& r, const std::function<void(const query_row&)>& fn) {
  catalog_query cq(st.root());
  return cq.run(r, fn);
}

std::vector<query_row> run_query(const store& st, const query_request& r) {
  catalog_query cq(st.root());
  return cq.run(r);
}

}  // namespace specmill
