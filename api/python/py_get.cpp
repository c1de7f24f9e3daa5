// Store.get: spectra of an ID list (engine/get), as the REST /getSpec answers them
// (api/rest/rest_spec.cpp): the same options from the same parameters, and the whole result in
// one buffer (npz, fits, csv, hdf5) that the client reads with the same code as a service reply;
// numpy arrays over an npz are views of that buffer. Store.list_span: /listSpan.
#include <pybind11/stl.h>

#include <cmath>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "engine/get/get.hpp"
#include "engine/get/getspec_request.hpp"

namespace specmill::python {
namespace {

bool given(const std::optional<std::string>& v) { return v && !v->empty() && *v != "None"; }

struct get_args {
  std::string context;
  std::vector<spectrum_id> ids;
  std::string format;
  std::optional<std::string> values;
  bool align = false;
  std::optional<std::string> cutout;
  std::optional<double> w0, w1;
  std::optional<std::string> resample;
  bool rest_frame = false;
};

get_options options_of(py_store& s, const get_args& a) {
  get_options o;
  o.store = s.root();
  o.context = a.context;
  o.progress = false;
  o.device = s.device();
  o.format = parse_get_format(a.format);
  getspec_request r;
  r.align = a.align;
  if (given(a.values)) r.values = *a.values;
  if (given(a.cutout)) r.cutout = parse_wavelength_range(*a.cutout);
  if (given(a.resample)) r.resample = parse_wavelength_grid(*a.resample);
  r.rest_frame = a.rest_frame;
  r.w0 = a.w0;
  r.w1 = a.w1;
  apply_getspec_request(o, r, s.st().grid());
  return o;
}

py::dict summary_dict(const get_summary& s) {
  py::dict d;
  d["requested"] = s.requested;
  d["found"] = s.found;
  d["missing"] = s.missing;
  d["pixels"] = s.pixels;
  d["width"] = s.width;
  return d;
}

}  // namespace

void add_get(py::module_&, py::class_<py_store>& cls) {
  cls.def(
      "get",
      [](py_store& s, std::string context, py::object ids, std::string format,
         std::optional<std::string> values, bool align, std::optional<std::string> cutout, std::optional<double> w0,
         std::optional<double> w1, std::optional<std::string> resample, bool rest_frame) {
        auto id_list = id_list_of(s, context, ids);
        const get_args a{std::move(context), std::move(id_list), std::move(format), std::move(values), align,
                         std::move(cutout), w0, w1, std::move(resample), rest_frame};
        auto out = std::make_unique<reply_bytes>();
        get_summary sum;
        {
          py::gil_scoped_release release;
          get_options o = options_of(s, a);
          prepared_get pg = prepare_get(o, a.ids, &s.st());
          answer_one_unaligned(pg, !given(a.values) || *a.values == "all");
          std::string& bytes = out->data;
          // The result's size is known from the summary: one allocation, no copies while it grows
          // (a 1.5 GB npz grown by doubling is copied about twice over).
          const auto& sm = pg.summary;
          const uint64_t values = pg.dense() ? uint64_t(sm.width) * sm.requested : uint64_t(sm.pixels);
          bytes.reserve(values * 4 * pg.opts.columns.size() + sm.requested * 32 + (size_t(1) << 20));
          pg.opts.sink = [&bytes](const char* data, size_t n) { bytes.append(data, n); };
          run_get(pg);
          sum = pg.summary;
        }
        return py::make_tuple(py::cast(std::move(out)), summary_dict(sum));
      },
      py::kw_only(), py::arg("context"), py::arg("ids"), py::arg("format") = "npz", py::arg("values") = py::none(),
      py::arg("align") = false, py::arg("cutout") = py::none(), py::arg("w0") = py::none(), py::arg("w1") = py::none(),
      py::arg("resample") = py::none(), py::arg("rest_frame") = false,
      "Spectra of ID lines as /getSpec answers them: (Reply buffer, summary dict).");

  cls.def(
      "list_span",
      [](py_store& s, std::string context, py::object ids, std::optional<std::string> cutout) {
        auto id_list = id_list_of(s, context, ids);
        py::gil_scoped_release release;
        get_options o;
        o.store = s.root();
        o.context = context;
        o.columns = {column::flux};
        o.align = true;
        const prepared_get p = prepare_get(o, std::move(id_list), &s.st());
        const lattice_window span = getspec_span(
            p.ids, s.st().grid(), given(cutout) ? std::optional(parse_wavelength_range(*cutout)) : std::nullopt);
        py::gil_scoped_acquire acquire;
        py::dict d;
        d["w0"] = span.reported_loglam(0);
        d["w1"] = span.reported_loglam(span.width - 1);
        d["n_pixels"] = span.width;
        d["requested"] = p.summary.requested;
        d["found"] = p.summary.found;
        return d;
      },
      py::kw_only(), py::arg("context"), py::arg("ids"), py::arg("cutout") = py::none(),
      "The list's common lattice window (what align uses), as /listSpan answers it.");
}

}  // namespace specmill::python
