// Store.get: spectra of an ID list (engine/get), as the REST /getSpec answers them
// (api/rest/rest_spec.cpp): the same options from the same parameters, and the whole result in
// one buffer (npz, fits, csv, hdf5) that the client reads with the same code as a service reply;
// numpy arrays over an npz are views of that buffer. Store.list_span: /listSpan.
#include <pybind11/stl.h>

#include <cmath>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "engine/get/get.hpp"

namespace specmill::python {
namespace {

lattice_window intersect(const lattice_window& a, const lattice_window& b) {
  const auto both = overlap(a, b);
  SPECMILL_EXPECTS(both.has_value(), "the cutout holds none of the spectra's pixels");
  return *both;
}

bool given(const std::optional<std::string>& v) { return v && !v->empty() && *v != "None"; }

// w0/w1 (log10 Angstrom): an aligned lattice window; both 0 mean none, as from the service.
std::optional<lattice_window> window_of(std::optional<double> w0, std::optional<double> w1, const native_grid& grid) {
  if (!w0 && !w1) return std::nullopt;
  const double a = w0.value_or(NAN), b = w1.value_or(NAN);
  if (a == 0 && b == 0) return std::nullopt;
  SPECMILL_EXPECTS(std::isfinite(a) && std::isfinite(b) && a > 0 && b >= a && b < 7,
                   "w0 and w1 must both be given, in log10 Angstrom, with w0 <= w1");
  const auto start = lattice_window::index_of_loglam(a, grid);
  return lattice_window{start, int64_t(lattice_window::index_of_loglam(b, grid)) - start + 1, grid};
}

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
  o.align = a.align;
  if (given(a.cutout)) o.cutout = parse_wavelength_range(*a.cutout);
  if (given(a.resample)) o.resample = parse_wavelength_grid(*a.resample);
  o.rest_frame = a.rest_frame;
  SPECMILL_EXPECTS(!o.rest_frame || o.resample, "rest_frame needs resample (a rest-frame grid)");
  SPECMILL_EXPECTS(!(o.resample && o.cutout), "resample and cutout exclude each other");
  const native_grid& native = s.st().grid();
  const auto window = window_of(a.w0, a.w1, native);  // checked even when unused
  if (o.align) {
    o.window = window;
    if (o.window && o.cutout) {
      o.window = intersect(*o.window, cutout_window(*o.cutout, native));
      o.cutout.reset();
    }
  }
  const bool dense = o.align || o.cutout || o.window || o.resample;
  const std::string values = given(a.values) ? *a.values : "";
  o.columns = values.empty() ? (dense && o.format != get_format::npy ? default_dense_columns : parse_columns("all"))
                             : parse_columns(values);
  return o;
}

// One unaligned spectrum on its own pixels: a cutout is its span's intersection with the
// cutout; fits is the data-release spec file (as the service answers).
void one_unaligned_spectrum(prepared_get& pg, bool every_column) {
  get_options& o = pg.opts;
  if (o.align || o.resample || pg.ids.size() != 1) return;
  if (o.format == get_format::fits) {
    o.spec_file = every_column;
    return;
  }
  if (o.cutout) {
    o.window = intersect(list_span(pg.ids, pg.st->grid()), cutout_window(*o.cutout, pg.st->grid()));
    o.cutout.reset();
    pg.summary.width = o.window->width;
  }
  o.squeeze_single = true;
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
          one_unaligned_spectrum(pg, !given(a.values) || *a.values == "all");
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
        const native_grid& native = s.st().grid();
        lattice_window span = list_span(p.ids, native);
        if (given(cutout)) span = intersect(span, cutout_window(parse_wavelength_range(*cutout), native));
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
