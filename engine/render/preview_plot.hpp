#pragma once
// Preview plots of one spectrum (the original service's /preview): flux against wavelength with
// ticks, tick labels, axis labels, a title (plate-mjd-fiber, class, z), and optionally the
// 1-sigma band from ivar, the sky and the model, and emission/absorption line markers at the
// spectrum's redshift (engine/render/emission_lines.hpp). Drawn with Cairo (io/image/cairo_canvas.hpp).
//
// Conventions (docs/rendering.md):
// - x: wavelength in Angstrom (vacuum), linear, the spectrum's first to last pixel, or the
//   cutout range. y: flux in 1e-17 erg/s/cm^2/A between robust limits: the 0.5 and 99.5
//   percentiles of the good pixels in range, widened by 8% of their difference on each side,
//   so that a spike runs off the top instead of flattening the spectrum.
// - Good pixels have ivar > 0 and a finite flux; the flux line and the error band are broken
//   at the others (the padding and bad pixels SDSS sets to zero would draw false dips).
// - Small sizes degrade: axis labels appear from 160 px of height, fewer ticks fit in less
//   room, fonts scale with the panel between 7 and 14 px.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "io/image/cairo_canvas.hpp"
#include "core/spectrum.hpp"

namespace specmill {

class store;

struct plot_options {
  int width = 400, height = 100;  // pixels (of one panel in a grid), 50 .. 10000 each
  bool sky = false, model = false, error = false, lines = false;
  std::optional<wavelength_range> cutout;
  double y_percentile_lo = 0.5, y_percentile_hi = 99.5;
};
// invalid_argument naming the option.
void check_plot_options(const plot_options& o);

// zlib level of plot PNGs.
inline constexpr int plot_png_compression = 3;

// The colours a plot uses (the tests find the lines by them).
namespace plot_colors {
inline constexpr rgba background{1, 1, 1};
inline constexpr rgba axes{0, 0, 0};
inline constexpr rgba flux{0, 0, 0};
inline constexpr rgba error_band{0.72, 0.80, 0.96};
inline constexpr rgba sky{0.55, 0.55, 0.55};
inline constexpr rgba model{0.86, 0.12, 0.10};
inline constexpr rgba emission_line{0.10, 0.40, 0.90};
inline constexpr rgba absorption_line{0.95, 0.55, 0.00};
inline constexpr rgba camera_overlap{0.90, 0.90, 0.80};  // faint: DESI b/r and r/z overlaps
}  // namespace plot_colors

// What a panel draws: one spectrum on wavelengths, with its title fields.
struct spectrum_plot_data {
  std::string label;        // plate-mjd-fiber
  std::string class_name;   // GALAXY, QSO, STAR or empty
  std::optional<double> z;  // line markers need it
  std::vector<double> wavelength;            // Angstrom, increasing
  std::vector<float> flux, ivar, sky, model;  // as long as wavelength (sky, model may be empty)
  // Wavelength ranges shaded behind the spectrum: where a DESI spectrum's cameras overlap (the
  // merged flux there is a mean of two cameras, and the noise changes at each edge).
  std::vector<wavelength_span> camera_overlaps;
};

// A stored spectrum and its catalog row (label from plate, mjd, fiberid; on the DESI grid the
// TARGETID, survey and program, with the camera overlaps marked).
spectrum_plot_data plot_data(const coadd& c, const spec_meta& meta, const native_grid& grid = sdss_native_grid);

// Where a panel's data went: the data area in canvas pixels and the ranges it shows.
struct plot_frame {
  double left = 0, top = 0, right = 0, bottom = 0;
  double x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 1;
  double x_of(double wavelength) const { return left + (wavelength - x_lo) / (x_hi - x_lo) * (right - left); }
  double y_of(double flux) const { return bottom - (flux - y_lo) / (y_hi - y_lo) * (bottom - top); }
};

// Draws a panel into the canvas rectangle [x0, x0 + w) x [y0, y0 + h); nothing outside it.
plot_frame draw_spectrum_panel(canvas& cv, double x0, double y0, double w, double h, const spectrum_plot_data& d,
                               const plot_options& o);
// A panel for an ID that has no pixels: its ID line and the reason.
void draw_missing_panel(canvas& cv, double x0, double y0, double w, double h, const std::string& label,
                        const std::string& why);

struct rendered_plot {
  std::vector<uint8_t> png;
  plot_frame frame;
};
// One preview of in-memory data (the store-free core, for tests and other fronts).
rendered_plot render_preview(const spectrum_plot_data& d, const plot_options& o);

// The spectrum of one ID from a store, with its catalog row: not_found when the ID is not in
// the context or has no pixels.
spectrum_plot_data load_plot_data(store& st, const std::string& context, const spectrum_id& id);

// The whole request: PNG bytes in memory (the REST front serves them).
std::vector<uint8_t> preview_png(const std::filesystem::path& store_root, const std::string& context,
                                 const spectrum_id& id, const plot_options& o);

}  // namespace specmill
