#include "kernels/memory/staged_window.hpp"

#include "core/error.hpp"

namespace specmill {

staged_window::staged_window(backend b, size_t n_columns, size_t bytes) : backend_(b), bytes_(bytes) {
  host_.reserve(n_columns);
  // +4: a window of zero rows still has a valid (unused) pointer to hand out.
  for (size_t k = 0; k < n_columns; ++k) host_.emplace_back(bytes + 4);
  if (b != backend::cuda) return;
  stream_.emplace();  // throws cuda_error without CUDA or a device
  device_.reserve(n_columns);
  for (size_t k = 0; k < n_columns; ++k) device_.emplace_back(bytes + 4);
}

void staged_window::upload(size_t k, size_t bytes, cuda_stream_view on) {
  SPECMILL_EXPECTS(k < host_.size() && bytes <= bytes_, "staged_window::upload out of range");
  if (backend_ == backend::cuda) device_[k].copy_from_host(host_[k].data(), bytes, on);
}

void staged_window::download(size_t k, size_t bytes, cuda_stream_view on) {
  SPECMILL_EXPECTS(k < host_.size() && bytes <= bytes_, "staged_window::download out of range");
  if (backend_ == backend::cuda) device_[k].copy_to_host(host_[k].data(), bytes, on);
}

void staged_window::synchronize() const {
  if (stream_) stream_->synchronize();
}

}  // namespace specmill
