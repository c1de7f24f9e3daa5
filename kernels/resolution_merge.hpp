#pragma once
// resolution_merge: DESI's per-camera resolution diagonals -> the brz spectrum's, as desispec's
// coadd_cameras merges them (desispec.coaddition, _resolution_coadd). Element d of output pixel
// j is a weighted mean over the cameras c that cover j (camera pixel p = j + out_start - start_c):
//   R[d][j] = sum_c w_c(d, p) R_c[d][p] / sum_c w_c(d, p),   w_c(d, p) = ivar_c[q],
//   q = (p + d - D/2) mod npix_c
// i.e. each diagonal is weighted by the ivar of the pixel it reaches (wrapping inside the camera,
// as desispec's `% npix` does). Weights come first from the masked ivar (ivar where mask_c[q] is
// 0, else 0); where those sum to 0 the unmasked ivar is used instead, and where that is 0 too the
// element is 0. A pixel covered by one camera with weight > 0 therefore gets that camera's value
// bit for bit (w*R/w is exact in double for float inputs). Sums run in double, rounded once.
#include <cstddef>
#include <cstdint>

#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

inline constexpr int resolution_merge_max_cameras = 3;

// One camera: ivar and mask [n_spectra][npix], resolution [n_spectra][diagonals][npix].
struct camera_resolution {
  const float* resolution = nullptr;
  const float* ivar = nullptr;
  const uint32_t* mask = nullptr;
  int64_t start = 0;  // lattice index of pixel 0
  int64_t npix = 0;
};

// Index i = (spectrum * diagonals + d) * out_npix + pixel.
struct resolution_merge_op {
  camera_resolution cam[resolution_merge_max_cameras];
  int n_cameras = 0;
  int diagonals = 0;
  int64_t out_start = 0;
  int64_t out_npix = 0;
  float* out = nullptr;  // [n_spectra][diagonals][out_npix]

  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const int64_t pix = int64_t(i) % out_npix;
    const int64_t row = int64_t(i) / out_npix;  // spectrum * diagonals + d
    const int64_t d = row % diagonals, spec = row / diagonals;
    const int64_t g = out_start + pix;
    double acc = 0, norm = 0, acc_all = 0, norm_all = 0;
    for (int c = 0; c < n_cameras; ++c) {
      const camera_resolution& k = cam[c];
      const int64_t p = g - k.start;
      if (p < 0 || p >= k.npix) continue;
      int64_t q = (p + d - diagonals / 2) % k.npix;
      if (q < 0) q += k.npix;
      const double w = k.ivar[spec * k.npix + q];
      const double r = k.resolution[(spec * diagonals + d) * k.npix + p];
      acc_all += w * r;
      norm_all += w;
      if (k.mask[spec * k.npix + q] == 0) {
        acc += w * r;
        norm += w;
      }
    }
    if (norm == 0) {
      acc = acc_all;
      norm = norm_all;
    }
    out[i] = norm != 0 ? float(acc / norm) : float(acc);
  }
};

// Merges `n_spectra` spectra of up to three cameras into out ([n_spectra][diagonals][out_npix],
// from lattice index out_start). backend::cpu: host pointers, TBB. backend::cuda: every pointer
// device memory, queued on `stream` (cuda_error without CUDA). invalid_argument for more than
// three cameras, diagonals < 1 or a negative size.
void resolution_merge(backend b, const camera_resolution* cameras, int n_cameras, int diagonals, size_t n_spectra,
                      int64_t out_start, int64_t out_npix, float* out, cuda_stream_view stream = {});

}  // namespace specmill
