#include "engine/render/grid_plot.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>

#include "core/error.hpp"
#include "engine/store/store.hpp"
#include "io/image/cairo_canvas.hpp"
#include "io/image/png_writer.hpp"

namespace specmill {

void check_grid_options(const grid_options& o) {
  SPECMILL_EXPECTS(o.nx >= 1 && o.nx <= 100, "nx must be 1..100, not " + std::to_string(o.nx));
  SPECMILL_EXPECTS(o.ny >= 1 && o.ny <= 100, "ny must be 1..100, not " + std::to_string(o.ny));
  SPECMILL_EXPECTS(o.page >= 1, "pages are numbered from " + std::to_string(o.page_base) + ", not " +
                                    std::to_string(o.page - 1 + o.page_base));
  check_plot_options(o.panel);
  SPECMILL_EXPECTS(int64_t(o.nx) * o.panel.width <= 20000 && int64_t(o.ny) * o.panel.height <= 20000,
                   "the grid would be " + std::to_string(int64_t(o.nx) * o.panel.width) + " x " +
                       std::to_string(int64_t(o.ny) * o.panel.height) + " px: at most 20000 px a side");
}

size_t grid_page_count(size_t n_ids, const grid_options& o) {
  const size_t per_page = size_t(o.nx) * size_t(o.ny);
  return (n_ids + per_page - 1) / per_page;
}

std::vector<uint8_t> render_grid(const std::vector<std::optional<spectrum_plot_data>>& panels,
                                 const std::vector<std::string>& missing_labels, const grid_options& o) {
  check_grid_options(o);
  SPECMILL_EXPECTS(panels.size() <= size_t(o.nx) * size_t(o.ny), "more panels than grid cells");
  SPECMILL_EXPECTS(missing_labels.size() == panels.size(), "render_grid: one label per panel");
  const size_t pw = size_t(o.panel.width), ph = size_t(o.panel.height);
  png_format f;
  f.width = uint32_t(pw * size_t(o.nx));
  f.height = uint32_t(ph * size_t(o.ny));
  f.color = png_color::rgb;
  f.compression_level = plot_png_compression;
  std::vector<uint8_t> rgb(f.row_bytes() * f.height, 255);  // empty cells stay white
  // Each panel on its own canvas and thread (Cairo objects are not shared between threads).
  tbb::parallel_for(size_t(0), panels.size(), [&](size_t k) {
    canvas cv(o.panel.width, o.panel.height);
    if (panels[k])
      draw_spectrum_panel(cv, 0, 0, double(pw), double(ph), *panels[k], o.panel);
    else
      draw_missing_panel(cv, 0, 0, double(pw), double(ph), missing_labels[k], "no pixel data");
    const size_t cx = k % size_t(o.nx), cy = k / size_t(o.nx);
    cv.copy_rgb(rgb.data() + cy * ph * f.row_bytes() + cx * pw * 3, f.row_bytes());
  });
  return encode_png(f, rgb.data());
}

std::vector<uint8_t> grid_png(const std::filesystem::path& store_root, const std::string& context,
                              const std::vector<spectrum_id>& ids, const grid_options& o, grid_summary* summary) {
  check_grid_options(o);
  if (ids.empty()) throw not_found("empty ID list");
  const size_t pages = grid_page_count(ids.size(), o), per_page = size_t(o.nx) * size_t(o.ny);
  // Messages number pages as the caller does (page_base), both numbers alike.
  const auto shown = [&](size_t p) { return std::to_string(int64_t(p) - 1 + o.page_base); };
  SPECMILL_EXPECTS(size_t(o.page) <= pages, "page " + shown(size_t(o.page)) + " is beyond the last page " + shown(pages) +
                                                " (" + std::to_string(ids.size()) + " IDs, " + std::to_string(per_page) +
                                                " a page, pages counted from " + std::to_string(o.page_base) + ")");
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "unknown context '" + context + "' in store " + store_root.string());
  const size_t first = (size_t(o.page) - 1) * per_page, last = std::min(ids.size(), first + per_page);
  std::vector<std::optional<spectrum_plot_data>> panels(last - first);
  std::vector<std::string> labels(last - first);
  grid_summary s;
  s.requested = ids.size();
  s.pages = pages;
  s.page_ids = last - first;
  for (size_t i = first; i < last; ++i) {
    labels[i - first] = ids[i].text;
    try {
      panels[i - first] = load_plot_data(st, context, ids[i]);
    } catch (const not_found&) {  // a missing spectrum is a panel, not a failure
      s.missing.push_back(ids[i].text);
    }
  }
  if (s.missing.size() == s.page_ids)
    throw not_found("none of the " + std::to_string(s.page_ids) + " IDs on page " + std::to_string(o.page - 1 + o.page_base) +
                    " has pixels in context " + context);
  std::vector<uint8_t> png = render_grid(panels, labels, o);
  if (summary) *summary = std::move(s);
  return png;
}

}  // namespace specmill
