// /query: cone, polygon and SQL-constraint searches (engine/query/query.hpp) with the engine's guard:
// read-only connection, authorizer, time limit (limits.query_seconds). Parameters:
//   ra, dec, size            a cone (degrees), the original client's (ra, dec, size)
//   region                   polygon vertices: JSON [[ra, dec], ...] or the original's
//                            Python text "[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]"
//   constraint               an SQL where clause over the table's columns
//   cond                     the original client's WHERE fragment: q3c_radial_query /
//                            q3c_poly_query terms become the region, a trailing ORDER BY /
//                            LIMIT / OFFSET the sort and paging (engine/query/query_condition.hpp)
//   id                       the rows of these spectra (any id_list form), primary or not
//   fields                   specobjid (default) | tuple | a comma list of the table's columns
//   primary (default True) | catalog ([schema.]table: specobj, specobjall or a registered one)
//   sort, limit, offset      paging (limit capped at limits.max_query_rows)
//   format                   csv (default, the original's reply) | json
#include <cmath>
#include <map>
#include <optional>
#include <sstream>

#include "api/rest/rest_server.hpp"
#include "engine/query/query.hpp"
#include "engine/query/service_query.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

std::vector<sky_point> polygon_param(const request_params& p) {
  json v;
  if (const json* j = p.json_value("region"); j && !j->is_string()) {
    v = *j;
  } else {
    std::string t = p.text_or("region", "");
    check_nesting(t, "region");
    for (char& c : t) c = c == '(' ? '[' : c == ')' ? ']' : c;
    v = json::parse(t, nullptr, false);
  }
  SPECMILL_EXPECTS(v.is_array(), "region: expected a list of [ra, dec] vertices");
  std::vector<sky_point> pts;
  for (const auto& e : v) {
    SPECMILL_EXPECTS(e.is_array() && e.size() == 2 && e[0].is_number() && e[1].is_number(),
                     "region: each vertex is [ra, dec] in degrees");
    pts.push_back({e[0].get<double>(), e[1].get<double>()});
  }
  return pts;
}

// One guarded connection per worker thread and store (not thread-safe, cheap to keep).
catalog_query& query_of(const context_config& c) {
  thread_local std::map<std::string, std::unique_ptr<catalog_query>> queries;
  auto& q = queries[c.store.string()];
  if (!q) q = std::make_unique<catalog_query>(c.store);
  return *q;
}

// A CSV field: quoted when it holds a separator, quote or line break.
std::string csv_field(const std::string& v) {
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string q = "\"";
  for (char ch : v) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + "\"";
}

std::vector<std::string> split_fields(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(text);
  while (std::getline(in, cur, ',')) {
    cur.erase(0, cur.find_first_not_of(" \t"));
    cur.erase(cur.find_last_not_of(" \t") + 1);
    SPECMILL_EXPECTS(!cur.empty(), "fields: an empty column name in '" + text.substr(0, 80) + "'");
    out.push_back(cur);
  }
  return out;
}

}  // namespace

void add_query_routes(service& svc) {
  svc.route(service::method::both, "/query", [](call& c) {
    const context_config& ctx = c.context();
    const request_params& p = c.params;
    const limits_config& lim = c.svc.config().limits;
    service_query sq;
    sq.context = ctx.store_context;
    if (p.has("ra") || p.has("dec") || p.has("size"))
      sq.region = sky_region::cone(p.number("ra", NAN), p.number("dec", NAN), p.number("size", NAN));
    if (p.has("region")) {
      SPECMILL_EXPECTS(!sq.region, "give a cone (ra, dec, size) or a region, not both");
      sq.region = sky_region::polygon(polygon_param(p));
    }
    sq.all = !p.flag("primary", true);
    sq.catalog = p.text_or("catalog", "");
    // `constraint` is ours; `cond` the original's fragment, read only without a constraint.
    if (const auto cond = p.text("cond"); cond && !p.has("constraint")) sq.cond = *cond;
    else sq.constraint = p.text_or("constraint", "");
    if (const auto id = p.text("id"); id && !id->empty() && *id != "None") sq.ids = c.id_list(ctx, "id");
    sq.with_pixels = p.flag("with_pixels", false);
    sq.sort = p.text_or("sort", "");
    if (const auto v = p.text("limit"); v && !v->empty()) sq.limit = p.integer("limit", 0);
    if (const auto v = p.text("offset"); v && !v->empty()) sq.offset = p.integer("offset", 0);
    query_request r = make_service_query(std::move(sq));
    // Pages are bounded by max_query_rows (X-Query-More says another exists).
    r.limit = std::min(r.limit.value_or(lim.max_query_rows), lim.max_query_rows);
    r.time_limit_s = lim.query_seconds;
    const std::string fields = p.text_or("fields", "specobjid");
    const bool tuple = fields == "tuple";
    if (!tuple) r.fields = split_fields(fields);
    const std::string format = p.text_or("format", "csv");
    SPECMILL_EXPECTS(format == "csv" || format == "json", "format is csv or json");
    catalog_query& q = query_of(ctx);
    const std::vector<std::string> names = tuple ? std::vector<std::string>{} : q.field_names(r);

    // The whole page is produced before the reply starts, so a refused constraint or a time
    // limit is a 4xx; pages are bounded by max_query_rows.
    std::vector<query_row> rows;
    const query_summary sum = q.run(r, [&](const query_row& row) { rows.push_back(row); });
    c.res.set_header("X-Query-More", sum.more ? "true" : "false");
    c.count_spectra(rows.size());
    if (format == "json") {
      json out = json::array();
      for (const auto& row : rows) {
        // SPECOBJID as a string: it passes 2^53, where JSON numbers stop being exact in many readers.
        json o{{"specobjid", std::to_string(row.specobjid)}, {"plate", row.plate}, {"mjd", row.mjd},
               {"fiberid", row.fiberid}, {"ra", row.ra}, {"dec", row.dec}};
        for (size_t k = 0; k < names.size(); ++k)
          if (!o.contains(names[k])) o[names[k]] = row.values[k];
        out.push_back(std::move(o));
      }
      return c.json(json{{"table", sum.table}, {"more", sum.more}, {"rows", out}});
    }
    // CSV, the original's reply: a header of the field names, then one line a row.
    std::string csv;
    if (tuple) {
      csv = "plate,mjd,fiberid\n";
      for (const auto& row : rows)
        csv += std::to_string(row.plate) + "," + std::to_string(row.mjd) + "," + std::to_string(row.fiberid) + "\n";
    } else {
      for (size_t k = 0; k < names.size(); ++k) csv += (k ? "," : "") + r.fields[k];
      csv += "\n";
      for (const auto& row : rows) {
        for (size_t k = 0; k < row.values.size(); ++k) csv += (k ? "," : "") + csv_field(row.values[k]);
        csv += "\n";
      }
    }
    c.text(csv, "text/csv");
  });
}

}  // namespace specmill::rest
