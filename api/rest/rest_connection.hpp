#pragma once
// The REST service's connections: cpp-httplib's Server with the per-connection loop replaced so
// that no client can hold a worker for long without doing work (docs/reliability.md). Debian
// ships httplib compiled (libcpp-httplib.so), so its CPPHTTPLIB_* macros are fixed there; the
// hooks used here are its virtual process_and_close_socket, its protected process_request and
// the listening socket svr_sock_.
//
// Each request gets deadlines: the request line and headers must arrive within
// header_seconds (for a connection's first request, counted from its accept, queueing for a
// worker included), the body within body_seconds after them; a connection idle between
// requests closes after keep_alive_seconds; a write that makes no progress for stall_seconds
// fails.
// Header lines and bytes are counted as httplib reads them. On stop_guarded(), idle and
// half-read connections close at once and replies in flight get stop_grace_seconds.
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace specmill::rest {

using request_clock = std::chrono::steady_clock;

// `from` + `seconds`, with seconds capped at about three years so that a huge configured limit
// means "no limit" instead of overflowing the clock's 64-bit nanoseconds.
inline request_clock::time_point deadline_after(request_clock::time_point from, double seconds) {
  const double capped = seconds < 1e8 ? seconds : 1e8;
  return from + std::chrono::duration_cast<request_clock::duration>(std::chrono::duration<double>(capped));
}

// Why a request or its reply was cut short by the service rather than finished.
enum class cut_reason { none, header_timeout, header_limit, body_timeout, client_gone, client_stalled, over_budget, shutdown };
const char* to_string(cut_reason r);

// The request a worker thread is serving (thread-local: one request at a time per worker).
struct request_state {
  bool active = false;                    // false on threads that are not serving a request
  request_clock::time_point started;              // first byte of the request
  request_clock::time_point deadline = request_clock::time_point::max();  // the whole-request budget
  double budget_seconds = 0;
  uint64_t streamed_bytes = 0;            // streamed body bytes (no length up front)
  cut_reason cut = cut_reason::none;      // the first thing that cut this request
  std::string reply_kind;                 // the JSON "error" kind of an error reply
  bool logged = false;                    // the access logger saw this request
  bool close_after = false;               // replied without reading the body: close the connection
  const std::atomic<bool>* stopping = nullptr;
  int socket = -1;                        // the connection, to notice a client that went away
  request_clock::time_point next_peer_check;
};
request_state& current_request();
// Whether the client closed (or reset) the connection of the current request. Polls the
// socket at most every 20 ms, so callers may ask often.
bool client_went_away(request_state& st);

struct connection_limits {
  double header_seconds = 10;
  double body_seconds = 120;
  double keep_alive_seconds = 5;
  double stall_seconds = 60;
  double stop_grace_seconds = 2;
  size_t max_headers = 100;
  size_t max_header_bytes = size_t(64) << 10;
  size_t keep_alive_max_requests = 1000;
  int listen_backlog = 1024;
  size_t workers = 64;
};

class guarded_server : public httplib::Server {
 public:
  explicit guarded_server(connection_limits limits);

  // Binds host:port without SO_REUSEPORT (so a second server on a busy port fails instead of
  // sharing it), then raises the listen backlog. Returns the port; io_error when it cannot.
  int bind_guarded(const std::string& host, int port);
  // Flags the stop (replies in flight get the grace period), then closes the listener.
  void stop_guarded();
  const std::atomic<bool>& stopping() const { return stopping_; }

  // Called once per request that ended before httplib could log it (a request line that never
  // completed): the reason, for /metrics.
  std::function<void(cut_reason)> on_unlogged_cut;

 private:
  bool process_and_close_socket(socket_t sock) override;

  connection_limits limits_;
  std::atomic<bool> stopping_{false};
  std::atomic<int64_t> stop_at_ns_{0};
};

}  // namespace specmill::rest
