#pragma once
// THE double-buffered window reader every dense operation runs on (get's aligned and resampled
// forms, stack, stackedImage): aligned_reader plans the list windows; this reads them in order,
// the next one on a second thread while the caller consumes the current one, into two
// staged_window slots allocated once per run at the largest window's size. On the cuda backend
// each window's columns are copied to the device once, on the slot's stream, before the caller
// sees them; the caller chains its kernels there and brings back only results.
//
// Between windows the pipeline calls `after_window` (progress and the caller's cancellation
// checkpoint: the REST budget throws from there, and the read in flight is awaited first).
#include <functional>
#include <vector>

#include "engine/pipeline/aligned_reader.hpp"
#include "kernels/memory/staged_window.hpp"

namespace specmill {

// The two staging slots of window_pipeline runs that follow one another (a stack's tiles: one
// pipeline per tile over the same list): made by the first run, reused by the next ones while
// they fit (grown, never shrunk, when a later run needs more).
class window_slots {
 public:
  // Slot k (0 or 1) with at least `columns` columns of `bytes` on `where`.
  staged_window& get(size_t k, backend where, size_t columns, size_t bytes);

 private:
  staged_window slots_[2];
};

class window_pipeline {
 public:
  // Fills slot column k for window w (default: reader.read(w, columns[k], dst)).
  using column_reader = std::function<void(const aligned_reader::window& w, size_t k, void* dst)>;
  // The current window, its columns in `slot` (host always; device too on cuda, after the
  // upload has completed). On cuda the consumer queues its kernels on slot.stream() and may
  // return before they finish: the pipeline queues the next window's upload on the other
  // slot's stream (so it overlaps them), then waits for this slot's stream and the default
  // stream before the next consume (so the consumers' kernels run one window after another)
  // and before run() returns. A consumer that reads results on the host synchronises first.
  using consumer = std::function<void(const aligned_reader::window& w, staged_window& slot)>;

  // `where`: the backend the windows are held on (cpu: host only, no copies). `slots`: staging
  // kept by the caller across pipelines (null: made for this run).
  window_pipeline(aligned_reader& reader, std::vector<column> columns, backend where, column_reader read = {},
                  window_slots* slots = nullptr);

  // Every window of the reader, in list order. `after_window` (may be empty) gets the list
  // items done so far.
  void run(const consumer& consume, const std::function<void(size_t)>& after_window = {});

  // Rows of the largest window: what result buffers are sized by.
  size_t max_rows() const { return max_rows_; }

 private:
  aligned_reader& reader_;
  std::vector<column> columns_;
  backend where_;
  column_reader read_;
  window_slots* slots_;
  size_t max_rows_ = 0;
};

}  // namespace specmill
