#pragma once
// Options shared by the rendering commands (image, preview, grid): reading an ID list, and the
// preview options that grid panels take too.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

#include "core/error.hpp"
#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/render/preview_plot.hpp"

namespace specmill::cli {

struct plot_args {
  plot_options opts;
  std::string cutout;
  void add_to(CLI::App& sub) {
    sub.add_option("--width", opts.width, "Plot width in pixels (50..10000; a panel's, in a grid)")->capture_default_str();
    sub.add_option("--height", opts.height, "Plot height in pixels (50..10000; a panel's, in a grid)")->capture_default_str();
    sub.add_flag("--sky", opts.sky, "Overplot the sky spectrum (gray)");
    sub.add_flag("--model", opts.model, "Overplot the pipeline's model (red)");
    sub.add_flag("--error", opts.error, "Shade the 1-sigma band, flux +- 1/sqrt(ivar) (light blue)");
    sub.add_flag("--lines", opts.lines,
                 "Mark emission (blue) and absorption (orange) lines at the catalog redshift, labelled where room allows");
    sub.add_option("--cutout", cutout, "A-B: plot only [A, B] Angstrom (vacuum)");
  }
  const plot_options& finish() {
    if (!cutout.empty()) opts.cutout = parse_wavelength_range(cutout);
    check_plot_options(opts);
    return opts;
  }
};

}  // namespace specmill::cli
