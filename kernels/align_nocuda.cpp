// Stand-in for kernels/align.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/align.hpp"

namespace specmill {

void align_rows_device(const ragged_rows&, const void*, int32_t, size_t, void*, cuda_stream_view) {
  throw cuda_error("CUDA support not compiled into this build");
}

}  // namespace specmill
