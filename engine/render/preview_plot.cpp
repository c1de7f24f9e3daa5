#include "engine/render/preview_plot.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numbers>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "core/good_pixel.hpp"
#include "engine/render/emission_lines.hpp"
#include "engine/render/plot_axes.hpp"
#include "engine/store/store.hpp"
#include "io/image/png_writer.hpp"
#include "kernels/zscale.hpp"

namespace specmill {
namespace {

constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();
constexpr double tick_len = 3;

// ivar_use::presence: the plot draws the flux, ivar only says the pixel was measured.
bool good(const spectrum_plot_data& d, size_t i) { return good_pixel(d.flux[i], d.ivar[i], 0, 0, ivar_use::presence); }

// The pixels [i0, i1) whose wavelengths lie in [lo, hi].
std::pair<size_t, size_t> pixels_in(const std::vector<double>& wl, double lo, double hi) {
  const auto a = std::lower_bound(wl.begin(), wl.end(), lo), b = std::upper_bound(wl.begin(), wl.end(), hi);
  return {size_t(a - wl.begin()), size_t(std::max(a, b) - wl.begin())};
}

// Robust flux limits: percentiles of the good pixels (any finite ones when none is good),
// widened by 8% of their span; a flat spectrum gets +-10% of its value (or +-1 at zero).
std::pair<double, double> flux_limits(const spectrum_plot_data& d, size_t i0, size_t i1, const plot_options& o) {
  std::vector<float> v;
  for (size_t i = i0; i < i1; ++i)
    if (good(d, i)) v.push_back(d.flux[i]);
  if (v.empty())
    for (size_t i = i0; i < i1; ++i)
      if (std::isfinite(d.flux[i])) v.push_back(d.flux[i]);
  if (v.empty()) return {-1, 1};
  const display_limits l = percentile_limits(v, o.y_percentile_lo, o.y_percentile_hi);
  const double span = l.hi - l.lo;
  const double m = span > 0 ? 0.08 * span : std::abs(l.lo) > 0 ? 0.1 * std::abs(l.lo) : 1.0;
  return {l.lo - m, l.hi + m};
}

std::string title_of(const spectrum_plot_data& d) {
  std::string t = d.label;
  if (!d.class_name.empty()) t += "  " + d.class_name;
  if (d.z && std::isfinite(*d.z)) {
    char buf[48];
    std::snprintf(buf, sizeof buf, "  z=%.4f", *d.z);
    t += buf;
  }
  return t;
}

// Fonts grow with the panel, within what stays legible (7 px) and what a plot needs (14 px).
double font_size(double w, double h) { return std::clamp(std::min(h / 11.0, w / 35.0), 7.0, 14.0); }

void draw_error_band(canvas& cv, const spectrum_plot_data& d, size_t i0, size_t i1, const plot_frame& f) {
  std::vector<point> poly;
  size_t i = i0;
  while (i < i1) {
    while (i < i1 && !good(d, i)) ++i;
    const size_t run0 = i;
    while (i < i1 && good(d, i)) ++i;
    if (i - run0 < 2) continue;
    poly.clear();
    for (size_t k = run0; k < i; ++k) poly.push_back({f.x_of(d.wavelength[k]), f.y_of(d.flux[k] + 1 / std::sqrt(d.ivar[k]))});
    for (size_t k = i; k-- > run0;) poly.push_back({f.x_of(d.wavelength[k]), f.y_of(d.flux[k] - 1 / std::sqrt(d.ivar[k]))});
    cv.fill_polygon(poly, plot_colors::error_band);
  }
}

// y values of pixels [i0, i1) as a polyline; when only_good, bad pixels break it. Points that
// fall in one pixel column are reduced to the first, the lowest, the highest and the last (in
// their order): the same pixels get drawn, and Cairo does not have to stroke thousands of
// self-overlapping segments (a 4,600-pixel spectrum in 350 px took 40 ms that way).
void draw_series(canvas& cv, const spectrum_plot_data& d, const std::vector<float>& y, size_t i0, size_t i1,
                 const plot_frame& f, rgba c, double lw, bool only_good) {
  std::vector<point> pts;
  pts.reserve(std::min<size_t>(i1 - i0, size_t(4 * (f.right - f.left) + 16)));
  struct column_group {
    double col = 0;
    point first, last, lo, hi;
    size_t ilo = 0, ihi = 0;
    bool open = false;
  } g;
  auto flush = [&] {
    if (!g.open) return;
    pts.push_back(g.first);
    const bool lo_first = g.ilo <= g.ihi;
    for (const point& p : {lo_first ? g.lo : g.hi, lo_first ? g.hi : g.lo})
      if (p.x != pts.back().x || p.y != pts.back().y) pts.push_back(p);
    if (g.last.x != pts.back().x || g.last.y != pts.back().y) pts.push_back(g.last);
    g.open = false;
  };
  for (size_t i = i0; i < i1; ++i) {
    if ((only_good && !good(d, i)) || !std::isfinite(y[i])) {
      flush();
      pts.push_back({nan_d, nan_d});
      continue;
    }
    const point p{f.x_of(d.wavelength[i]), f.y_of(y[i])};
    const double col = std::floor(p.x);
    if (g.open && col != g.col) flush();
    if (!g.open) {
      g = {col, p, p, p, p, i, i, true};
      continue;
    }
    g.last = p;
    if (p.y < g.lo.y) g.lo = p, g.ilo = i;
    if (p.y > g.hi.y) g.hi = p, g.ihi = i;
  }
  flush();
  cv.polyline(pts, c, lw);
}

// Dashed markers at the observed wavelengths, labelled left to right where labels do not
// collide; snapped to pixel centers so a 1-px marker is one crisp column.
void draw_lines(canvas& cv, const spectrum_plot_data& d, const plot_frame& f, double fs) {
  if (!d.z || !std::isfinite(*d.z) || *d.z <= -1) return;
  const auto placed = lines_in_range(*d.z, f.x_lo, f.x_hi);
  auto color = [](const placed_line& pl) {
    return pl.line->kind == line_kind::emission ? plot_colors::emission_line : plot_colors::absorption_line;
  };
  auto x_of = [&](const placed_line& pl) { return std::floor(f.x_of(pl.observed_aa)) + 0.5; };
  for (const placed_line& pl : placed) cv.line({x_of(pl), f.top}, {x_of(pl), f.bottom}, color(pl), 1, 3);
  // Labels over all markers, on a veil that keeps them readable over the data; half an em
  // apart and inside the frame, the others stay unlabelled.
  cv.set_font(fs);
  double free_from = -1e300;
  for (const placed_line& pl : placed) {
    const double x = x_of(pl);
    const std::string name(pl.line->name);
    const double tw = cv.text_width(name);
    if (x - tw / 2 > std::max(free_from + fs / 2, f.left + 1) && x + tw / 2 < f.right - 1) {
      cv.fill_rect(x - tw / 2 - 1, f.top + 1, tw + 2, 1.2 * fs, {1, 1, 1, 0.75});
      cv.text(x, f.top + 1, name, color(pl), h_align::center, v_align::top);
      free_from = x + tw / 2;
    }
  }
}

}  // namespace

void check_plot_options(const plot_options& o) {
  SPECMILL_EXPECTS(o.width >= 50 && o.width <= 10000, "plot width must be 50..10000 px, not " + std::to_string(o.width));
  SPECMILL_EXPECTS(o.height >= 50 && o.height <= 10000, "plot height must be 50..10000 px, not " + std::to_string(o.height));
  SPECMILL_EXPECTS(o.y_percentile_lo >= 0 && o.y_percentile_hi <= 100 && o.y_percentile_lo < o.y_percentile_hi,
                   "plot y percentiles must satisfy 0 <= lo < hi <= 100");
}

spectrum_plot_data plot_data(const coadd& c, const spec_meta& meta, const native_grid& grid) {
  spectrum_plot_data d;
  d.label = std::to_string(meta.plate) + "-" + std::to_string(meta.mjd) + "-" + std::to_string(meta.fiberid);
  if (same_grid(grid, desi_native_grid)) {
    // plate-mjd-fiber mean nothing for DESI (plate holds the HEALPIX): name the target.
    d.label = std::to_string(meta.thing_id) + " " + meta.run2d + "/" + meta.programname;
    const auto overlaps = desi_camera_overlaps();
    d.camera_overlaps.assign(overlaps.begin(), overlaps.end());
  }
  d.class_name = meta.class_name;
  d.z = meta.z;
  d.wavelength.resize(c.npix());
  // From the lattice index in double, not the stored float32 loglam (off by up to 0.1 A).
  for (size_t i = 0; i < c.npix(); ++i) d.wavelength[i] = grid.angstrom(c.lattice_start + int64_t(i));
  d.flux = c.flux;
  d.ivar = c.ivar;
  d.sky = c.sky;
  d.model = c.model;
  return d;
}

plot_frame draw_spectrum_panel(canvas& cv, double x0, double y0, double w, double h, const spectrum_plot_data& d,
                               const plot_options& o) {
  SPECMILL_EXPECTS(d.flux.size() == d.wavelength.size() && d.ivar.size() == d.wavelength.size(),
                   "plot data: flux, ivar and wavelength differ in length");
  cv.clip(x0, y0, w, h);
  cv.fill_rect(x0, y0, w, h, plot_colors::background);
  const double fs = font_size(w, h), pad = std::max(2.0, 0.3 * fs);
  const bool xlabel = h >= 160, ylabel = h >= 160 && w >= 250;

  plot_frame f;
  if (o.cutout) {
    f.x_lo = o.cutout->lo;
    f.x_hi = o.cutout->hi;
  } else if (!d.wavelength.empty()) {
    f.x_lo = d.wavelength.front();
    f.x_hi = d.wavelength.back();
  }
  if (!(f.x_hi > f.x_lo)) {
    f.x_lo -= 1;
    f.x_hi += 1;
  }
  const auto [i0, i1] = pixels_in(d.wavelength, f.x_lo, f.x_hi);
  std::tie(f.y_lo, f.y_hi) = flux_limits(d, i0, i1, o);

  // Margins: title on top; tick labels (and axis labels when there is room) left and below.
  cv.set_font(fs);
  f.top = y0 + pad + 1.3 * fs;
  f.bottom = y0 + h - pad - tick_len - 1.25 * fs - (xlabel ? 1.4 * fs : 0);
  const int y_max_ticks = std::max(2, int((f.bottom - f.top) / (2.2 * fs)));
  const axis_ticks yt = nice_ticks(f.y_lo, f.y_hi, y_max_ticks);
  double label_w = 0;
  for (double v : yt.values) label_w = std::max(label_w, cv.text_width(format_tick(v, yt.decimals)));
  f.left = x0 + pad + (ylabel ? 1.4 * fs : 0) + label_w + tick_len + 2;
  f.right = x0 + w - pad - 0.6 * fs;
  if (f.right - f.left < 10) f.right = f.left + 10;
  if (f.bottom - f.top < 10) f.bottom = f.top + 10;

  cv.clip(f.left, f.top, f.right - f.left, f.bottom - f.top);
  for (const wavelength_span& s : d.camera_overlaps) {
    // At least a pixel wide, so that a zoomed-out panel still shows where the cameras meet.
    const double xa = f.x_of(s.lo), xb = f.x_of(s.hi);
    cv.fill_rect(std::floor(xa), f.top, std::max(1.0, std::ceil(xb) - std::floor(xa)), f.bottom - f.top,
                 plot_colors::camera_overlap);
  }
  if (o.error) draw_error_band(cv, d, i0, i1, f);
  if (o.sky && d.sky.size() == d.wavelength.size()) draw_series(cv, d, d.sky, i0, i1, f, plot_colors::sky, 1, false);
  draw_series(cv, d, d.flux, i0, i1, f, plot_colors::flux, 1, true);
  if (o.model && d.model.size() == d.wavelength.size()) draw_series(cv, d, d.model, i0, i1, f, plot_colors::model, 1, false);
  if (o.lines) draw_lines(cv, d, f, 0.85 * fs);
  cv.clip(x0, y0, w, h);

  // Frame on pixel centers; ticks outward, labels beyond them.
  cv.set_font(fs);
  const double fl = std::floor(f.left) + 0.5, fr = std::floor(f.right) + 0.5, ft = std::floor(f.top) + 0.5,
               fb = std::floor(f.bottom) + 0.5;
  cv.stroke_rect(fl, ft, fr - fl, fb - ft, plot_colors::axes);
  for (double v : yt.values) {
    const double y = std::floor(f.y_of(v)) + 0.5;
    cv.line({fl - tick_len, y}, {fl, y}, plot_colors::axes);
    cv.text(fl - tick_len - 2, y, format_tick(v, yt.decimals), plot_colors::axes, h_align::right, v_align::middle);
  }
  const double x_label_w = cv.text_width("00000") + 1.5 * fs;
  const axis_ticks xt = nice_ticks(f.x_lo, f.x_hi, std::max(2, int((f.right - f.left) / x_label_w)));
  for (double v : xt.values) {
    const double x = std::floor(f.x_of(v)) + 0.5;
    cv.line({x, fb}, {x, fb + tick_len}, plot_colors::axes);
    cv.text(x, fb + tick_len + 1, format_tick(v, xt.decimals), plot_colors::axes, h_align::center, v_align::top);
  }
  if (xlabel)
    cv.text((f.left + f.right) / 2, y0 + h - pad, "Wavelength [\u00c5]", plot_colors::axes, h_align::center, v_align::bottom);
  if (ylabel) {
    std::string yl = "Flux [10\u207b\u00b9\u2077 erg s\u207b\u00b9 cm\u207b\u00b2 \u00c5\u207b\u00b9]";
    if (cv.text_width(yl) > f.bottom - f.top) yl = "Flux [1e-17 cgs/\u00c5]";
    if (cv.text_width(yl) <= f.bottom - f.top)
      cv.text(x0 + pad, (f.top + f.bottom) / 2, yl, plot_colors::axes, h_align::center, v_align::top, -std::numbers::pi / 2);
  }
  cv.set_font(1.05 * fs, true);
  cv.text(x0 + pad, y0 + pad, title_of(d), plot_colors::axes, h_align::left, v_align::top);
  cv.reset_clip();
  return f;
}

void draw_missing_panel(canvas& cv, double x0, double y0, double w, double h, const std::string& label,
                        const std::string& why) {
  cv.clip(x0, y0, w, h);
  cv.fill_rect(x0, y0, w, h, plot_colors::background);
  const double fs = font_size(w, h), pad = std::max(2.0, 0.3 * fs);
  cv.set_font(1.05 * fs, true);
  cv.text(x0 + pad, y0 + pad, label, plot_colors::axes, h_align::left, v_align::top);
  cv.set_font(fs);
  cv.text(x0 + w / 2, y0 + h / 2, why, plot_colors::sky, h_align::center, v_align::middle);
  cv.reset_clip();
}

rendered_plot render_preview(const spectrum_plot_data& d, const plot_options& o) {
  check_plot_options(o);
  canvas cv(o.width, o.height);
  rendered_plot r;
  r.frame = draw_spectrum_panel(cv, 0, 0, o.width, o.height, d, o);
  png_format f;
  f.width = uint32_t(o.width);
  f.height = uint32_t(o.height);
  f.color = png_color::rgb;
  // A preview is ~100 KB of pixels: one libpng stream beats starting threads. Level 3: half the
  // time of 6 on plots for 6% more bytes (docs/rendering.md).
  f.encoder = png_encoder::libpng;
  f.compression_level = plot_png_compression;
  r.png = encode_png(f, cv.rgb().data());
  return r;
}

spectrum_plot_data load_plot_data(store& st, const std::string& context, const spectrum_id& id) {
  const resolved_list r = resolve_ids(st.catalog(), context, std::span<const spectrum_id>(&id, 1));
  if (r.empty() || !r[0].found()) throw not_found("ID " + id.text + " is not in context " + context);
  if (!r[0].has_pixels()) throw not_found("ID " + id.text + " has a catalog row but no pixel data in the store");
  const spectrum_location loc = r[0].location();
  // resolve_ids carries lean metadata; the title wants the catalog row's class.
  const auto full = st.catalog().lookup(context, r[0].specobjid());
  const spec_meta meta = full ? full->meta : r[0].keys();
  const auto held = st.shared_block(loc.block_id);
  const block_reader& b = *held;
  return plot_data(b.read_spectrum(size_t(loc.row)), meta, b.grid());
}

std::vector<uint8_t> preview_png(const std::filesystem::path& store_root, const std::string& context,
                                 const spectrum_id& id, const plot_options& o) {
  check_plot_options(o);
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "unknown context '" + context + "' in store " + store_root.string());
  return render_preview(load_plot_data(st, context, id), o).png;
}

}  // namespace specmill
