// Store.query: a catalog search (engine/query), the parameters of the REST /query
// (api/rest/rest_query.cpp) as keywords. Unlike the service, no row cap: `limit` alone pages.
#include <pybind11/stl.h>

#include <optional>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "engine/query/service_query.hpp"

namespace specmill::python {
namespace {

bool blank(const std::string& s) { return s.find_first_not_of(" \t\r\n") == std::string::npos; }

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
  service_query q;
  q.context = a.context;
  if (a.cone) q.region = sky_region::cone(std::get<0>(*a.cone), std::get<1>(*a.cone), std::get<2>(*a.cone));
  if (a.polygon) {
    SPECMILL_EXPECTS(!q.region, "give a cone (ra, dec, size) or a region, not both");
    std::vector<sky_point> pts;
    for (const auto& [ra, dec] : *a.polygon) pts.push_back({ra, dec});
    q.region = sky_region::polygon(std::move(pts));
  }
  q.all = a.all;
  q.catalog = a.catalog;
  if (a.cond && blank(a.constraint)) q.cond = a.cond;
  else q.constraint = a.constraint;
  q.ids = a.ids;
  q.with_pixels = a.with_pixels;
  q.sort = a.sort;
  q.limit = a.limit;
  q.offset = a.offset;
  if (a.fields) q.fields = *a.fields;
  return make_service_query(std::move(q));
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
