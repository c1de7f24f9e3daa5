// Store.query: a catalog search (engine/query), the parameters of the REST /query
// (api/rest/rest_query.cpp) as keywords. Unlike the service, no row cap: `limit` alone pages.
#include <pybind11/stl.h>

#include <cctype>
#include <optional>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "engine/query/query_condition.hpp"

namespace specmill::python {
namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

std::string lower(std::string s) {
  for (char& ch : s) ch = char(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// The rows of these spectra, primary or not, as a constraint of our own integers (the REST
// front's `id` parameter).
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

struct query_args {
  std::string context;
  std::optional<std::tuple<double, double, double>> cone;
  std::optional<std::vector<std::pair<double, double>>> polygon;
  std::string constraint;
  std::optional<std::string> cond;
  std::vector<spectrum_id> ids;
  bool all = false;
  std::string catalog;
  bool with_pixels = false;
  std::string sort;
  std::optional<int64_t> limit, offset;
  std::optional<std::vector<std::string>> fields;  // none: plate, mjd, fiberid (fields=tuple)
};

query_request make_request(const query_args& a) {
  query_request r;
  r.context = a.context;
  if (a.cone) r.region = sky_region::cone(std::get<0>(*a.cone), std::get<1>(*a.cone), std::get<2>(*a.cone));
  if (a.polygon) {
    SPECMILL_EXPECTS(!r.region, "give a cone (ra, dec, size) or a region, not both");
    std::vector<sky_point> pts;
    for (const auto& [ra, dec] : *a.polygon) pts.push_back({ra, dec});
    r.region = sky_region::polygon(std::move(pts));
  }
  r.all = a.all;
  r.catalog = a.catalog;
  if (const auto dot = r.catalog.rfind('.'); dot != std::string::npos) r.catalog = r.catalog.substr(dot + 1);
  if (r.catalog == "specobj" || r.catalog == "specobjall") {
    r.all = r.catalog == "specobjall";
    r.catalog.clear();
  }
  std::optional<int64_t> cond_limit, cond_offset;
  if (a.cond && blank(a.constraint)) {
    original_condition oc = parse_original_condition(*a.cond);
    if (oc.region) {
      SPECMILL_EXPECTS(!r.region, "give one sky region: a cone, a region or a q3c call in cond");
      SPECMILL_EXPECTS(lower(oc.region_ra) == "ra" && lower(oc.region_dec) == "dec",
                       "q3c calls search the table's position columns: write q3c_radial_query(ra, dec, ...)");
      r.region = oc.region;
    }
    r.constraint = oc.constraint;
    r.sort = oc.sort;
    cond_limit = oc.limit;
    cond_offset = oc.offset;
  } else {
    r.constraint = a.constraint;
  }
  if (!a.ids.empty()) {
    if (r.catalog.empty()) r.all = true;  // an ID names one spectrum exactly, primary or not
    const std::string ids = id_constraint(a.ids);
    r.constraint = blank(r.constraint) ? ids : "(" + ids + ") AND (" + r.constraint + ")";
  }
  SPECMILL_EXPECTS(r.region || !blank(r.constraint), "nothing to search by: give ra/dec/size, region, id or constraint");
  r.with_pixels = a.with_pixels;
  if (!a.sort.empty()) r.sort = a.sort;
  r.limit = a.limit ? a.limit : cond_limit;
  SPECMILL_EXPECTS(!r.limit || *r.limit >= 0, "limit must be >= 0");
  r.offset = a.offset.value_or(cond_offset.value_or(0));
  SPECMILL_EXPECTS(r.offset >= 0, "offset must be >= 0");
  if (a.fields) r.fields = *a.fields;
  return r;
}

}  // namespace

void add_query(py::module_&, py::class_<py_store>& cls) {
  cls.def(
      "query",
      [](py_store& s, std::string context, std::optional<std::tuple<double, double, double>> cone,
         std::optional<std::vector<std::pair<double, double>>> polygon, std::string constraint,
         std::optional<std::string> cond, py::object ids, bool all, std::string catalog,
         bool with_pixels, std::string sort, std::optional<int64_t> limit, std::optional<int64_t> offset,
         std::optional<std::vector<std::string>> fields) {
        std::vector<spectrum_id> id_list;
        if (!ids.is_none()) id_list = id_list_of(s, context, ids);
        const query_args a{std::move(context), cone, std::move(polygon), std::move(constraint), std::move(cond),
                           std::move(id_list), all, std::move(catalog), with_pixels, std::move(sort), limit, offset,
                           std::move(fields)};
        const query_request r = make_request(a);
        std::vector<query_row> rows;
        std::vector<std::string> names;
        query_summary sum;
        {
          py::gil_scoped_release release;
          auto lock = s.lock_query();
          catalog_query& q = s.query();
          if (a.fields) names = q.field_names(r);
          sum = q.run(r, [&](const query_row& row) { rows.push_back(row); });
        }
        py::list out;
        for (const auto& row : rows) {
          py::list values;
          for (const auto& v : row.values) values.append(py::str(v));
          out.append(py::make_tuple(row.specobjid, row.plate, row.mjd, row.fiberid, row.ra, row.dec, values));
        }
        py::dict d;
        d["table"] = sum.table;
        d["more"] = sum.more;
        d["names"] = names;
        d["rows"] = out;
        return d;
      },
      py::kw_only(), py::arg("context"), py::arg("cone") = py::none(), py::arg("polygon") = py::none(),
      py::arg("constraint") = "", py::arg("cond") = py::none(), py::arg("ids") = py::none(),
      py::arg("all") = false, py::arg("catalog") = "", py::arg("with_pixels") = false, py::arg("sort") = "",
      py::arg("limit") = py::none(), py::arg("offset") = py::none(), py::arg("fields") = py::none(),
      "A catalog search, the REST /query's parameters (fields None: plate, mjd, fiberid). Returns "
      "{table, more, names, rows: [(specobjid, plate, mjd, fiberid, ra, dec, [values])]}.");
}

}  // namespace specmill::python
