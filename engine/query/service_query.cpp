#include "engine/query/service_query.hpp"

#include "core/error.hpp"
#include "core/text.hpp"
#include "engine/query/query_condition.hpp"

namespace specmill {
namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

}  // namespace

std::string id_constraint(const std::vector<spectrum_id>& ids) {
  std::string out;
  for (const auto& id : ids) {
    if (!out.empty()) out += " OR ";
    out += id.specobjid ? "specobjid = " + std::to_string(int64_t(*id.specobjid))
                        : "(plate = " + std::to_string(id.plate) + " AND mjd = " + std::to_string(id.mjd) +
                              " AND fiberid = " + std::to_string(id.fiberid) + ")";
  }
  return out;
}

query_request make_service_query(service_query q) {
  query_request r;
  r.context = std::move(q.context);
  r.region = std::move(q.region);
  r.all = q.all;
  r.catalog = std::move(q.catalog);
  // The original's <schema>.<table>: a store has one namespace of tables.
  if (const auto dot = r.catalog.rfind('.'); dot != std::string::npos) r.catalog = r.catalog.substr(dot + 1);
  // The spectrum tables themselves, as /catalogs lists them, select primary or all.
  if (r.catalog == "specobj" || r.catalog == "specobjall") {
    r.all = r.catalog == "specobjall";
    r.catalog.clear();
  }
  std::optional<int64_t> cond_limit, cond_offset;
  if (q.cond) {
    original_condition oc = parse_original_condition(*q.cond);
    if (oc.region) {
      SPECMILL_EXPECTS(!r.region, "give one sky region: a cone, a region or a q3c call in cond");
      // q3c's (ra, dec) arguments name the table's position columns; other columns stay a
      // row-by-row test.
      SPECMILL_EXPECTS(to_lower(oc.region_ra) == "ra" && to_lower(oc.region_dec) == "dec",
                       "q3c calls search the table's position columns: write q3c_radial_query(ra, dec, ...)");
      r.region = oc.region;
    }
    r.constraint = oc.constraint;
    r.sort = oc.sort;
    cond_limit = oc.limit;
    cond_offset = oc.offset;
  } else {
    r.constraint = std::move(q.constraint);
  }
  if (!q.ids.empty()) {
    if (r.catalog.empty()) r.all = true;  // an ID names one spectrum exactly, primary or not
    const std::string ids = id_constraint(q.ids);
    r.constraint = blank(r.constraint) ? ids : "(" + ids + ") AND (" + r.constraint + ")";
  }
  SPECMILL_EXPECTS(r.region || !blank(r.constraint), "nothing to search by: give ra/dec/size, region, id or constraint");
  r.with_pixels = q.with_pixels;
  if (!q.sort.empty()) r.sort = std::move(q.sort);
  r.limit = q.limit ? q.limit : cond_limit;
  SPECMILL_EXPECTS(!r.limit || *r.limit >= 0, "limit must be >= 0");
  r.offset = q.offset.value_or(cond_offset.value_or(0));
  SPECMILL_EXPECTS(r.offset >= 0, "offset must be >= 0");
  r.fields = std::move(q.fields);
  return r;
}

}  // namespace specmill
