// Store.preview and Store.stacked_image: the REST /preview and /stackedImage
// (api/rest/rest_render.cpp) over engine/render, with the same options. The numpy form of the
// stacked image is the float32 image before scaling as an .npy (display order, NaN where masked).
#include <pybind11/stl.h>

#include "api/python/py_store.hpp"
#include "core/error.hpp"
#include "engine/render/emission_lines.hpp"
#include "engine/render/preview_plot.hpp"
#include "engine/render/stacked_image.hpp"
#include "io/formats/npy.hpp"

namespace specmill::python {

void add_render(py::module_& m, py::class_<py_store>& cls) {
  // The engine's line table at a redshift (what GET /lines answers): [(name, rest, observed, kind)].
  m.def(
      "emission_lines",
      [](double z, double wmin, double wmax) {
        std::vector<std::tuple<std::string, double, double, std::string>> out;
        for (const auto& p : lines_in_range(z, wmin, wmax))
          out.emplace_back(std::string(p.line->name), p.line->rest_aa, p.observed_aa,
                           p.line->kind == line_kind::emission ? "emission" : "absorption");
        return out;
      },
      py::arg("z"), py::arg("wmin"), py::arg("wmax"));
  cls.def(
      "preview",
      [](py_store& s, std::string context, py::object id, int width, int height, bool sky, bool model, bool error,
         bool lines, std::optional<std::string> cutout) {
        plot_options o;
        o.width = width;
        o.height = height;
        o.sky = sky;
        o.model = model;
        o.error = error;
        o.lines = lines;
        if (cutout && !cutout->empty() && *cutout != "None") o.cutout = parse_wavelength_range(*cutout);
        check_plot_options(o);
        auto ids = id_list_of(s, context, id);
        SPECMILL_EXPECTS(ids.size() == 1, "preview takes one ID, not " + std::to_string(ids.size()));
        auto out = std::make_unique<reply_bytes>();
        {
          py::gil_scoped_release release;
          const auto png = preview_png(s.root(), context, ids.front(), o);
          out->data.assign(png.begin(), png.end());
        }
        return out;
      },
      py::kw_only(), py::arg("context"), py::arg("id"), py::arg("width") = 400, py::arg("height") = 100,
      py::arg("sky") = false, py::arg("model") = false, py::arg("error") = false, py::arg("lines") = false,
      py::arg("cutout") = py::none(), "A PNG preview of one spectrum, as /preview answers it.");

  cls.def(
      "stacked_image",
      [](py_store& s, std::string context, py::object ids, std::string fmt, std::optional<std::string> cutout,
         bool yflip, std::string scale, std::optional<std::string> range, std::string cmap, bool inverse,
         size_t thickness, size_t column_repeat, size_t max_height, size_t max_width, bool normalize) {
        stacked_image_options o;
        o.store = s.root();
        o.context = context;
        o.device = s.device();
        if (cutout && !cutout->empty() && *cutout != "None") o.cutout = parse_wavelength_range(*cutout);
        o.yflip = yflip;
        o.scale = parse_image_scale(scale);
        if (range && !range->empty()) o.range = parse_limits(*range, "range");
        o.cmap = parse_colormap(cmap);
        o.invert = inverse;
        o.thickness = thickness;
        o.column_repeat = column_repeat;
        o.max_height = max_height;
        o.max_width = max_width;
        o.normalize = normalize;
        check_stacked_image_options(o);
        SPECMILL_EXPECTS(fmt == "png" || fmt == "numpy" || fmt == "npy", "fmt is png or numpy");
        auto id_list = id_list_of(s, context, ids);
        auto out = std::make_unique<reply_bytes>();
        {
          py::gil_scoped_release release;
          if (fmt == "png") {
            const auto png = stacked_image_png(o, std::move(id_list));
            out->data.assign(png.begin(), png.end());
          } else {
            const auto resolved = resolve_ids(s.st().catalog(), context, std::move(id_list));
            const float_image img = read_stacked_image(s.st(), resolved, o);
            const std::vector<uint64_t> shape{img.rows, img.width};
            out->data = npy_header(npy_dtype::f4, shape);
            out->data.append(reinterpret_cast<const char*>(img.pixels.data()), img.pixels.size() * sizeof(float));
          }
        }
        return out;
      },
      py::kw_only(), py::arg("context"), py::arg("ids"), py::arg("fmt") = "png", py::arg("cutout") = py::none(),
      py::arg("yflip") = false, py::arg("scale") = "zscale", py::arg("range") = py::none(), py::arg("cmap") = "gray",
      py::arg("inverse") = false, py::arg("thickness") = 1, py::arg("column_repeat") = 1, py::arg("max_height") = 0,
      py::arg("max_width") = 0, py::arg("normalize") = false,
      "The list as one image (PNG bytes, or the float32 image as .npy), as /stackedImage answers it.");
}

}  // namespace specmill::python
