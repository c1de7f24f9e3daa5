#include "engine/pipeline/window_pipeline.hpp"

#include <algorithm>
#include <future>

#include "core/error.hpp"

namespace specmill {

staged_window& window_slots::get(size_t k, backend where, size_t columns, size_t bytes) {
  staged_window& s = slots_[k];
  if (s.where() != where || s.columns() < columns || s.bytes() < bytes) s = staged_window(where, columns, bytes);
  return s;
}

window_pipeline::window_pipeline(aligned_reader& reader, std::vector<column> columns, backend where,
                                 column_reader read, window_slots* slots)
    : reader_(reader), columns_(std::move(columns)), where_(where), read_(std::move(read)), slots_(slots) {
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
  window_slots local;
  window_slots& owner = slots_ ? *slots_ : local;
  staged_window* slots[2] = {&owner.get(0, where_, columns_.size(), bytes),
                             &owner.get(1, where_, columns_.size(), windows.size() > 1 ? bytes : 0)};
  const auto fill = [&](size_t k) {
    staged_window& s = *slots[k % 2];
    for (size_t c = 0; c < columns_.size(); ++c) read_(windows[k], c, s.host(c));
  };
  // The kernels the consumer of a window queued (its slot's stream, and any on the default one).
  const auto await_consumer = [&](size_t k) {
    if (where_ != backend::cuda) return;
    slots[k % 2]->synchronize();
    cuda_stream_view{}.synchronize();
  };
  std::future<void> next = std::async(std::launch::async, fill, size_t(0));
  // A consumer or checkpoint that throws must not leave the reading thread writing into slots
  // being destroyed, nor kernels reading them: wait for both (the reader's own error, if any,
  // is dropped for the first one's).
  struct join_on_exit {
    std::future<void>& f;
    staged_window* const* slots;
    ~join_on_exit() {
      if (f.valid()) f.wait();
      for (int k = 0; k < 2; ++k) try {
          slots[k]->synchronize();
        } catch (...) {  // already unwinding: the first error is the one reported
        }
    }
  } join{next, slots};
  for (size_t k = 0; k < windows.size(); ++k) {
    next.get();
    staged_window& slot = *slots[k % 2];
    const size_t window_bytes = windows[k].rows() * size_t(reader_.grid().width) * 4;
    // cuda: one copy in, queued behind nothing on this slot's stream but the kernels of window
    // k - 2 (finished already), so it overlaps the kernels of window k - 1 on the other stream.
    for (size_t c = 0; c < columns_.size(); ++c) slot.upload(c, window_bytes);
    // The reading thread fills the other slot's host side: its upload finished before its
    // window was consumed (kernels still reading its device side do not mind).
    if (k + 1 < windows.size()) next = std::async(std::launch::async, fill, k + 1);
    if (k > 0) await_consumer(k - 1);
    slot.synchronize();
    consume(windows[k], slot);
    if (after_window) after_window(windows[k].last);
  }
  await_consumer(windows.size() - 1);
}

}  // namespace specmill
