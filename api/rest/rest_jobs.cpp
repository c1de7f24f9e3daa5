#include "api/rest/rest_jobs.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "api/rest/rest_server.hpp"

namespace specmill::rest {

job_gate::job_gate(int slots)
    : slots_(slots > 0 ? slots : std::max(4, 2 * int(std::thread::hardware_concurrency()))) {}

job_gate::slot::~slot() {
  {
    std::lock_guard lock(g_.m_);
    --g_.running_;
  }
  g_.cv_.notify_one();
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
