// Stand-in for kernels/scale_copy.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/scale_copy.hpp"

namespace specmill {

void scale_copy_device(const float*, float*, size_t, float, cuda_stream_view) {
  throw cuda_error("CUDA support not compiled into this build");
}

}  // namespace specmill
