#include "api/rest_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

namespace specmill::rest {
namespace {

using json = nlohmann::json;

// Per worker thread: the response's streamed bytes and timing, and the open stores.
thread_local uint64_t streamed_bytes = 0;
thread_local std::chrono::steady_clock::time_point started;
thread_local std::map<std::string, std::unique_ptr<store>> stores;

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  res.status = status;
  res.set_content(json{{"error", kind}, {"message", message}}.dump(), "application/json");
}

// The original client sends an anonymous token when nobody is logged in.
bool anonymous(const std::string& token) { return token.empty() || token.rfind("anonymous", 0) == 0; }

}  // namespace

void add_streamed_bytes(uint64_t n) { streamed_bytes += n; }

const context_config& call::context() {
  // The original client names the default context "default" and sends the text None when unset.
  std::string name = params.text_or("context", svc.config().default_context);
  const auto& all = svc.config().contexts;
  const bool literal = std::any_of(all.begin(), all.end(), [&](const context_config& c) { return c.name == name; });
  if (!literal && (name == "None" || name == "default")) name = svc.config().default_context;
  const context_config* found = nullptr;
  for (const auto& c : svc.config().contexts)
    if (c.name == name) found = &c;
  if (!found) throw not_found("unknown context '" + name + "'");
  if (!found->is_public) {
    const std::string token = req.get_header_value("X-DL-AuthToken");
    if (anonymous(token)) throw unauthorized("context " + name + " needs an X-DL-AuthToken");
    bool ok = !svc.config().admin_token.empty() && token == svc.config().admin_token;
    for (const auto& t : found->tokens) ok = ok || t == token;
    if (!ok) throw forbidden("this token may not read context " + name);
  }
  return *found;
}

store& call::store_of(const context_config& c) {
  auto& s = stores[c.store.string()];
  if (!s) s = std::make_unique<store>(c.store, store::access::read);
  return *s;
}

std::vector<spectrum_id> call::id_list(const context_config& c, const std::string& name) {
  store& st = store_of(c);
  auto ids = parse_id_list(
      params, [&](const partial_tuple& t) { return expand_tuple(st.catalog(), c.store_context, t); },
      svc.config().limits.max_ids, name);
  if (ids.size() > svc.config().limits.max_ids)
    throw too_large("id_list holds " + std::to_string(ids.size()) + " IDs, over the limit of " +
                    std::to_string(svc.config().limits.max_ids));
  SPECMILL_EXPECTS(!ids.empty(), name + " is empty");
  return ids;
}

void call::json(const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void call::text(const std::string& body, const std::string& type) { res.set_content(body, type); }

void call::count_spectra(uint64_t n) { svc.metrics().add_spectra(route, n); }

service::service(service_config cfg) : cfg_(std::move(cfg)) {
  const int threads = cfg_.threads > 0 ? cfg_.threads : int(std::max(2u, std::thread::hardware_concurrency()) * 2);
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(size_t(threads)); };
  server_.set_keep_alive_max_count(1000);
  server_.set_tcp_nodelay(true);  // small responses must not wait for the peer's delayed ACK (40 ms)
  server_.set_keep_alive_timeout(10);
  server_.set_payload_max_length(cfg_.limits.max_body_bytes);
  const auto secs = time_t(cfg_.limits.request_seconds);
  server_.set_read_timeout(secs, 0);
  server_.set_write_timeout(secs, 0);
  server_.set_pre_routing_handler([](const httplib::Request&, httplib::Response&) {
    streamed_bytes = 0;
    started = std::chrono::steady_clock::now();
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Structured access log, one line a request; the same numbers feed /metrics.
  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    const uint64_t bytes = res.body.size() + streamed_bytes;
    std::string route = req.path.rfind("/spec", 0) == 0 ? req.path.substr(5) : req.path;
    if (route.empty()) route = "/";
    if (res.status == 404 && res.body.find("\"no_route\"") != std::string::npos) route = "(unknown)";
    metrics_.record(route, res.status, secs, bytes);
    spdlog::info("access remote={} method={} path={} status={} bytes={} ms={:.2f}", req.remote_addr, req.method,
                 req.path, res.status, bytes, secs * 1e3);
  });
  server_.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // a handler's own error
    if (res.status == 404) send_error(res, 404, "no_route", "no such endpoint: " + req.path);
    else if (res.status == 413) send_error(res, 413, "too_large", "request body over the limit");
    else send_error(res, res.status, "http_error", "HTTP status " + std::to_string(res.status));
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    send_error(res, 500, "internal", "internal error");
  });
}

service::~service() { stop(); }

void service::dispatch(const std::string& route, handler& h, const httplib::Request& req, httplib::Response& res,
                       const std::string& body) {
  try {
    call c{req, res, request_params::from(req, body), *this, route};
    h(c);
  } catch (const invalid_argument& e) {
    send_error(res, 400, "invalid_argument", e.what());
  } catch (const unauthorized& e) {
    send_error(res, 401, "unauthorized", e.what());
  } catch (const forbidden& e) {
    send_error(res, 403, "forbidden", e.what());
  } catch (const not_found& e) {
    send_error(res, 404, "not_found", e.what());
  } catch (const too_large& e) {
    send_error(res, 413, "too_large", e.what());
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", req.method, req.path, e.what());
    send_error(res, 500, "internal", e.what());
  }
}

void service::route(method m, const std::string& path, handler h) {
  auto shared = std::make_shared<handler>(std::move(h));
  std::vector<std::string> fulls;
  for (const std::string prefix : {"", "/spec"}) {
    if (path == "/") {
      fulls.push_back(prefix.empty() ? "/" : prefix);
      if (!prefix.empty()) fulls.push_back(prefix + "/");
    } else {
      fulls.push_back(prefix + path);
    }
  }
  for (const std::string& full : fulls) {
    if (m != method::post)
      server_.Get(full, [this, path, shared](const httplib::Request& req, httplib::Response& res) {
        dispatch(path, *shared, req, res, {});
      });
    if (m != method::get)
      // The body is read here, not by httplib: its own form parsing caps URL-encoded bodies at
      // 8 KB, far below an id_list of thousands.
      server_.Post(full, [this, path, shared](const httplib::Request& req, httplib::Response& res,
                                               const httplib::ContentReader& reader) {
        std::string body;
        bool over = false;
        const bool complete = reader([&](const char* data, size_t n) {
          over = body.size() + n > cfg_.limits.max_body_bytes;
          if (!over) body.append(data, n);
          return !over;
        });
        // httplib also refuses (reader false, nothing read) a Content-Length over the limit.
        if (over || (!complete && std::strtoull(req.get_header_value("Content-Length").c_str(), nullptr, 10) > cfg_.limits.max_body_bytes)) {
          send_error(res, 413, "too_large", "request body over the limit of " + std::to_string(cfg_.limits.max_body_bytes) + " bytes");
          return;
        }
        if (!complete) {
          send_error(res, 400, "invalid_argument", "the request body could not be read");
          return;
        }
        dispatch(path, *shared, req, res, body);
      });
  }
}

int service::bind() {
  port_ = cfg_.port == 0 ? server_.bind_to_any_port(cfg_.host) : (server_.bind_to_port(cfg_.host, cfg_.port) ? cfg_.port : -1);
  if (port_ < 0) throw io_error("cannot listen on " + cfg_.host + ":" + std::to_string(cfg_.port));
  return port_;
}

void service::run() {
  if (port_ < 0) bind();
  server_.listen_after_bind();
}

void service::stop() {
  if (server_.is_running()) server_.stop();
}

}  // namespace specmill::rest
