#include "api/rest/rest_connection.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace specmill::rest {
namespace {

using namespace std::chrono;
using time_point = request_clock::time_point;

thread_local request_state current;
// When the connection this worker thread now serves was accepted (queued), see worker_pool.
thread_local request_clock::time_point queued_at;

// Waits are cut into slices so that a stop or a passed deadline is noticed within one slice.
constexpr auto slice = milliseconds(50);

time_point after(time_point from, double seconds) { return deadline_after(from, seconds); }

// poll() on one socket for at most `wait`: > 0 ready, 0 not yet, < 0 an error on the socket.
int poll_for(socket_t s, short events, request_clock::duration wait) {
  pollfd p{s, events, 0};
  const int ms = int(std::clamp<int64_t>(duration_cast<milliseconds>(wait).count(), 0, 1000));
  int r;
  do r = ::poll(&p, 1, ms);
  while (r < 0 && errno == EINTR);
  if (r > 0 && (p.revents & POLLNVAL)) return -1;
  return r;
}

// The socket as httplib reads and writes it, with the deadlines of connection_limits. One per
// connection (a pipelined next request already in the buffer is kept); begin_request() resets
// the per-request counters.
class deadline_stream final : public httplib::Stream {
 public:
  deadline_stream(socket_t s, const connection_limits& limits, const std::atomic<bool>& stopping,
                  const std::atomic<int64_t>& stop_at_ns)
      : sock_(s), limits_(limits), stopping_(stopping), stop_at_ns_(stop_at_ns), buffer_(4096) {}

  void begin_request(time_point header_deadline) {
    in_headers_ = true;
    read_deadline_ = header_deadline;
    header_lines_ = header_bytes_ = line_length_ = 0;
  }
  bool buffered() const { return off_ < size_; }
  // A read or write failed: the connection cannot carry another request.
  bool broken() const { return read_broken_ || write_broken_; }

  enum class arrival { request, timeout, closed };
  // Waits for the first byte of a request until `deadline` (or a stop).
  arrival wait_for_request(time_point deadline) {
    // Bytes already there are taken even past the deadline: a connection that waited in the
    // queue for a worker has usually sent its whole request.
    while (!buffered()) {
      if (stopping_) return arrival::closed;
      const int r = poll_for(sock_, POLLIN, std::min<request_clock::duration>(deadline - request_clock::now(), slice));
      if (r < 0) return arrival::closed;
      if (r > 0) {
        const ssize_t n = receive();
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) return arrival::closed;
      } else if (request_clock::now() >= deadline) {
        return arrival::timeout;
      }
    }
    return arrival::request;
  }

  bool is_readable() const override { return buffered() || poll_for(sock_, POLLIN, {}) > 0; }
  bool is_writable() const override { return !write_broken_ && poll_for(sock_, POLLOUT, {}) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (read_broken_) return -1;
    if (!buffered()) {
      const ssize_t n = wait_and_fill();
      if (n <= 0) return n;
    }
    // httplib reads the request line and headers a byte at a time; counting them here is what
    // bounds their number and size, and finds where the body starts.
    if (in_headers_) size = 1;
    const size_t n = std::min(size, size_ - off_);
    std::memcpy(ptr, buffer_.data() + off_, n);
    off_ += n;
    if (in_headers_ && !count_header_byte(*ptr)) return fail_read(cut_reason::header_limit);
    return ssize_t(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    const auto stalled_since = request_clock::now();
    for (;;) {
      if (write_broken_) return -1;
      const auto now = request_clock::now();
      if (past_stop_grace(now)) return fail_write(cut_reason::shutdown);
      const int r = poll_for(sock_, POLLOUT, slice);
      if (r < 0) return fail_write(cut_reason::client_gone);
      if (r == 0) {
        // Only a write that cannot proceed is cut: a reply blocked this long after the budget is
        // one whose reader stalls (the stream's own budget checks stop a flowing one), while a
        // late reply to a writable socket (a 503 after a long job) still gets out.
        const auto& st = current;
        if (st.deadline != time_point::max() && now > after(st.deadline, limits_.stop_grace_seconds))
          return fail_write(cut_reason::over_budget);
        if (now > after(stalled_since, limits_.stall_seconds)) return fail_write(cut_reason::client_stalled);
        continue;
      }
      const ssize_t n = ::send(sock_, ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return n;
      if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return fail_write(cut_reason::client_gone);
    }
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override { address(::getpeername, ip, port); }
  void get_local_ip_and_port(std::string& ip, int& port) const override { address(::getsockname, ip, port); }
  socket_t socket() const override { return sock_; }

 private:
  // A read that fails leaves writing open (the 408 or 431 still goes out), and the other way.
  ssize_t fail_read(cut_reason why) {
    read_broken_ = true;
    return note(why);
  }
  ssize_t fail_write(cut_reason why) {
    write_broken_ = true;
    return note(why);
  }
  static ssize_t note(cut_reason why) {
    if (current.cut == cut_reason::none) current.cut = why;
    return -1;
  }

  bool past_stop_grace(time_point now) const {
    if (!stopping_) return false;
    const time_point at{request_clock::duration(stop_at_ns_.load())};
    return now > after(at, limits_.stop_grace_seconds);
  }

  // Blocks for more bytes until the phase's deadline: -1 on timeout, stop or error, 0 at EOF.
  ssize_t wait_and_fill() {
    const cut_reason late = in_headers_ ? cut_reason::header_timeout : cut_reason::body_timeout;
    // Bytes that are there are read even past the deadline (see wait_for_request); a client
    // that trickles is still cut at the first wait after it.
    for (;;) {
      const auto now = request_clock::now();
      // Half-read headers are not work in flight; a body is, and gets the grace period.
      if (stopping_ && (in_headers_ || past_stop_grace(now))) return fail_read(cut_reason::shutdown);
      const int r = poll_for(sock_, POLLIN, std::min<request_clock::duration>(read_deadline_ - now, slice));
      if (r < 0) return fail_read(cut_reason::client_gone);
      if (r > 0) {
        const ssize_t n = receive();
        if (n >= 0) return n;
        if (errno != EAGAIN && errno != EWOULDBLOCK) return fail_read(cut_reason::client_gone);
      } else if (request_clock::now() >= read_deadline_) {
        return fail_read(late);
      }
    }
  }

  // One non-blocking recv into the (empty) buffer: bytes, 0 at EOF, -1 with errno.
  ssize_t receive() {
    ssize_t n;
    do n = ::recv(sock_, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    off_ = 0;
    size_ = n > 0 ? size_t(n) : 0;
    return n;
  }

  bool count_header_byte(char c) {
    ++header_bytes_;
    if (c == '\n') {
      ++header_lines_;
      if (line_length_ <= 1) {  // "\r\n" or "\n": the blank line, the body follows
        in_headers_ = false;
        read_deadline_ = after(request_clock::now(), limits_.body_seconds);
      }
      line_length_ = 0;
    } else {
      ++line_length_;
    }
    // The request line is not a header.
    return header_bytes_ <= limits_.max_header_bytes && header_lines_ <= limits_.max_headers + 2;
  }

  template <class F>
  void address(F get, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t len = sizeof(addr);
    ip.clear();
    port = 0;
    if (get(sock_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
    char host[64] = {};
    if (addr.ss_family == AF_INET) {
      const auto& a = reinterpret_cast<const sockaddr_in&>(addr);
      inet_ntop(AF_INET, &a.sin_addr, host, sizeof(host));
      port = ntohs(a.sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto& a = reinterpret_cast<const sockaddr_in6&>(addr);
      inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof(host));
      port = ntohs(a.sin6_port);
    }
    ip = host;
  }

  socket_t sock_;
  const connection_limits& limits_;
  const std::atomic<bool>& stopping_;
  const std::atomic<int64_t>& stop_at_ns_;
  std::vector<char> buffer_;
  size_t off_ = 0, size_ = 0;
  bool in_headers_ = true;
  bool read_broken_ = false, write_broken_ = false;
  time_point read_deadline_{};
  size_t header_lines_ = 0, header_bytes_ = 0, line_length_ = 0;
};

// httplib's ThreadPool, plus the time each connection was queued. A connection's first
// header deadline counts from then: under a flood of idle connects, those that waited in the
// queue past their deadline are closed as soon as a worker takes them, instead of each holding
// a worker for another header_seconds (200 idle connects and 64 workers: /ping waited about
// 3 x header_seconds, now 1 x).
class worker_pool final : public httplib::TaskQueue {
 public:
  explicit worker_pool(size_t n) {
    for (size_t i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }
  ~worker_pool() override { shutdown(); }

  void enqueue(std::function<void()> fn) override {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back({request_clock::now(), std::move(fn)});
    }
    wake_.notify_one();
  }

  // Runs what is queued (connections close at once: the listener is closed), then joins.
  void shutdown() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  struct job {
    request_clock::time_point queued;
    std::function<void()> run;
  };

  void work() {
    for (;;) {
      job j;
      {
        std::unique_lock lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        j = std::move(jobs_.front());
        jobs_.pop_front();
      }
      queued_at = j.queued;
      j.run();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<job> jobs_;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// Closing a socket with unread input resets the connection, and a reset can discard the reply
// still in the client's buffer (a 413 for a body it is still sending). So after a refusal the
// server stops writing, reads and drops what comes for a moment (at most 4 s and 4 MiB, and
// no more than 1 s without a byte), and closes then, as Apache and nginx do ("lingering
// close"). 0.5 s was too short for a 500 KB form body on a loaded machine: the client saw a
// reset instead of its 413.
void linger(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto until = request_clock::now() + milliseconds(4000);
  char sink[16384];
  for (size_t drained = 0; drained < (size_t(4) << 20);) {
    const auto now = request_clock::now();
    if (now >= until || poll_for(sock, POLLIN, std::min<request_clock::duration>(until - now, milliseconds(1000))) <= 0)
      return;
    const ssize_t n = ::recv(sock, sink, sizeof(sink), MSG_DONTWAIT);
    if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR))) return;
    if (n > 0) drained += size_t(n);
  }
}

}  // namespace

const char* to_string(cut_reason r) {
  switch (r) {
    case cut_reason::none: return "none";
    case cut_reason::header_timeout: return "header_timeout";
    case cut_reason::header_limit: return "header_limit";
    case cut_reason::body_timeout: return "body_timeout";
    case cut_reason::client_gone: return "client_gone";
    case cut_reason::client_stalled: return "client_stalled";
    case cut_reason::over_budget: return "over_budget";
    case cut_reason::shutdown: return "shutdown";
  }
  return "unknown";
}

request_state& current_request() { return current; }

bool client_went_away(request_state& st) {
  if (st.socket < 0) return false;
  const auto now = request_clock::now();
  if (now < st.next_peer_check) return false;
  st.next_peer_check = now + milliseconds(20);
  // POLLRDHUP: the peer shut down its side. A client that half-closes after its request and
  // still reads would be taken for gone; httplib's own is_writable() makes the same call.
  pollfd p{st.socket, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

guarded_server::guarded_server(connection_limits limits) : limits_(limits) {
  new_task_queue = [n = limits_.workers] { return new worker_pool(n); };
  // httplib's default also sets SO_REUSEPORT, with which a second server binds the same busy
  // port, says "listening", and the kernel splits the connections between the two.
  set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

int guarded_server::bind_guarded(const std::string& host, int port) {
  errno = 0;
  const int bound = port == 0 ? bind_to_any_port(host) : (bind_to_port(host, port) ? port : -1);
  if (bound < 0) {
    const std::string why = errno ? std::string(": ") + std::strerror(errno) : std::string();
    throw io_error("cannot listen on " + host + ":" + std::to_string(port) + why +
                   (errno == EADDRINUSE ? " (another process serves this port)" : ""));
  }
  // httplib listens with a backlog of 5 (compiled into the library); a second listen() on the
  // listening socket only changes the backlog (Linux), so a burst of connects is not refused.
  ::listen(svr_sock_, limits_.listen_backlog);
  return bound;
}

void guarded_server::stop_guarded() {
  if (!stopping_.exchange(true)) stop_at_ns_ = request_clock::now().time_since_epoch().count();
  // httplib's stop() closes the listener only once listen_after_bind() has marked the server
  // running: a SIGTERM between bind and listen was lost and the server ran on (CI saw it once).
  // Closing the socket ourselves ends the accept loop in either order: it loops while the
  // listener is valid, and the exchange makes a second stop a no-op.
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  if (sock != INVALID_SOCKET) {
    ::shutdown(sock, SHUT_RDWR);
    ::close(sock);
  }
}

bool guarded_server::process_and_close_socket(socket_t sock) {
  deadline_stream strm(sock, limits_, stopping_, stop_at_ns_);
  const auto connected = queued_at;
  bool ok = false;
  bool refused = false;  // the last reply refused a body that may still be coming
  for (size_t count = limits_.keep_alive_max_requests; count > 0 && svr_sock_ != INVALID_SOCKET; --count) {
    // The first request must come within the header deadline (an idle connect is a slow
    // header); later ones within the keep-alive timeout.
    const bool first = count == limits_.keep_alive_max_requests;
    const auto wait_until = first ? after(connected, limits_.header_seconds)
                                  : after(request_clock::now(), limits_.keep_alive_seconds);
    const auto arrived = strm.wait_for_request(wait_until);
    if (arrived != deadline_stream::arrival::request) {
      if (first && arrived == deadline_stream::arrival::timeout && on_unlogged_cut)
        on_unlogged_cut(cut_reason::header_timeout);
      break;
    }
    const auto started = request_clock::now();
    strm.begin_request(after(first ? connected : started, limits_.header_seconds));
    current = request_state{};
    current.active = true;
    current.started = started;
    current.stopping = &stopping_;
    current.socket = sock;
    bool closed = false;
    ok = process_request(strm, count == 1, closed, nullptr);
    const request_state st = current;
    current = request_state{};
    if (!st.logged && st.cut != cut_reason::none && on_unlogged_cut) on_unlogged_cut(st.cut);
    refused = st.close_after && st.cut == cut_reason::none;
    if (!ok || closed || st.close_after || st.cut != cut_reason::none || strm.broken()) break;
  }
  if (refused) linger(sock);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace specmill::rest
