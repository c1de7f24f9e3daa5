// resolution_merge on both backends through the launch shell; resolution_merge.cu instantiates
// the CUDA half of the loop.
#include "kernels/resolution_merge.hpp"

#include "core/error.hpp"
#include "kernels/camera_checks.hpp"
#include "kernels/launch/for_each.hpp"

namespace specmill {

void resolution_merge(backend b, const camera_resolution* cameras, int n_cameras, int diagonals, size_t n_spectra,
                      int64_t out_start, int64_t out_npix, float* out, cuda_stream_view stream) {
  detail::check_cameras("resolution_merge", cameras, n_cameras, resolution_merge_max_cameras, out_npix);
  SPECMILL_EXPECTS(diagonals >= 1, "resolution_merge: at least one diagonal");
  resolution_merge_op op;
  for (int c = 0; c < n_cameras; ++c) op.cam[c] = cameras[c];
  op.n_cameras = n_cameras;
  op.diagonals = diagonals;
  op.out_start = out_start;
  op.out_npix = out_npix;
  op.out = out;
  constexpr size_t grain = 8 * 1024;
  for_each_index(b, n_spectra * size_t(diagonals) * size_t(out_npix), op, stream, grain);
}

}  // namespace specmill
