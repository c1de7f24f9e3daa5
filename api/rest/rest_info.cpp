// The service's small endpoints: greeting, liveness, contexts/profiles/catalogs, validate,
// health, metrics, the OpenAPI document, and the admin endpoints /shutdown and /debug.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/rest/rest_openapi.hpp"
#include "api/rest/rest_server.hpp"
#include "engine/render/emission_lines.hpp"
#include "io/catalog/catalog_tables.hpp"

namespace specmill::rest {
namespace {

using json = nlohmann::json;

const auto started_at = std::chrono::steady_clock::now();

// The original service's context description. rest_frame is the string "false" (the data are
// in the observed frame) because the original client compares it to that string in plot().
// `catalog` names the context's spectrum table as the original did (<schema>.<table>); /query
// accepts the schema prefix. native_grid is the store's pixel grid (core/native_grid.hpp text).
json context_info(const context_config& c, const json& catalogs, const json& grid) {
  return json{{"description", c.description},
              {"type", "spectra"},
              {"catalog", c.name + ".specobj"},
              {"id_main", "specobjid"},
              {"redshift", "z"},
              {"rest_frame", "false"},
              {"public", c.is_public},
              {"native_grid", grid},
              {"catalogs", catalogs}};
}

// The stores' grids, cached for the listing: without it every GET /contexts opened every
// context's store (its catalog and first block) to print one line of text. A store's grid is
// that of its first block, so it changes only when an empty store gets its first block, and that
// commit writes the catalog: an entry holds while the catalog file and its write-ahead log keep
// the modification times and sizes it was read with. (Reading the grids once at start-up would
// answer the SDSS default for a store that was empty then and ingested into since.)
class grid_cache {
 public:
  json get(call& c, const context_config& ctx) {
    const std::string stamp = catalog_stamp(ctx.store);
    {
      std::lock_guard lock(mutex_);
      const auto it = entries_.find(ctx.store.string());
      if (it != entries_.end() && it->second.first == stamp) return it->second.second;
    }
    json grid = to_string(c.store_of(ctx).grid());  // throws for a store that cannot be opened
    std::lock_guard lock(mutex_);
    entries_[ctx.store.string()] = {stamp, grid};
    return grid;
  }

 private:
  static std::string catalog_stamp(const std::filesystem::path& root) {
    std::string stamp;
    for (const char* name : {"catalog.sqlite", "catalog.sqlite-wal"}) {
      std::error_code ec;
      const auto p = root / name;
      const auto t = std::filesystem::last_write_time(p, ec);
      const auto size = ec ? 0 : std::filesystem::file_size(p, ec);
      stamp += ec ? std::string("-;") : std::to_string(t.time_since_epoch().count()) + "," + std::to_string(size) + ";";
    }
    return stamp;
  }
  std::mutex mutex_;
  std::map<std::string, std::pair<std::string, json>> entries_;  // store root -> (stamp, grid text)
};

// The store's grid as text; null when the store cannot be opened: one broken store must not
// take the listing of every context down (/health reports it).
json grid_of(call& c, const context_config& ctx) {
  static grid_cache cache;
  try {
    return cache.get(c, ctx);
  } catch (const std::exception& e) {
    spdlog::error("contexts: context {}: {}", ctx.name, log_text(e));
    return nullptr;
  }
}

json spectrum_tables() {
  return json{{"specobj", "primary spectra (specprimary = 1)"}, {"specobjall", "every spectrum"}};
}

// The context's tables: specobj, specobjall and every catalog registered with `catalog add`.
json catalog_tables(call& c, const context_config& ctx) {
  json cats = spectrum_tables();
  for (const auto& t : c.store_of(ctx).catalog().catalog_tables())
    cats[t.name] = t.source.empty() ? "value-added catalog" : "value-added catalog (" + std::to_string(t.rows) + " rows)";
  return cats;
}

// Whether this request may see context `ctx` at all: a private context is invisible (not listed,
// not validated, not in /health) without one of its tokens or the admin token.
bool visible(const call& c, const context_config& ctx) {
  if (ctx.is_public) return true;
  const std::string token = c.req.get_header_value("X-DL-AuthToken");
  if (token.empty()) return false;
  if (!c.svc.config().admin_token.empty() && token == c.svc.config().admin_token) return true;
  return std::find(ctx.tokens.begin(), ctx.tokens.end(), token) != ctx.tokens.end();
}

// The original client sends the literal text None for an unset context or profile, and
// "default" until set_context: both mean "not named".
bool unnamed(const std::optional<std::string>& v) { return !v || v->empty() || *v == "None"; }

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
  // The original client's isAlive() wants the reply to begin with "hello world".
  svc.route(m::get, "/", [](call& c) {
    c.text("Hello world! This is specmill, a spectroscopic data service, version " + std::string(SPECMILL_VERSION) + "\n");
  });
  svc.route(m::get, "/ping", [](call& c) { c.text("OK"); });
  svc.route(m::get, "/available", [](call& c) { c.text("True"); });

  svc.route(m::get, "/profiles", [](call& c) {
    const std::string fmt = format_of(c);
    auto want = c.params.text("profile");
    if (unnamed(want)) want.reset();
    json all = json::object();
    for (const auto& p : c.svc.config().profiles)
      if (!want || *want == p.name) all[p.name] = p.description;
    if (want && all.empty()) throw not_found("unknown profile '" + *want + "'");
    if (fmt == "json") return c.json(all);
    std::string out;
    for (const auto& [name, desc] : all.items()) out += fmt == "csv" ? name + "," + desc.get<std::string>() + "\n" : name + ": " + desc.get<std::string>() + "\n";
    c.text(out, fmt == "csv" ? "text/csv" : "text/plain");
  });

  // One named context (including "default") answers its JSON description whatever the format:
  // the original client stores this reply and indexes it (['id_main'], ['catalog']) after
  // asking for format=text. The list (no context named) follows the format.
  svc.route(m::get, "/contexts", [](call& c) {
    const std::string fmt = format_of(c, "json");
    auto want = c.params.text("context");
    if (unnamed(want)) want.reset();
    if (want) {
      const context_config& ctx = c.context();  // resolves "default", checks the token
      if (fmt == "csv") return c.text(ctx.name + "," + ctx.description + "\n", "text/csv");
      return c.json(context_info(ctx, catalog_tables(c, ctx), to_string(c.store_of(ctx).grid())));
    }
    json all = json::object();
    for (const auto& ctx : c.svc.config().contexts)
      if (visible(c, ctx)) all[ctx.name] = context_info(ctx, spectrum_tables(), grid_of(c, ctx));
    if (fmt == "json") return c.json(all);
    std::string out;
    for (const auto& [name, info] : all.items())
      out += fmt == "csv" ? name + "," + info["description"].get<std::string>() + "\n"
                          : name + ": " + info["description"].get<std::string>() + "\n";
    c.text(out, fmt == "csv" ? "text/csv" : "text/plain");
  });

  svc.route(m::get, "/catalogs", [](call& c) {
    const context_config& ctx = c.context();
    const std::string fmt = format_of(c);
    const json cats = catalog_tables(c, ctx);
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
    if (what == "context") {
      // "default" is the original client's name for the service's default context.
      for (const auto& ctx : c.svc.config().contexts)
        ok = ok || ((ctx.name == value || (value == "default" && ctx.name == c.svc.config().default_context)) && visible(c, ctx));
    } else {
      for (const auto& p : c.svc.config().profiles) ok = ok || p.name == value;
    }
    c.text(ok ? "OK" : "Error");
  });

  svc.route(m::get, "/health", [](call& c) {
    json contexts = json::object();
    bool healthy = true;
    for (const auto& ctx : c.svc.config().contexts) {
      if (!visible(c, ctx)) continue;
      try {
        int64_t spectra = -1, with_pixels = -1;
        for (const auto& info : c.store_of(ctx).catalog().contexts())
          if (info.name == ctx.store_context) spectra = info.spectra, with_pixels = info.with_pixels;
        contexts[ctx.name] = json{{"ok", spectra >= 0}, {"spectra", spectra}, {"with_pixels", with_pixels}};
        healthy = healthy && spectra >= 0;
      } catch (const std::exception& e) {
        spdlog::error("health: context {}: {}", ctx.name, log_text(e));  // paths stay in the log
        contexts[ctx.name] = json{{"ok", false}, {"message", "the store cannot be read"}};
        healthy = false;
      }
    }
    const double up = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
    c.json(json{{"status", healthy ? "ok" : "degraded"}, {"version", SPECMILL_VERSION}, {"uptime_s", up}, {"contexts", contexts}},
           healthy ? 200 : 503);
  });

  // The engine's line table (engine/render/emission_lines) at a redshift, for the clients'
  // get_emission_lines and line marks: [{name, rest, observed, kind}] in [wmin, wmax] Angstrom.
  svc.route(m::get, "/lines", [](call& c) {
    const double z = c.params.number("z", 0.0);
    json out = json::array();
    for (const auto& p : lines_in_range(z, c.params.number("wmin", 0.0), c.params.number("wmax", 1e6)))
      out.push_back({{"name", std::string(p.line->name)}, {"rest", p.line->rest_aa}, {"observed", p.observed_aa},
                     {"kind", p.line->kind == line_kind::emission ? "emission" : "absorption"}});
    c.json(out);
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
      static const std::vector<char> chunk(size_t(1) << 20, 0);  // the 1 MiB pieces getSpec writes
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
