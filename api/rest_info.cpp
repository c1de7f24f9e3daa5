// The service's small endpoints: greeting, liveness, contexts/profiles/catalogs, validate,
// health, metrics, the OpenAPI document, and the admin endpoints /shutdown and /debug.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <vector>
#include <thread>

#include "api/rest_openapi.hpp"
#include "api/rest_server.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

const auto started_at = std::chrono::steady_clock::now();

json context_info(const context_config& c) {
  return json{{"description", c.description},
              {"type", "spectra"},
              {"catalog", "specobj"},
              {"id_main", "specobjid"},
              {"redshift", "z"},
              {"rest_frame", false},
              {"public", c.is_public},
              {"catalogs", json{{"specobj", "primary spectra (specprimary = 1)"}, {"specobjall", "every spectrum"}}}};
}

void require_admin(call& c) {
  const std::string token = c.req.get_header_value("X-DL-AuthToken");
  if (c.svc.config().admin_token.empty()) throw forbidden("admin endpoints are disabled (no admin_token configured)");
  if (token.empty()) throw unauthorized("this endpoint needs the admin token in X-DL-AuthToken");
  if (token != c.svc.config().admin_token) throw forbidden("not the admin token");
}

// text (default), json or csv
std::string format_of(call& c, const char* fallback = "text") {
  const std::string f = c.params.text_or("format", fallback);
  SPECMILL_EXPECTS(f == "text" || f == "json" || f == "csv", "format must be text, json or csv, not '" + f + "'");
  return f;
}

}  // namespace

void add_info_routes(service& svc) {
  using m = service::method;
  svc.route(m::get, "/", [](call& c) { c.text("specmill spectroscopic data service, version " + std::string(SPECMILL_VERSION) + "\n"); });
  svc.route(m::get, "/ping", [](call& c) { c.text("OK"); });
  svc.route(m::get, "/available", [](call& c) { c.text("True"); });

  svc.route(m::get, "/profiles", [](call& c) {
    const std::string fmt = format_of(c);
    const auto want = c.params.text("profile");
    json all = json::object();
    for (const auto& p : c.svc.config().profiles)
      if (!want || want->empty() || *want == p.name) all[p.name] = p.description;
    if (want && !want->empty() && all.empty()) throw not_found("unknown profile '" + *want + "'");
    if (fmt == "json") return c.json(all);
    std::string out;
    for (const auto& [name, desc] : all.items()) out += fmt == "csv" ? name + "," + desc.get<std::string>() + "\n" : name + ": " + desc.get<std::string>() + "\n";
    c.text(out, fmt == "csv" ? "text/csv" : "text/plain");
  });

  svc.route(m::get, "/contexts", [](call& c) {
    const std::string fmt = format_of(c, "json");
    const auto want = c.params.text("context");
    json all = json::object();
    for (const auto& ctx : c.svc.config().contexts)
      if (!want || want->empty() || *want == ctx.name) all[ctx.name] = context_info(ctx);
    if (want && !want->empty() && all.empty()) throw not_found("unknown context '" + *want + "'");
    if (fmt == "json") return c.json(want && !want->empty() ? all[*want] : all);
    std::string out;
    for (const auto& [name, info] : all.items())
      out += fmt == "csv" ? name + "," + info["description"].get<std::string>() + "\n"
                          : name + ": " + info["description"].get<std::string>() + "\n";
    c.text(out, fmt == "csv" ? "text/csv" : "text/plain");
  });

  svc.route(m::get, "/catalogs", [](call& c) {
    const context_config& ctx = c.context();
    const std::string fmt = format_of(c);
    json cats = context_info(ctx)["catalogs"];
    if (fmt == "json") return c.json(cats);
    std::string out;
    for (const auto& [name, desc] : cats.items()) out += fmt == "csv" ? name + "," + desc.get<std::string>() + "\n" : name + "\n";
    c.text(out, fmt == "csv" ? "text/csv" : "text/plain");
  });

  svc.route(m::get, "/validate", [](call& c) {
    const std::string what = c.params.text_or("what", "context");
    const std::string value = c.params.text_or("value", "");
    SPECMILL_EXPECTS(what == "context" || what == "profile", "what must be context or profile");
    bool ok = false;
    if (what == "context")
      for (const auto& ctx : c.svc.config().contexts) ok = ok || ctx.name == value;
    else
      for (const auto& p : c.svc.config().profiles) ok = ok || p.name == value;
    c.text(ok ? "OK" : "Error");
  });

  svc.route(m::get, "/health", [](call& c) {
    json contexts = json::object();
    bool healthy = true;
    for (const auto& ctx : c.svc.config().contexts) {
      try {
        int64_t spectra = -1, with_pixels = -1;
        for (const auto& info : c.store_of(ctx).catalog().contexts())
          if (info.name == ctx.store_context) spectra = info.spectra, with_pixels = info.with_pixels;
        contexts[ctx.name] = json{{"ok", spectra >= 0}, {"spectra", spectra}, {"with_pixels", with_pixels}};
        healthy = healthy && spectra >= 0;
      } catch (const std::exception& e) {
        contexts[ctx.name] = json{{"ok", false}, {"message", e.what()}};
        healthy = false;
      }
    }
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    c.json(json{{"status", healthy ? "ok" : "degraded"}, {"version", SPECMILL_VERSION}, {"uptime_s", up}, {"contexts", contexts}},
           healthy ? 200 : 503);
  });

  svc.route(m::get, "/metrics", [](call& c) { c.text(c.svc.metrics().prometheus(), "text/plain; version=0.0.4"); });
  svc.route(m::get, "/openapi.json", [](call& c) { c.json(openapi_document()); });

  svc.route(m::both, "/shutdown", [](call& c) {
    require_admin(c);
    spdlog::warn("shutdown requested by {}", c.req.remote_addr);
    c.text("OK");
    service* s = &c.svc;
    std::thread([s] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let this response go out
      s->stop();
    }).detach();
  });
  // The loopback floor for benchmarks (admin only): n bytes served from memory, streamed in
  // chunks exactly as getSpec streams, so a benchmark can measure the server's own ceiling.
  svc.route(m::get, "/floor", [](call& c) {
    require_admin(c);
    const int64_t n = c.params.integer("bytes", 0);
    SPECMILL_EXPECTS(n >= 0 && n <= (int64_t(1) << 34), "bytes must be 0 to 16 GiB");
    c.res.set_chunked_content_provider("application/octet-stream", [n](size_t, httplib::DataSink& sink) {
      static const std::vector<char> chunk(size_t(4) << 20, 0);
      for (int64_t left = n; left > 0;) {
        const size_t k = size_t(std::min<int64_t>(left, int64_t(chunk.size())));
        if (!sink.write(chunk.data(), k)) return false;
        add_streamed_bytes(k);
        left -= int64_t(k);
      }
      sink.done();
      return true;
    });
  });
  svc.route(m::both, "/debug", [](call& c) {
    require_admin(c);
    const bool on = !c.svc.debug().load();
    c.svc.debug() = on;
    spdlog::set_level(on ? spdlog::level::debug : spdlog::level::info);
    c.json(json{{"debug", on}});
  });
}

}  // namespace specmill::rest
