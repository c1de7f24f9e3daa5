#pragma once
// Progress for long jobs on stderr: a redrawn bar with count, rate and ETA on a terminal; a
// plain line every few seconds otherwise (logs, CI). Silent when disabled (--quiet).
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

namespace specmill {

class progress_meter {
 public:
  progress_meter(std::string label, size_t total, bool enabled);
  void update(size_t done);   // cheap: redraws at most every 200 ms (tty) / 5 s (plain)
  void finish(size_t done);
  // Called on every update (between windows): a caller's cancellation point, which throws to
  // stop the job (the REST service's request budget, a client that went away).
  void set_checkpoint(std::function<void()> fn) { checkpoint_ = std::move(fn); }

 private:
  void draw(size_t done, bool final);

  std::string label_;
  size_t total_;
  bool enabled_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
  std::function<void()> checkpoint_;
};

}  // namespace specmill
