// /stack: a composite spectrum of an ID list (engine/stack/stack.hpp), returned as npz (default),
// fits or csv. The result is one grid's worth of arrays, computed before the reply starts, so
// every failure is a 4xx.
#include <cmath>
#include <string>

#include "api/rest/rest_server.hpp"
#include "core/mask_bits.hpp"
#include "engine/stack/stack.hpp"

namespace specmill::rest {

void add_stack_routes(service& svc) {
  svc.route(service::method::both, "/stack", [](call& c) {
    const context_config& ctx = c.context();
    const request_params& p = c.params;
    stack_options o;
    o.store = ctx.store;
    o.context = ctx.store_context;
    o.progress = false;
    o.device = c.svc.config().engine_backend;
    o.checkpoint = check_request_budget;
    o.method = parse_stack_method(p.text_or("method", "weighted_mean"));
    o.sigma = p.number("sigma", o.sigma);
    o.iterations = int(p.integer("iterations", o.iterations));
    if (const auto g = p.text("grid"); g && !g->empty()) o.grid = parse_wavelength_grid(*g);
    o.rest_frame = p.flag("rest_frame", false);
    if (const auto n = p.text("normalize"); n && !n->empty()) o.normalize = parse_wavelength_range(*n);
    o.normalize_band = p.text_or("normalize_band", "");
    // Shipped filter names only: the service never opens a path a client names.
    SPECMILL_EXPECTS(o.normalize_band.find('/') == std::string::npos && o.normalize_band.find('.') == std::string::npos,
                     "normalize_band: give a shipped filter name (r, sdss2010-r), not a path");
    o.mask_bits = parse_mask_bits(p.text_or("mask_bits", "default"));  // as the CLI: the SDSS bad-pixel bits
    o.format = parse_stack_format(p.text_or("format", "npz"));
    o.out = "stack." + p.text_or("format", "npz");  // a name for the checks; the bytes go to the reply
    check_stack_options(o);
    store& st = c.store_of(ctx);
    const auto ids = resolve_ids(st.catalog(), ctx.store_context, c.id_list(ctx));
    const auto slot = c.svc.jobs().acquire();
    // Every spectrum dropped (no_usable_data) answers 400, a corrupt store (data_error) 500:
    // the mapping by type is reply_for's (api/rest/rest_errors.hpp).
    stack_result r = compute_stack(o, st, ids);
    // One grid's worth of arrays: the whole reply is made before it starts, so that a failure
    // is still a 4xx/5xx status.
    std::string bytes;
    o.sink = [&bytes](const char* data, size_t n) { bytes.append(data, n); };
    write_stack(o, r);
    c.res.set_header("X-Spectra-Used", std::to_string(r.summary.used));
    c.res.set_header("X-Spectra-Requested", std::to_string(r.summary.requested));
    c.count_spectra(r.summary.used);
    c.res.set_content(std::move(bytes), o.format == stack_format::csv    ? "text/csv"
                                   : o.format == stack_format::fits ? "application/fits"
                                                                    : "application/octet-stream");
  });
}

}  // namespace specmill::rest
