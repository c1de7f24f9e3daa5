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
#include "engine/query/query_condition.hpp"

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

// `id` (the original client's plot() asks /query?id=<specobjid>&fields=z&cond=): the rows of
// those spectra, as a constraint of our own integers.
std::string id_constraint(call& c, const context_config& ctx) {
  std::string out;
  for (const auto& id : c.id_list(ctx, "id")) {
    if (!out.empty()) out += " OR ";
    out += id.specobjid ? "specobjid = " + std::to_string(int64_t(*id.specobjid))
                        : "(plate = " + std::to_string(id.plate) + " AND mjd = " + std::to_string(id.mjd) +
                              " AND fiberid = " + std::to_string(id.fiberid) + ")";
  }
  return out;
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
    query_request r;
    r.context = ctx.store_context;
    if (p.has("ra") || p.has("dec") || p.has("size"))
      r.region = sky_region::cone(p.number("ra", NAN), p.number("dec", NAN), p.number("size", NAN));
    if (p.has("region")) {
      SPECMILL_EXPECTS(!r.region, "give a cone (ra, dec, size) or a region, not both");
      r.region = sky_region::polygon(polygon_param(p));
    }
    r.all = !p.flag("primary", true);
    r.catalog = p.text_or("catalog", "");
    // The original's <schema>.<table>: a store has one namespace of tables.
    if (const auto dot = r.catalog.rfind('.'); dot != std::string::npos) r.catalog = r.catalog.substr(dot + 1);
    // The spectrum tables themselves, as /catalogs lists them, select primary or all.
    if (r.catalog == "specobj" || r.catalog == "specobjall") {
      r.all = r.catalog == "specobjall";
      r.catalog.clear();
    }
    // `constraint` is ours; `cond` is the original's WHERE fragment, which may carry q3c calls and
    // a trailing ORDER BY / LIMIT / OFFSET (engine/query/query_condition.hpp).
    std::optional<int64_t> cond_limit, cond_offset;
    if (const auto cond = p.text("cond"); cond && !p.has("constraint")) {
      original_condition oc = parse_original_condition(*cond);
      if (oc.region) {
        SPECMILL_EXPECTS(!r.region, "give one sky region: a cone, a region or a q3c call in cond");
        // q3c's (ra, dec) arguments name the table's position columns; other columns stay a
        // row-by-row test.
        const auto lc = [](std::string s) {
          for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
          return s;
        };
        SPECMILL_EXPECTS(lc(oc.region_ra) == "ra" && lc(oc.region_dec) == "dec",
                         "q3c calls search the table's position columns: write q3c_radial_query(ra, dec, ...)");
        r.region = oc.region;
      }
      r.constraint = oc.constraint;
      r.sort = oc.sort;
      cond_limit = oc.limit;
      cond_offset = oc.offset;
    } else {
      r.constraint = p.text_or("constraint", "");
    }
    if (const auto id = p.text("id"); id && !id->empty() && *id != "None") {
      // An ID names one spectrum exactly, primary or not.
      if (r.catalog.empty()) r.all = true;
      const std::string ids = id_constraint(c, ctx);
      r.constraint = r.constraint.find_first_not_of(" \t\r\n") == std::string::npos ? ids : "(" + ids + ") AND (" + r.constraint + ")";
    }
    SPECMILL_EXPECTS(r.region || r.constraint.find_first_not_of(" \t\r\n") != std::string::npos,
                     "nothing to search by: give ra/dec/size, region, id or constraint");
    r.with_pixels = p.flag("with_pixels", false);
    if (const auto sort = p.text_or("sort", ""); !sort.empty()) r.sort = sort;
    const int64_t limit = p.integer("limit", cond_limit.value_or(lim.max_query_rows));
    SPECMILL_EXPECTS(limit >= 0, "limit must be >= 0");
    r.limit = std::min(limit, lim.max_query_rows);
    r.offset = p.integer("offset", cond_offset.value_or(0));
    SPECMILL_EXPECTS(r.offset >= 0, "offset must be >= 0");
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
