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

class window_pipeline {
 public:
  // Fills slot column k for window w (default: reader.read(w, columns[k], dst)).
  using column_reader = std::function<void(const aligned_reader::window& w, size_t k, void* dst)>;
  // The current window, its columns in `slot` (host always; device too on cuda, after the
  // upload has completed). Work the consumer queues that reads the slot must be finished when
  // it returns (the slot is refilled two windows later); the pipeline waits for the slot's
  // stream and the default stream after each consume on cuda, so queued kernels are fine.
  using consumer = std::function<void(const aligned_reader::window& w, staged_window& slot)>;

  // `where`: the backend the windows are held on (cpu: host only, no copies).
  window_pipeline(aligned_reader& reader, std::vector<column> columns, backend where, column_reader read = {});

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
  size_t max_rows_ = 0;
};

}  // namespace specmill
