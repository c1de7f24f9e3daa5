// Store.stack (engine/stack), Store.photometry (engine/photometry) and the store's contexts and
// catalogs: the REST /stack, /photometry, /contexts and /catalogs (api/rest/rest_stack.cpp,
// rest_spec.cpp, rest_info.cpp) with the same options from the same parameters.
#include <pybind11/stl.h>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "core/mask_bits.hpp"
#include "engine/photometry/photometry.hpp"
#include "engine/query/catalog_add.hpp"
#include "engine/stack/stack.hpp"

namespace specmill::python {
namespace {

struct stack_args {
  std::string context;
  std::vector<spectrum_id> ids;
  std::string method, format;
  std::optional<double> sigma;
  std::optional<int> iterations;
  std::optional<std::string> grid, normalize, normalize_band, mask_bits;
  bool rest_frame = false;
};

stack_options stack_options_of(py_store& s, const stack_args& a) {
  stack_options o;
  o.store = s.root();
  o.context = a.context;
  o.progress = false;
  o.device = s.device();
  o.method = parse_stack_method(a.method);
  if (a.sigma) o.sigma = *a.sigma;
  if (a.iterations) o.iterations = *a.iterations;
  if (a.grid && !a.grid->empty()) o.grid = parse_wavelength_grid(*a.grid);
  o.rest_frame = a.rest_frame;
  if (a.normalize && !a.normalize->empty()) o.normalize = parse_wavelength_range(*a.normalize);
  o.normalize_band = a.normalize_band.value_or("");
  o.mask_bits = parse_mask_bits(a.mask_bits.value_or("default"));
  o.format = parse_stack_format(a.format);
  o.out = "stack." + a.format;  // a name for the checks; the bytes go to the reply
  check_stack_options(o);
  return o;
}

}  // namespace

void add_analysis(py::module_&, py::class_<py_store>& cls) {
  cls.def(
      "stack",
      [](py_store& s, std::string context, py::object ids, std::string method, std::string format,
         std::optional<double> sigma, std::optional<int> iterations, std::optional<std::string> grid,
         bool rest_frame, std::optional<std::string> normalize, std::optional<std::string> normalize_band,
         std::optional<std::string> mask_bits) {
        auto id_list = id_list_of(s, context, ids);
        const stack_args a{std::move(context), std::move(id_list), std::move(method), std::move(format), sigma,
                           iterations, std::move(grid), std::move(normalize), std::move(normalize_band),
                           std::move(mask_bits), rest_frame};
        auto out = std::make_unique<reply_bytes>();
        py::dict d;
        stack_summary sum;
        {
          py::gil_scoped_release release;
          stack_options o = stack_options_of(s, a);
          const auto resolved = resolve_ids(s.st().catalog(), o.context, a.ids);
          const stack_result r = compute_stack(o, s.st(), resolved);
          std::string& bytes = out->data;
          o.sink = [&bytes](const char* data, size_t n) { bytes.append(data, n); };
          write_stack(o, r);
          sum = r.summary;
        }
        d["requested"] = sum.requested;
        d["found"] = sum.found;
        d["used"] = sum.used;
        d["missing"] = sum.missing;
        return py::make_tuple(py::cast(std::move(out)), d);
      },
      py::kw_only(), py::arg("context"), py::arg("ids"), py::arg("method") = "weighted_mean",
      py::arg("format") = "npz", py::arg("sigma") = py::none(), py::arg("iterations") = py::none(),
      py::arg("grid") = py::none(), py::arg("rest_frame") = false, py::arg("normalize") = py::none(),
      py::arg("normalize_band") = py::none(), py::arg("mask_bits") = py::none(),
      "The stack of a list as /stack answers it: (Reply buffer, summary dict).");

  cls.def(
      "photometry",
      [](py_store& s, std::string context, py::object ids, std::optional<std::string> filters) {
        photometry_options o;
        o.store = s.root();
        o.context = std::move(context);
        o.progress = false;
        o.device = s.device();
        o.filters = filters.value_or(std::string(default_photometry_filters));
        // Shipped curves only, as the service: a path is the CLI's business.
        SPECMILL_EXPECTS(o.filters.find('/') == std::string::npos && o.filters.find('.') == std::string::npos,
                         "filters: give names of shipped filter curves (e.g. sdss2010-r), not paths");
        auto id_list = id_list_of(s, o.context, ids);
        auto out = std::make_unique<reply_bytes>();
        {
          py::gil_scoped_release release;
          check_photometry_filters(o.filters);
          std::string& bytes = out->data;
          o.sink = [&bytes](const char* data, size_t n) { bytes.append(data, n); };
          run_photometry(o, std::move(id_list));
        }
        return out;
      },
      py::kw_only(), py::arg("context"), py::arg("ids"), py::arg("filters") = py::none(),
      "Synthetic photometry as /photometry answers it: the CSV in a Reply buffer.");

  cls.def("contexts", [](py_store& s) {
    std::vector<std::tuple<std::string, std::string, int64_t, int64_t>> out;
    {
      py::gil_scoped_release release;
      for (const auto& c : s.st().catalog().contexts()) out.emplace_back(c.name, c.description, c.spectra, c.with_pixels);
    }
    return out;
  }, "The store's contexts: [(name, description, spectra, with_pixels)].");

  cls.def("catalogs", [](py_store& s) {
    std::vector<std::tuple<std::string, std::string, int64_t>> out;
    {
      py::gil_scoped_release release;
      for (const auto& t : list_catalogs(s.root())) out.emplace_back(t.name, t.source, int64_t(t.rows));
    }
    return out;
  }, "The registered value-added catalogs: [(name, source, rows)].");
}

}  // namespace specmill::python
