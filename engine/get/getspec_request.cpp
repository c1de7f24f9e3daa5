#include "engine/get/getspec_request.hpp"

#include <cmath>

#include "core/error.hpp"

namespace specmill {
namespace {

lattice_window intersect(const lattice_window& a, const lattice_window& b) {
  const auto both = overlap(a, b);
  SPECMILL_EXPECTS(both.has_value(), "the cutout holds none of the spectra's pixels");
  return *both;
}

std::optional<lattice_window> window_of(const getspec_request& r, const native_grid& grid) {
  if (!r.w0 && !r.w1) return std::nullopt;
  const double a = r.w0.value_or(NAN), b = r.w1.value_or(NAN);
  if (a == 0 && b == 0) return std::nullopt;
  SPECMILL_EXPECTS(std::isfinite(a) && std::isfinite(b) && a > 0 && b >= a && b < 7,
                   "w0 and w1 must both be given, in log10 Angstrom, with w0 <= w1");
  const auto start = lattice_window::index_of_loglam(a, grid);
  return lattice_window{start, int64_t(lattice_window::index_of_loglam(b, grid)) - start + 1, grid};
}

}  // namespace

void apply_getspec_request(get_options& o, const getspec_request& r, const native_grid& native) {
  o.align = r.align;
  o.cutout = r.cutout;
  o.resample = r.resample;
  o.rest_frame = r.rest_frame;
  SPECMILL_EXPECTS(!o.rest_frame || o.resample, "rest_frame needs resample (a rest-frame grid)");
  SPECMILL_EXPECTS(!(o.resample && o.cutout), "resample and cutout exclude each other");
  const auto window = window_of(r, native);  // checked even when unused: half a window is an error
  if (o.align) {
    o.window = window;
    if (o.window && o.cutout) {
      o.window = intersect(*o.window, cutout_window(*o.cutout, native));
      o.cutout.reset();
    }
  }
  const bool dense = o.align || o.cutout || o.window || o.resample;
  o.columns = r.values.empty() ? (dense && o.format != get_format::npy ? default_dense_columns : parse_columns("all"))
                               : parse_columns(r.values);
}

void answer_one_unaligned(prepared_get& pg, bool every_column) {
  get_options& o = pg.opts;
  if (o.align || o.resample || pg.ids.size() != 1) return;
  if (o.format == get_format::fits) {
    // A spec file has every COADD column; a column subset keeps the table layout.
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

lattice_window getspec_span(const resolved_list& ids, const native_grid& native,
                            const std::optional<wavelength_range>& cutout) {
  lattice_window span = list_span(ids, native);
  if (cutout) span = intersect(span, cutout_window(*cutout, native));
  return span;
}

}  // namespace specmill
