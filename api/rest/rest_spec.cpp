// The data endpoints: /getSpec, /listSpan, /photometry. Parameters are checked and the IDs
// resolved before the response starts (engine prepare_get), so bad input is a 4xx; the data
// then streams from the engine into the response a window at a time: a 100,000-spectrum
// request holds a few windows in memory, never the whole answer.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cmath>

#include "api/rest/rest_server.hpp"
#include "core/text.hpp"
#include "engine/get/get.hpp"
#include "engine/photometry/photometry.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;
using chunk_fn = std::function<void(const char*, size_t)>;

// Runs `job` inside httplib's content provider (on this worker thread, after the headers),
// handing it a sink that writes to the socket. A failure mid-stream can no longer change the
// status: the chunked response is cut short, so the client sees an incomplete body rather
// than a complete-looking wrong one. The same holds for the request budget and a stop, checked
// before every piece, and for a client that went away (a failed write): each ends the job at
// once and frees the worker.
// The job holds one of the service's engine slots (api/rest/rest_jobs.hpp) from before the reply
// starts until it ends: a request that cannot get one within its budget is a 503.
void stream(call& c, const std::string& type, std::function<void(const chunk_fn&)> job) {
  const std::string what = c.req.method + " " + c.req.path;
  auto slot = c.svc.jobs().acquire();
  c.res.set_chunked_content_provider(type, [job = std::move(job), what, slot](size_t, httplib::DataSink& sink) {
    try {
      job([&](const char* data, size_t n) {
        // httplib copies each chunk into a fresh string (twice, with its framing): pieces of
        // at most 1 MiB keep that copy in cache and off the page-fault path (64 MB windows
        // written whole ran 4x slower than this).
        constexpr size_t piece = size_t(1) << 20;
        for (size_t at = 0; at < n; at += piece) {
          check_request_budget();
          const size_t k = std::min(piece, n - at);
          if (!sink.write(data + at, k)) throw io_error("client went away");
          add_streamed_bytes(k);  // per piece: a cut stream logs what it sent
        }
      });
      sink.done();
      return true;
    } catch (const std::exception& e) {
      spdlog::warn("{}: stream aborted: {}", what, log_text(e));
      return false;
    }
  });
}


// The original client sends its own fmt names (it converts the .npy reply on its side into a
// pandas frame, an astropy Table or Spectrum1D objects): all of them are numpy on the wire.
get_format format_param(const request_params& p) {
  const std::string f = to_lower(p.text_or("format", "numpy"));
  if (f == "numpy" || f == "npy" || f == "pandas" || f == "tables" || f == "table" || f.rfind("spectrum", 0) == 0)
    return get_format::npy;
  if (f == "fits") return get_format::fits;
  return parse_get_format(f);  // npz, csv, hdf5; invalid_argument otherwise
}

std::string content_type(get_format f) {
  switch (f) {
    case get_format::fits: return "application/fits";
    case get_format::csv: return "text/csv";
    case get_format::hdf5: return "application/x-hdf5";
    default: return "application/octet-stream";
  }
}

// The cutout parameter: absent, empty or the text None (what the original client sends for
// cutout=None) mean none.
std::optional<wavelength_range> cutout_param(const request_params& p) {
  const auto cut = p.text("cutout");
  if (!cut || cut->empty() || *cut == "None") return std::nullopt;
  return parse_wavelength_range(*cut);
}

// w0/w1 (log10 Angstrom): the original's aligned window, from /listSpan. The original client
// posts them on every request, 0.0 before /listSpan answers: they mean something only with align.
std::optional<lattice_window> window_param(const request_params& p, const native_grid& grid) {
  const auto given = [&](const char* name) {
    const auto v = p.text(name);
    return v && !v->empty() && *v != "None";
  };
  if (!given("w0") && !given("w1")) return std::nullopt;
  const double w0 = p.number("w0", NAN), w1 = p.number("w1", NAN);
  if (w0 == 0 && w1 == 0) return std::nullopt;
  SPECMILL_EXPECTS(std::isfinite(w0) && std::isfinite(w1) && w0 > 0 && w1 >= w0 && w1 < 7,
                   "w0 and w1 must both be given, in log10 Angstrom, with w0 <= w1");
  const auto start = lattice_window::index_of_loglam(w0, grid);
  return lattice_window{start, int64_t(lattice_window::index_of_loglam(w1, grid)) - start + 1, grid};
}

lattice_window intersect(const lattice_window& a, const lattice_window& b) {
  const auto both = overlap(a, b);
  SPECMILL_EXPECTS(both.has_value(), "the cutout holds none of the spectra's pixels");
  return *both;
}

// How getSpec answers, as the original did:
//  - align: every spectrum on one lattice window, w0/w1 (else the list's span), narrowed by a
//    cutout; 2-D [n, pixels], loglam rewritten to the common grid.
//  - not aligned: each spectrum on its own pixels; the original client asks one ID at a time
//    and gets a 1-D array, cut to [lo, hi] with a cutout. Several unaligned IDs with a cutout
//    share the cutout's window (2-D; npz has the CSR form without one).
//  - fmt FITS for one unaligned ID: the data-release spec file (engine/get/spec_file.hpp).
get_options get_request(call& c, const context_config& ctx) {
  const request_params& p = c.params;
  get_options o;
  o.store = ctx.store;
  o.context = ctx.store_context;
  o.progress = false;
  // Between windows: the request budget, a stop, a client that went away (also while a fits or
  // hdf5 reply is still being staged, before its bytes start: io/formats/table_sink.hpp).
  o.checkpoint = check_request_budget;
  o.window_bytes = c.svc.config().limits.job_window_bytes;
  o.device = c.svc.config().engine_backend;
  o.format = format_param(p);
  o.align = p.flag("align", false);
  const auto values_param = p.text("values");
  const std::string values = values_param && !values_param->empty() && *values_param != "None" ? *values_param : "";
  o.cutout = cutout_param(p);
  if (const auto grid = p.text("resample"); grid && !grid->empty() && *grid != "None") o.resample = parse_wavelength_grid(*grid);
  o.rest_frame = p.flag("rest_frame", false);
  SPECMILL_EXPECTS(!o.rest_frame || o.resample, "rest_frame needs resample (a rest-frame grid)");
  SPECMILL_EXPECTS(!(o.resample && o.cutout), "resample and cutout exclude each other");
  const native_grid& native = c.store_of(ctx).grid();
  const auto window = window_param(p, native);  // checked even when unused: half a window is an error
  if (o.align) {
    o.window = window;
    if (o.window && o.cutout) {
      o.window = intersect(*o.window, cutout_window(*o.cutout, native));
      o.cutout.reset();
    }
  }
  const bool dense = o.align || o.cutout || o.window || o.resample;
  // values absent: every column for numpy (the original's default), flux/ivar/and_mask for the
  // other dense forms; values=all: every column, whatever the form.
  o.columns = values.empty() ? (dense && o.format != get_format::npy ? default_dense_columns : parse_columns("all"))
                             : parse_columns(values);
  return o;
}

// One unaligned spectrum is answered on its own pixels: a cutout becomes the intersection of
// its span with the cutout, a 1-D array; FITS becomes the spec file.
void one_unaligned_spectrum(prepared_get& pg, bool every_column) {
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

}  // namespace

void add_spec_routes(service& svc) {
  using m = service::method;

  svc.route(m::both, "/getSpec", [](call& c) {
    const context_config& ctx = c.context();
    get_options o = get_request(c, ctx);
    auto prepared = std::make_shared<prepared_get>(prepare_get(o, c.id_list(ctx), &c.store_of(ctx)));
    const auto values = c.params.text_or("values", "all");
    one_unaligned_spectrum(*prepared, values == "all" || values == "None");
    const auto& s = prepared->summary;
    const uint64_t bytes = prepared->dense() ? uint64_t(s.width) * s.requested * 4 * o.columns.size()
                                             : uint64_t(s.pixels) * 4 * o.columns.size();
    if (bytes > c.svc.config().limits.max_response_bytes)
      throw too_large("the response would hold about " + std::to_string(bytes >> 20) + " MiB, over the limit of " +
                      std::to_string(c.svc.config().limits.max_response_bytes >> 20) + " MiB");
    c.res.set_header("X-Spectra-Found", std::to_string(s.found));
    c.res.set_header("X-Spectra-Requested", std::to_string(s.requested));
    c.count_spectra(s.found);
    stream(c, content_type(o.format), [prepared](const chunk_fn& sink) {
      prepared->opts.sink = sink;
      run_get(*prepared);
    });
  });

  // The list's common lattice window (what align uses), narrowed by a cutout when one is given.
  svc.route(m::both, "/listSpan", [](call& c) {
    const context_config& ctx = c.context();
    get_options o;
    o.store = ctx.store;
    o.context = ctx.store_context;
    o.columns = {column::flux};
    o.align = true;
    const auto cutout = cutout_param(c.params);
    const prepared_get p = prepare_get(o, c.id_list(ctx), &c.store_of(ctx));
    const native_grid& native = c.store_of(ctx).grid();
    lattice_window span = list_span(p.ids, native);
    if (cutout) span = intersect(span, cutout_window(*cutout, native));
    c.json(json{{"w0", span.reported_loglam(0)},
                {"w1", span.reported_loglam(span.width - 1)},
                {"n_pixels", span.width},
                {"requested", p.summary.requested},
                {"found", p.summary.found}});
  });

  svc.route(m::both, "/photometry", [](call& c) {
    const context_config& ctx = c.context();
    photometry_options o;
    o.store = ctx.store;
    o.context = ctx.store_context;
    o.progress = false;
    o.device = c.svc.config().engine_backend;
    o.checkpoint = check_request_budget;
    o.filters = c.params.text_or("filters", std::string(default_photometry_filters));
    // Shipped curves only: the service never opens a path a client names.
    SPECMILL_EXPECTS(o.filters.find('/') == std::string::npos && o.filters.find('.') == std::string::npos,
                     "filters: give names of shipped filter curves (e.g. sdss2010-r), not paths");
    check_photometry_filters(o.filters);
    auto ids = std::make_shared<std::vector<spectrum_id>>(c.id_list(ctx));
    c.count_spectra(ids->size());
    stream(c, "text/csv", [o, ids](const chunk_fn& sink) mutable {
      o.sink = sink;
      run_photometry(o, std::move(*ids));
    });
  });
}

}  // namespace specmill::rest
