// Stand-in for kernels/image_scale.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/image_scale.hpp"

namespace specmill {

void render_pixels_device(const render_band&, const render_pixel_op&, uint8_t*, cuda_stream_view) {
  throw cuda_error("CUDA support not compiled into this build");
}

}  // namespace specmill
