#include "engine/pipeline/window_pipeline.hpp"

#include <algorithm>
#include <future>

#include "core/error.hpp"

namespace specmill {

window_pipeline::window_pipeline(aligned_reader& reader, std::vector<column> columns, backend where,
                                 column_reader read)
    : reader_(reader), columns_(std::move(columns)), where_(where), read_(std::move(read)) {
  for (const auto& w : reader_.windows()) max_rows_ = std::max(max_rows_, w.rows());
  if (!read_)
    read_ = [this](const aligned_reader::window& w, size_t k, void* dst) { reader_.read(w, columns_[k], dst); };
}

void window_pipeline::run(const consumer& consume, const std::function<void(size_t)>& after_window) {
  const auto& windows = reader_.windows();
  if (windows.empty()) return;
  const size_t bytes = max_rows_ * size_t(reader_.grid().width) * 4;
  // The second slot only when there is a second window: a one-window request pins (and, on
  // cuda, allocates on the device) half as much.
  staged_window slots[2] = {staged_window(where_, columns_.size(), bytes),
                            staged_window(where_, columns_.size(), windows.size() > 1 ? bytes : 0)};
  const auto fill = [&](size_t k) {
    staged_window& s = slots[k % 2];
    for (size_t c = 0; c < columns_.size(); ++c) read_(windows[k], c, s.host(c));
  };
  std::future<void> next = std::async(std::launch::async, fill, size_t(0));
  // A consumer or checkpoint that throws must not leave the reading thread writing into slots
  // being destroyed: wait for it (its own error, if any, is dropped for the first one's).
  struct join_on_exit {
    std::future<void>& f;
    ~join_on_exit() {
      if (f.valid()) f.wait();
    }
  } join{next};
  for (size_t k = 0; k < windows.size(); ++k) {
    next.get();
    staged_window& slot = slots[k % 2];
    const size_t window_bytes = windows[k].rows() * size_t(reader_.grid().width) * 4;
    for (size_t c = 0; c < columns_.size(); ++c) slot.upload(c, window_bytes);  // cuda: one copy in
    if (k + 1 < windows.size()) next = std::async(std::launch::async, fill, k + 1);
    slot.synchronize();
    consume(windows[k], slot);
    if (where_ == backend::cuda) {
      slot.synchronize();
      cuda_stream_view{}.synchronize();  // kernels the consumer queued on the default stream
    }
    if (after_window) after_window(windows[k].last);
  }
}

}  // namespace specmill
