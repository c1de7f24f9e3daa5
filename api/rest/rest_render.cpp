// The picture endpoints: /preview, /plotGrid (= /gridPlot), /stackedImage. The original's
// parameters are honoured (width, height, ncols, thickness, inverse, cmap, xscale, yscale) plus
// what it dropped (align, yflip, cutout, scale). Images are rendered whole before the reply
// starts (bounded by limits.max_image_pixels), so every failure is a 4xx.
#include <cmath>

#include "api/rest/rest_server.hpp"
#include "engine/render/grid_plot.hpp"
#include "engine/render/preview_plot.hpp"
#include "engine/render/stacked_image.hpp"
#include "io/formats/npy.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

int int_param(const request_params& p, const std::string& name, int fallback) {
  const int64_t v = p.integer(name, fallback);
  SPECMILL_EXPECTS(v >= INT32_MIN && v <= INT32_MAX, "parameter " + name + " out of range");
  return int(v);
}

plot_options plot_params(const request_params& p) {
  plot_options o;
  o.width = int_param(p, "width", o.width);
  o.height = int_param(p, "height", o.height);
  o.sky = p.flag("sky", false);
  o.model = p.flag("model", false);
  o.error = p.flag("error", false);
  o.lines = p.flag("lines", false);
  if (const auto cut = p.text("cutout"); cut && !cut->empty() && *cut != "None") o.cutout = parse_wavelength_range(*cut);
  check_plot_options(o);
  return o;
}

// A whole number given as 3 or 3.0 (the original client sends Python floats).
double whole_param(const request_params& p, const std::string& name, double fallback) {
  const double v = p.number(name, fallback);
  SPECMILL_EXPECTS(v == std::floor(v) && std::abs(v) <= 1e9, "parameter " + name + ": expected a whole number, not " + p.text_or(name, ""));
  return v;
}

// A repeat factor (pixels a row or column): a whole number >= 1, as 2 or 2.0.
size_t scale_param(const request_params& p, const std::string& name, size_t fallback) {
  const double v = whole_param(p, name, double(fallback));
  SPECMILL_EXPECTS(v >= 1, "parameter " + name + ": a scale of at least 1, not " + p.text_or(name, ""));
  return size_t(v);
}

void png(call& c, std::vector<uint8_t> bytes) {
  c.res.set_content(std::string(bytes.begin(), bytes.end()), "image/png");
}

}  // namespace

void add_render_routes(service& svc) {
  using m = service::method;

  svc.route(m::both, "/preview", [](call& c) {
    const context_config& ctx = c.context();
    const plot_options o = plot_params(c.params);
    const auto slot = c.svc.jobs().acquire();
    // `id` (the original's parameter) in any id_list form: 123, "266,51602,13", [266, 51602, 13].
    std::vector<spectrum_id> ids = c.id_list(ctx, "id");
    SPECMILL_EXPECTS(ids.size() == 1, "preview takes one ID, not " + std::to_string(ids.size()));
    c.count_spectra(1);
    png(c, preview_png(ctx.store, ctx.store_context, ids.front(), o));
  });

  auto grid = [](call& c) {
    const context_config& ctx = c.context();
    const auto ids = c.id_list(ctx);
    grid_options o;
    o.panel = plot_params(c.params);
    o.nx = int_param(c.params, "nx", int_param(c.params, "ncols", 5));
    // Without ny, enough rows for every ID sent: the original client pages the list itself and
    // posts one page with only `ncols`.
    const int rows_needed = int(std::min<size_t>(100, (ids.size() + size_t(std::max(o.nx, 1)) - 1) / size_t(std::max(o.nx, 1))));
    o.ny = int_param(c.params, "ny", int_param(c.params, "nrows", std::max(1, rows_needed)));
    // Pages count from 0 here, as the original client's example (range(npages)) does; the CLI
    // counts from 1.
    o.page_base = 0;
    o.page = int_param(c.params, "page", 0) + 1;
    check_grid_options(o);
    const auto slot = c.svc.jobs().acquire();
    grid_summary sum;
    auto bytes = grid_png(ctx.store, ctx.store_context, ids, o, &sum);
    c.res.set_header("X-Grid-Pages", std::to_string(sum.pages));
    c.count_spectra(sum.page_ids - sum.missing.size());
    png(c, std::move(bytes));
  };
  svc.route(m::both, "/plotGrid", grid);
  svc.route(m::both, "/gridPlot", grid);

  svc.route(m::both, "/stackedImage", [](call& c) {
    const context_config& ctx = c.context();
    const request_params& p = c.params;
    stacked_image_options o;
    o.store = ctx.store;
    o.context = ctx.store_context;
    o.device = c.svc.config().engine_backend;
    o.checkpoint = check_request_budget;
    if (const auto cut = p.text("cutout"); cut && !cut->empty() && *cut != "None") o.cutout = parse_wavelength_range(*cut);
    o.yflip = p.flag("yflip", false);
    o.scale = parse_image_scale(p.text_or("scale", "zscale"));
    if (const auto r = p.text("range"); r && !r->empty()) o.range = parse_limits(*r, "range");
    o.cmap = parse_colormap(p.text_or("cmap", "gray"));
    o.invert = p.flag("inverse", false);
    // The original client always sends xscale=1.0, yscale=1.0, thickness=1, width=0, height=0.
    // yscale multiplies thickness (pixels a row); xscale repeats columns.
    o.thickness = scale_param(p, "thickness", 1) * scale_param(p, "yscale", 1);
    o.column_repeat = scale_param(p, "xscale", 1);
    o.max_height = size_t(std::max<int64_t>(0, int64_t(whole_param(p, "height", 0))));
    o.max_width = size_t(std::max<int64_t>(0, int64_t(whole_param(p, "width", 0))));
    o.normalize = p.flag("normalize", false);
    o.max_image_pixels = uint64_t(c.svc.config().limits.max_image_pixels);
    check_stacked_image_options(o);
    const std::string fmt = p.text_or("fmt", p.text_or("format", "png"));
    SPECMILL_EXPECTS(fmt == "png" || fmt == "numpy" || fmt == "npy", "fmt is png or numpy");
    auto ids = c.id_list(ctx);
    const auto slot = c.svc.jobs().acquire();
    if (fmt == "png") {
      stacked_image_summary sum;
      auto bytes = stacked_image_png(o, std::move(ids), &sum);
      c.count_spectra(sum.found);
      return png(c, std::move(bytes));
    }
    // numpy: the float32 image before scaling, display order, NaN where masked.
    store& st = c.store_of(ctx);
    const auto resolved = resolve_ids(st.catalog(), ctx.store_context, std::move(ids));
    const float_image img = read_stacked_image(st, resolved, o);
    const std::vector<uint64_t> shape{img.rows, img.width};
    std::string body = npy_header(npy_dtype::f4, shape);
    body.append(reinterpret_cast<const char*>(img.pixels.data()), img.pixels.size() * sizeof(float));
    c.count_spectra(resolved.size());
    c.res.set_content(std::move(body), "application/octet-stream");
  });
}

}  // namespace specmill::rest
