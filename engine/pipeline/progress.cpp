#include "engine/pipeline/progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace specmill {

progress_meter::progress_meter(std::string label, size_t total, bool enabled)
    : label_(std::move(label)), total_(total), enabled_(enabled), tty_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), last_(start_) {}

void progress_meter::update(size_t done) {
  if (checkpoint_) checkpoint_();
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_ < (tty_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(5000))) return;
  last_ = now;
  draw(done, false);
}

void progress_meter::finish(size_t done) {
  if (enabled_) draw(done, true);
}

void progress_meter::draw(size_t done, bool final) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? double(done) / secs : 0.0;
  const double frac = total_ ? double(done) / double(total_) : 0.0;
  const double eta = rate > 0 && total_ > done ? double(total_ - done) / rate : 0.0;
  char line[256];
  if (tty_) {
    char bar[31];
    const int filled = int(frac * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    std::snprintf(line, sizeof line, "\r%s [%s] %zu/%zu %5.1f%% %.0f/s ETA %.0fs   ", label_.c_str(), bar,
                  done, total_, 100 * frac, rate, eta);
    std::fputs(line, stderr);
    if (final) std::fputc('\n', stderr);
  } else {
    std::snprintf(line, sizeof line, "%s: %zu/%zu (%.1f%%), %.0f/s, ETA %.0fs\n", label_.c_str(), done,
                  total_, 100 * frac, rate, eta);
    std::fputs(line, stderr);
  }
  std::fflush(stderr);
}

}  // namespace specmill
