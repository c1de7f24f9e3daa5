#include "api/rest/rest_server.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <strings.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <map>
#include <thread>

namespace specmill::rest {
namespace {

using json = nlohmann::json;

// Per worker thread: the open stores (stores are not thread-safe).
thread_local std::map<std::string, std::unique_ptr<store>> stores;

void send_error(httplib::Response& res, int status, const std::string& kind, const std::string& message) {
  current_request().reply_kind = kind;
  res.status = status;
  res.set_content(json{{"error", kind}, {"message", message}}.dump(), "application/json");
}

// An error reply replaces whatever the handler had set up, a stream included.
void reset_reply(httplib::Response& res) {
  res = httplib::Response{};
  res.version = "HTTP/1.1";
}

// Range is not served: every reply is generated per request (a stream has no length to range
// over), and httplib 0.11.4 applies Range to any reply, error bodies and streams included,
// serves overlapping ranges (1,300 "0-" ranges made 1,300 copies of one body) and does not
// bound offsets by the body. So ranges are dropped (a 200 with the whole body, which RFC 9110
// allows), and a request with more than max_ranges of them is refused as the probe it is.
// The request object is httplib's own non-const local: dropping its ranges is well defined.
void drop_ranges(const httplib::Request& req) { const_cast<httplib::Request&>(req).ranges.clear(); }

// One access-log value: control characters, quotes, spaces and non-ASCII bytes would let a
// request path (%0a, %22) forge lines or fields, so such a value is quoted and escaped.
std::string log_value(const std::string& v) {
  bool plain = !v.empty();
  for (const unsigned char c : v) plain = plain && c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '=';
  if (plain) return v;
  std::string out = "\"";
  for (const unsigned char c : v) {
    if (c == '"' || c == '\\') out += {'\\', char(c)};
    else if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c >= 0x7f) out += fmt::format("\\x{:02x}", c);
    else out += char(c);
  }
  return out + '"';
}

// A body the service will not read is refused before reading it (413/400), and the connection
// closed after the reply: the unread bytes would otherwise be parsed as the next request.
bool refuse_body(const httplib::Request& req, httplib::Response& res, const limits_config& limits) {
  const size_t count = req.get_header_value_count("Content-Length");
  if (req.has_header("Transfer-Encoding") && strcasecmp(req.get_header_value("Transfer-Encoding").c_str(), "chunked") != 0) {
    current_request().close_after = true;
    send_error(res, 400, "bad_transfer_encoding", "only Transfer-Encoding: chunked is accepted");
    return true;
  }
  if (count == 0) {
    // httplib reads a POST body without a length until the client closes (a worker held for
    // body_seconds); HTTP/1.1 says such a request has no body, so it is given a length of 0.
    if (!req.has_header("Transfer-Encoding")) const_cast<httplib::Request&>(req).set_header("Content-Length", "0");
    return false;
  }
  const std::string v = req.get_header_value("Content-Length");
  std::string problem;
  if (count > 1) problem = "more than one Content-Length";
  else if (req.has_header("Transfer-Encoding")) problem = "both Content-Length and Transfer-Encoding";
  else if (v.empty() || v.size() > 19 || !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    problem = "Content-Length must be a decimal number of bytes";
  current_request().close_after = true;
  if (!problem.empty()) {
    send_error(res, 400, "bad_content_length", problem);
    return true;
  }
  if (std::stoull(v) > limits.max_body_bytes) {
    send_error(res, 413, "too_large", "request body of " + v + " bytes is over the limit of " +
                                          std::to_string(limits.max_body_bytes) + " bytes");
    return true;
  }
  current_request().close_after = false;
  return false;
}

// The route of a request path: without the /spec prefix, "/" for the root.
std::string route_of(const std::string& path) {
  std::string route = path.rfind("/spec", 0) == 0 ? path.substr(5) : path;
  return route.empty() ? "/" : route;
}

// The original client sends an anonymous token when nobody is logged in.
bool anonymous(const std::string& token) { return token.empty() || token.rfind("anonymous", 0) == 0; }

// Each connection holds a worker while it is open, and most of a worker's time is spent
// waiting on a client or the disk, so the pool is wide: the deadlines bound how long a hostile
// client holds one, the width how many it takes to starve /ping.
connection_limits connection_limits_of(const service_config& cfg) {
  const limits_config& l = cfg.limits;
  connection_limits c;
  c.workers = cfg.threads > 0 ? size_t(cfg.threads) : std::max<size_t>(64, std::thread::hardware_concurrency() * 4);
  c.header_seconds = l.header_seconds;
  c.body_seconds = l.body_seconds;
  c.keep_alive_seconds = l.keep_alive_seconds;
  c.stall_seconds = l.request_seconds;
  c.stop_grace_seconds = l.stop_grace_seconds;
  c.max_headers = l.max_headers;
  c.max_header_bytes = l.max_header_bytes;
  c.listen_backlog = l.listen_backlog;
  return c;
}

}  // namespace

void add_streamed_bytes(uint64_t n) { current_request().streamed_bytes += n; }

void check_request_budget() {
  auto& st = current_request();
  if (!st.active) return;
  if (st.stopping && *st.stopping) {
    if (st.cut == cut_reason::none) st.cut = cut_reason::shutdown;
    throw over_budget("the service is stopping");
  }
  if (request_clock::now() > st.deadline) {
    if (st.cut == cut_reason::none) st.cut = cut_reason::over_budget;
    throw over_budget(fmt::format("the request ran past its time budget of {:g} s", st.budget_seconds));
  }
  if (client_went_away(st)) {
    if (st.cut == cut_reason::none) st.cut = cut_reason::client_gone;
    throw over_budget("the client went away");
  }
}

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

service::service(service_config cfg)
    : cfg_(std::move(cfg)), jobs_(cfg_.limits.engine_jobs), server_(connection_limits_of(cfg_)) {
  server_.set_keep_alive_max_count(1000);
  server_.set_tcp_nodelay(true);  // small responses must not wait for the peer's delayed ACK (40 ms)
  // Only advertised in the Keep-Alive header; the connection loop enforces keep_alive_seconds.
  server_.set_keep_alive_timeout(std::max<time_t>(1, time_t(cfg_.limits.keep_alive_seconds)));
  server_.set_payload_max_length(cfg_.limits.max_body_bytes);
  // Requests dropped before httplib could answer or log them (a request line that never came).
  server_.on_unlogged_cut = [this](cut_reason r) {
    if (r == cut_reason::header_timeout || r == cut_reason::header_limit || r == cut_reason::body_timeout)
      metrics_.add_rejected(to_string(r));
  };
  server_.set_expect_100_continue_handler([this](const httplib::Request& req, httplib::Response& res) {
    // Refused before "100 Continue" invites the body.
    return refuse_body(req, res, cfg_.limits) ? res.status : 100;
  });
  server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    auto& st = current_request();
    st.budget_seconds = cfg_.limits.request_budget_seconds;
    st.deadline = deadline_after(st.started, cfg_.limits.request_budget_seconds);
    if (req.ranges.size() > cfg_.limits.max_ranges) {
      drop_ranges(req);
      send_error(res, 416, "too_many_ranges",
                 "at most " + std::to_string(cfg_.limits.max_ranges) + " ranges in one request");
      return httplib::Server::HandlerResponse::Handled;
    }
    drop_ranges(req);
    // httplib reads the body of a request no handler takes into memory without a limit when
    // it is chunked: such requests are refused before that, and the connection closed.
    if (req.method != "GET" && req.method != "HEAD" && req.method != "POST" && req.method != "OPTIONS") {
      st.close_after = true;
      send_error(res, 405, "method_not_allowed", "the service answers GET and POST");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method == "POST" && !post_routes_.count(route_of(req.path))) {
      st.close_after = true;
      if (label_of(route_of(req.path)) != "(unknown)") send_error(res, 405, "method_not_allowed", "this endpoint answers GET");
      else send_error(res, 404, "no_route", "no such endpoint: " + req.path);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (refuse_body(req, res, cfg_.limits)) return httplib::Server::HandlerResponse::Handled;
    return httplib::Server::HandlerResponse::Unhandled;
  });
  // Structured access log, one line a request; the same numbers feed /metrics.
  server_.set_logger([this](const httplib::Request& req, const httplib::Response& res) {
    auto& st = current_request();
    st.logged = true;
    const double secs = std::chrono::duration<double>(request_clock::now() - st.started).count();
    const uint64_t bytes = res.body.size() + st.streamed_bytes;
    std::string route = route_of(req.path);
    // A client-chosen path never becomes a metrics label.
    route = label_of(route);
    metrics_.record(route, res.status, secs, bytes);
    if (res.status >= 400 && res.status < 500)
      metrics_.add_rejected(st.reply_kind.empty() ? "http_" + std::to_string(res.status) : st.reply_kind);
    const bool cancelled = st.cut == cut_reason::client_gone || st.cut == cut_reason::client_stalled ||
                           st.cut == cut_reason::over_budget || st.cut == cut_reason::shutdown;
    if (cancelled) metrics_.add_cancelled(to_string(st.cut));
    spdlog::info("access remote={} method={} path={} status={} bytes={} ms={:.2f}{}", log_value(req.remote_addr),
                 log_value(req.method), log_value(req.path), res.status, bytes, secs * 1e3,
                 cancelled ? std::string(" cut=") + to_string(st.cut) : std::string());
  });
  server_.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    drop_ranges(req);
    auto& st = current_request();
    if (st.cut == cut_reason::header_timeout || st.cut == cut_reason::body_timeout) {
      st.close_after = true;
      send_error(res, 408, to_string(st.cut), "the request did not arrive within the time limit");
    } else if (st.cut == cut_reason::header_limit) {
      st.close_after = true;
      send_error(res, 431, "header_limit", "request headers over the limit of " + std::to_string(cfg_.limits.max_headers) +
                                               " headers or " + std::to_string(cfg_.limits.max_header_bytes) + " bytes");
    } else if (st.cut == cut_reason::shutdown && res.body.empty()) {
      st.close_after = true;
      send_error(res, 503, "over_budget", "the service is stopping");
    } else if (!res.body.empty()) {
      return;  // a handler's own error
    } else if (res.status == 404) {
      send_error(res, 404, "no_route", "no such endpoint: " + req.path);
    } else if (res.status == 413) {
      send_error(res, 413, "too_large", "request body over the limit");
    } else {
      send_error(res, res.status, "http_error", "HTTP status " + std::to_string(res.status));
    }
  });
  server_.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    reset_reply(res);
    send_error(res, 500, "internal", "internal error");
  });
}

service::~service() { stop(); }

void service::dispatch(const std::string& route, handler& h, const httplib::Request& req, httplib::Response& res,
                       const std::string& body) {
  try {
    check_request_budget();  // reading the body may have used it up
    call c{req, res, request_params::from(req, body), *this, route};
    h(c);
    // A reply that is ready only after the budget ran out is refused whole rather than started.
    check_request_budget();
  } catch (const std::exception& e) {
    // The status by the exception's type; an internal fault's text may name files and
    // internals: the log gets it with the source location, the client a generic message.
    const error_reply r = reply_for(e);
    if (r.internal) spdlog::error("{} {}: {}", log_value(req.method), log_value(req.path), log_text(e));
    else spdlog::debug("{} {}: {} {}", log_value(req.method), log_value(req.path), r.status, log_text(e));
    reset_reply(res);  // replaces what the handler set up, a stream included
    send_error(res, r.status, r.kind, r.message);
  }
}

std::string service::label_of(const std::string& route) const {
  if (known_routes_.count(route)) return route;
  for (const auto& prefix : tree_routes_)
    if (route.rfind(prefix + "/", 0) == 0) return prefix;
  return "(unknown)";
}

void service::route_tree(const std::string& prefix, handler h) {
  auto shared = std::make_shared<handler>(std::move(h));
  known_routes_.insert(prefix);
  tree_routes_.insert(prefix);
  for (const std::string root : {"", "/spec"})
    server_.Get(root + prefix + "(/.*)?", [this, prefix, shared](const httplib::Request& req, httplib::Response& res) {
      dispatch(prefix, *shared, req, res, {});
    });
}

void service::route(method m, const std::string& path, handler h) {
  auto shared = std::make_shared<handler>(std::move(h));
  known_routes_.insert(path);
  if (m != method::get) post_routes_.insert(path);
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
        // Content-Length over the limit was refused before reading (refuse_body); a chunked
        // body is counted here.
        if (over) {
          send_error(res, 413, "too_large", "request body over the limit of " + std::to_string(cfg_.limits.max_body_bytes) + " bytes");
          current_request().close_after = true;
          return;
        }
        if (!complete) {
          const bool late = current_request().cut == cut_reason::body_timeout;
          send_error(res, late ? 408 : 400, late ? "body_timeout" : "invalid_argument",
                     late ? "the request body did not arrive within the time limit" : "the request body could not be read");
          current_request().close_after = true;
          return;
        }
        dispatch(path, *shared, req, res, body);
      });
  }
}

int service::bind() {
  port_ = server_.bind_guarded(cfg_.host, cfg_.port);
  return port_;
}

void service::run() {
  if (port_ < 0) bind();
  server_.listen_after_bind();
}

void service::stop() { server_.stop_guarded(); }

}  // namespace specmill::rest
