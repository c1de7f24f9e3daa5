#pragma once
// `specmill serve`: the spectroscopic data service's REST API on cpp-httplib. Every route is
// served at the root and under /spec (the original prefix). Handlers run on a bounded worker
// pool; heavy work runs on the engine (get, photometry, query, rendering), streamed into the
// response. Errors are JSON {"error", "message"} with the status chosen by exception TYPE:
// invalid_argument 400, unauthorized 401, forbidden 403, not_found 404, too_large 413,
// over_budget 503, anything else 500 (with a generic message; the full text goes to the log).
// Connections are guarded by deadlines and header limits (api/rest/rest_connection.hpp).
// docs/rest.md and /openapi.json describe the API; docs/reliability.md the limits.
#include <httplib.h>

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "api/rest/rest_config.hpp"
#include "api/rest/rest_jobs.hpp"
#include "api/rest/rest_connection.hpp"
#include "api/rest/rest_errors.hpp"
#include "api/rest/rest_metrics.hpp"
#include "api/rest/rest_request.hpp"
#include "core/error.hpp"
#include "engine/store/store.hpp"

namespace specmill::rest {

// Throws over_budget when the request this thread serves may not go on: past its deadline,
// the service stopping, or the client gone (the reason goes to /metrics and the access log);
// a no-op on threads that serve no request. Cheap (a clock read; a poll() at most every
// 20 ms): handlers call it between steps and streams before each chunk, so a long request is
// cut and its worker freed.
void check_request_budget();

class service;

// One request as the handlers see it.
struct call {
  const httplib::Request& req;
  httplib::Response& res;
  request_params params;
  service& svc;
  std::string route;  // "/getSpec", without the prefix

  // The context named by `context` (or the default), after checking the token for protected
  // ones: not_found for an unknown name, unauthorized/forbidden for a missing/wrong token.
  const context_config& context();
  // A read-only store for the context, kept per worker thread (stores are not thread-safe).
  store& store_of(const context_config& c);
  // The IDs of parameter `name` (id_list by default) in any of its forms (rest_request.hpp).
  std::vector<spectrum_id> id_list(const context_config& c, const std::string& name = "id_list");
  void json(const nlohmann::json& body, int status = 200);
  void text(const std::string& body, const std::string& type = "text/plain");
  void count_spectra(uint64_t n);
};

using handler = std::function<void(call&)>;

class service {
 public:
  explicit service(service_config cfg);
  ~service();

  const service_config& config() const { return cfg_; }
  service_metrics& metrics() { return metrics_; }
  std::atomic<bool>& debug() { return debug_; }
  // Engine jobs run through this gate (api/rest/rest_jobs.hpp): at most limits.engine_jobs at once.
  job_gate& jobs() { return jobs_; }

  enum class method { get, post, both };
  void route(method m, const std::string& path, handler h);
  // GET of `prefix` and every path below it (the web page's files): one metrics label, the
  // prefix; the handler reads c.req.path.
  void route_tree(const std::string& prefix, handler h);

  // Binds host:port (port 0: an ephemeral port) and returns the port.
  int bind();
  // Serves until stop(); returns after in-flight requests finish or are cut (streams at their
  // next chunk, stalled writes after limits.stop_grace_seconds).
  void run();
  void stop();

 private:
  void dispatch(const std::string& route, handler& h, const httplib::Request& req, httplib::Response& res,
                const std::string& body);
  service_config cfg_;
  service_metrics metrics_;
  std::atomic<bool> debug_{false};
  job_gate jobs_;
  guarded_server server_;
  std::set<std::string> known_routes_;  // as given to route(): metrics labels
  std::set<std::string> post_routes_;   // those that take a body (POST)
  std::set<std::string> tree_routes_;   // route_tree() prefixes
  std::string label_of(const std::string& route) const;
  int port_ = -1;
};

// Routes, one file each (api/rest/rest_info.cpp, api/rest/rest_spec.cpp, ...).
void add_info_routes(service& svc);
void add_spec_routes(service& svc);
void add_query_routes(service& svc);
void add_render_routes(service& svc);
void add_stack_routes(service& svc);
void add_ui_routes(service& svc);  // the web page at /ui (api/rest/rest_ui.cpp)

// Bytes written to the current response by a streaming handler (for the access log and
// /metrics: a streamed body has no length up front).
void add_streamed_bytes(uint64_t n);

}  // namespace specmill::rest
