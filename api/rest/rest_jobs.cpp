#include "api/rest/rest_jobs.hpp"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>

#include "api/rest/rest_server.hpp"

namespace specmill::rest {

job_gate::job_gate(int slots)
    : slots_(slots > 0 ? slots : std::max(4, 2 * int(std::thread::hardware_concurrency()))) {}

namespace {

// A finished job's window buffers go back to the thread's malloc arena, and glibc keeps up to
// M_TRIM_THRESHOLD (64 MiB, see cmd_serve) of free heap in each of its arenas (8 per core): a
// 10-minute soak crept from 560 to 730 MB of RssAnon that way, none of it in use. Handing the
// free pages back after jobs, at most every 2 s, keeps the heap at what the running jobs hold.
// malloc_trim walks every arena (microseconds to a millisecond); the throttle keeps it off the
// hot path of short requests.
void release_free_heap() {
  using clock = std::chrono::steady_clock;
  static std::atomic<int64_t> last{0};
  const int64_t now = clock::now().time_since_epoch() / std::chrono::milliseconds(1);
  int64_t prev = last.load(std::memory_order_relaxed);
  if (now - prev < 2000 || !last.compare_exchange_strong(prev, now)) return;
  malloc_trim(0);
}

}  // namespace

job_gate::slot::~slot() {
  {
    std::lock_guard lock(g_.m_);
    --g_.running_;
  }
  g_.cv_.notify_one();
  release_free_heap();
}

std::shared_ptr<job_gate::slot> job_gate::acquire() {
  std::unique_lock lock(m_);
  ++waiting_;
  struct unwait {
    int& n;
    ~unwait() { --n; }
  } guard{waiting_};
  while (running_ >= slots_) {
    // Wake at least every 50 ms to see whether this request may still go on.
    cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return running_ < slots_; });
    if (running_ >= slots_) {
      lock.unlock();
      check_request_budget();
      lock.lock();
    }
  }
  ++running_;
  return std::make_shared<slot>(*this);
}

int job_gate::running() {
  std::lock_guard lock(m_);
  return running_;
}

int job_gate::waiting() {
  std::lock_guard lock(m_);
  return waiting_;
}

}  // namespace specmill::rest
