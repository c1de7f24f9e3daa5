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
#include "engine/get/getspec_request.hpp"
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

// A value of the original's form: absent, empty or the text None (what the original client
// sends for a keyword left at None) mean absent.
bool given(const request_params& p, const char* name) {
  const auto v = p.text(name);
  return v && !v->empty() && *v != "None";
}

std::optional<wavelength_range> cutout_param(const request_params& p) {
  if (!given(p, "cutout")) return std::nullopt;
  return parse_wavelength_range(*p.text("cutout"));
}

// The request's getSpec parameters (engine/get/getspec_request.hpp says how they answer).
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
  getspec_request r;
  r.align = p.flag("align", false);
  if (given(p, "values")) r.values = *p.text("values");
  r.cutout = cutout_param(p);
  if (given(p, "resample")) r.resample = parse_wavelength_grid(*p.text("resample"));
  r.rest_frame = p.flag("rest_frame", false);
  if (given(p, "w0")) r.w0 = p.number("w0", NAN);
  if (given(p, "w1")) r.w1 = p.number("w1", NAN);
  apply_getspec_request(o, r, c.store_of(ctx).grid());
  // DESI extras (engine/get/get_extras.hpp): checked against the store by prepare_get.
  if (given(p, "camera")) o.camera = parse_camera(*p.text("camera"));
  o.with_resolution = p.flag("with_resolution", false);
  return o;
}

}  // namespace

void add_spec_routes(service& svc) {
  using m = service::method;

  svc.route(m::both, "/getSpec", [](call& c) {
    const context_config& ctx = c.context();
    get_options o = get_request(c, ctx);
    auto prepared = std::make_shared<prepared_get>(prepare_get(o, c.id_list(ctx), &c.store_of(ctx)));
    const auto values = c.params.text_or("values", "all");
    const bool extras = o.camera || o.with_resolution;
    if (!extras) answer_one_unaligned(*prepared, values == "all" || values == "None");  // extras keep their shape
    const auto& s = prepared->summary;
    const uint64_t diagonals = o.with_resolution ? uint64_t(prepared->extras.diagonals) : 0;
    const uint64_t bytes =
        o.camera ? uint64_t(s.width) * s.requested * 4 * (3 + diagonals)
        : prepared->dense() ? uint64_t(s.width) * s.requested * 4 * o.columns.size()
                            : uint64_t(s.pixels) * 4 * o.columns.size() +
                                  uint64_t(prepared->extras.width) * s.requested * 4 * diagonals;
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
    const lattice_window span = getspec_span(p.ids, c.store_of(ctx).grid(), cutout);
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
