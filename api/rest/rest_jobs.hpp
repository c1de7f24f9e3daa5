#pragma once
// The service's gate for engine work. A worker thread per connection is cheap, but an engine
// job is not: getSpec's reader holds two windows of every requested column, images and stacks
// hold their frames, and TBB already spreads one job over every core. So at most `slots` jobs
// run at once (limits.engine_jobs, default twice the cores); the others wait in line,
// checking their request budget while they wait, so a request that cannot start in time is a
// 503 and a client that left stops waiting. Memory is then bounded by slots x one job.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace specmill::rest {

class job_gate {
 public:
  explicit job_gate(int slots);  // 0: twice the number of cores, at least 4

  // Held while a job runs; the slot returns to the gate when the last copy goes.
  class slot {
   public:
    explicit slot(job_gate& g) : g_(g) {}
    ~slot();
    slot(const slot&) = delete;
    slot& operator=(const slot&) = delete;

   private:
    job_gate& g_;
  };

  // Waits for a free slot; throws over_budget (check_request_budget) when the request may not
  // go on while it waits.
  std::shared_ptr<slot> acquire();

  int slots() const { return slots_; }
  int running();
  int waiting();

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int slots_ = 0, running_ = 0, waiting_ = 0;
};

}  // namespace specmill::rest
