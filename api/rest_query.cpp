// /query: cone, polygon and SQL-constraint searches (engine/query.hpp) with the engine's guard:
// read-only connection, authorizer, time limit (limits.query_seconds). Parameters:
//   ra, dec, size            a cone (degrees), the original client's (ra, dec, size)
//   region                   polygon vertices: JSON [[ra, dec], ...] or the original's
//                            Python text "[(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]"
//   constraint (or cond)     an SQL where clause over the table's columns
//   fields                   specobjid (default) | tuple;  primary (default True) | catalog
//   sort, limit, offset      paging (limit capped at limits.max_query_rows)
//   format                   csv (default, the original's reply) | json
#include <cmath>
#include <map>

#include "api/rest_server.hpp"
#include "engine/query.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

std::vector<sky_point> polygon_param(const request_params& p) {
  json v;
  if (const json* j = p.json_value("region"); j && !j->is_string()) {
    v = *j;
  } else {
    std::string t = p.text_or("region", "");
    for (char& c : t) c = c == '(' ? '[' : c == ')' ? ']' : c;
    v = json::parse(t, nullptr, false);
  }
  SPECMILL_EXPECTS(v.is_array(), "region: expected a list of [ra, dec] vertices");
  std::vector<sky_point> pts;
  for (const auto& e : v) {
    SPECMILL_EXPECTS(e.is_array() && e.size() == 2 && e[0].is_number() && e[1].is_number(),
                     "region: each vertex is [ra, dec] in degrees, not " + e.dump().substr(0, 60));
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

}  // namespace

void add_query_routes(service& svc) {
  svc.route(service::method::both, "/query", [](call& c) {
    const context_config& ctx = c.context();
    const request_params& p = c.params;
    const limits_config& lim = c.svc.config().limits;
    query_request r;
    r.context = ctx.store_context;
    if (p.has("ra") || p.has("dec") || p.has("size"))
      r.region = sky_region::cone(p.number("ra", NAN), p.number("dec", NAN), p.number("size", NAN));
    if (p.has("region")) {
      SPECMILL_EXPECTS(!r.region, "give a cone (ra, dec, size) or a region, not both");
      r.region = sky_region::polygon(polygon_param(p));
    }
    r.constraint = p.text_or("constraint", p.text_or("cond", ""));
    SPECMILL_EXPECTS(r.region || r.constraint.find_first_not_of(" \t\r\n") != std::string::npos,
                     "nothing to search by: give ra/dec/size, region or constraint");
    r.all = !p.flag("primary", true);
    r.catalog = p.text_or("catalog", "");
    // The spectrum tables themselves, as /catalogs lists them, select primary or all.
    if (r.catalog == "specobj" || r.catalog == "specobjall") {
      r.all = r.catalog == "specobjall";
      r.catalog.clear();
    }
    r.with_pixels = p.flag("with_pixels", false);
    r.sort = p.text_or("sort", "");
    const int64_t limit = p.integer("limit", lim.max_query_rows);
    SPECMILL_EXPECTS(limit >= 0, "limit must be >= 0");
    r.limit = std::min(limit, lim.max_query_rows);
    r.offset = p.integer("offset", 0);
    SPECMILL_EXPECTS(r.offset >= 0, "offset must be >= 0");
    r.time_limit_s = lim.query_seconds;
    const std::string fields = p.text_or("fields", "specobjid");
    SPECMILL_EXPECTS(fields == "specobjid" || fields == "tuple", "fields is specobjid or tuple");
    const std::string format = p.text_or("format", "csv");
    SPECMILL_EXPECTS(format == "csv" || format == "json", "format is csv or json");

    // The whole page is produced before the reply starts, so a refused constraint or a time
    // limit is a 4xx; pages are bounded by max_query_rows.
    std::vector<query_row> rows;
    const query_summary sum = query_of(ctx).run(r, [&](const query_row& row) { rows.push_back(row); });
    c.res.set_header("X-Query-More", sum.more ? "true" : "false");
    c.count_spectra(rows.size());
    if (format == "json") {
      json out = json::array();
      for (const auto& row : rows) {
        // SPECOBJID as a string: it passes 2^53, where JSON numbers stop being exact in many readers.
        out.push_back(json{{"specobjid", std::to_string(row.specobjid)}, {"plate", row.plate}, {"mjd", row.mjd},
                           {"fiberid", row.fiberid}, {"ra", row.ra}, {"dec", row.dec}});
      }
      return c.json(json{{"table", sum.table}, {"more", sum.more}, {"rows", out}});
    }
    std::string csv = fields == "tuple" ? "plate,mjd,fiberid\n" : "specobjid\n";
    for (const auto& row : rows)
      csv += fields == "tuple" ? std::to_string(row.plate) + "," + std::to_string(row.mjd) + "," + std::to_string(row.fiberid) + "\n"
                               : std::to_string(row.specobjid) + "\n";
    c.text(csv, "text/csv");
  });
}

}  // namespace specmill::rest
