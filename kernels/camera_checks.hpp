#pragma once
// The checks of a camera list that camera_merge and resolution_merge share (host side only:
// included by their .cpp files, before the functor is built).
#include <cstdint>
#include <string>

#include "core/error.hpp"

namespace specmill::detail {

// invalid_argument, naming `kernel`, unless 0 <= n_cameras <= max_cameras, out_npix >= 0 and
// every camera's npix >= 0. Camera: any struct with an int64_t npix (camera_images,
// camera_resolution).
template <class Camera>
void check_cameras(const char* kernel, const Camera* cameras, int n_cameras, int max_cameras, int64_t out_npix) {
  SPECMILL_EXPECTS(n_cameras >= 0 && n_cameras <= max_cameras,
                   std::string(kernel) + " takes at most " + std::to_string(max_cameras) + " cameras");
  SPECMILL_EXPECTS(out_npix >= 0, std::string(kernel) + ": negative output width");
  for (int c = 0; c < n_cameras; ++c)
    SPECMILL_EXPECTS(cameras[c].npix >= 0, std::string(kernel) + ": negative camera width");
}

}  // namespace specmill::detail
