#pragma once
// camera_merge: DESI's b, r and z camera spectra -> one brz spectrum on the union of their
// pixels (desispec.coaddition.coadd_cameras). The cameras all lie on one linear lattice
// (core/desi_coadd.hpp), so output pixel j meets camera pixel (out_start + j - camera start)
// exactly, with no interpolation; where cameras overlap (b/r 5760-5800 A, r/z 7520-7620 A):
//   flux = sum(ivar_c * flux_c) / sum(ivar_c)   (0 where the summed ivar is 0)
//   ivar = sum(ivar_c)
//   mask = OR of mask_c, then cleared wherever the summed ivar > 0 (a pixel some camera saw
//          well is good; the bits stay only where no camera has weight).
// The sums run in double and are rounded to float once, so both backends agree bit for bit.
#include <cstddef>
#include <cstdint>

#include "core/host_device.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {

inline constexpr int camera_merge_max_cameras = 3;

// One camera's images, row-major [n_spectra][npix], on the common lattice from `start`.
struct camera_images {
  const float* flux = nullptr;
  const float* ivar = nullptr;
  const uint32_t* mask = nullptr;
  int64_t start = 0;
  int64_t npix = 0;
};

// The per-pixel rule; index i = spectrum * out_npix + pixel.
struct camera_merge_op {
  camera_images cam[camera_merge_max_cameras];
  int n_cameras = 0;
  int64_t out_start = 0;
  int64_t out_npix = 0;
  float* flux = nullptr;
  float* ivar = nullptr;
  uint32_t* mask = nullptr;

  SPECMILL_HOST_DEVICE void operator()(size_t i) const {
    const int64_t spec = int64_t(i) / out_npix;
    const int64_t pix = int64_t(i) % out_npix;
    const int64_t g = out_start + pix;
    double weighted = 0, weight = 0;
    uint32_t bits = 0;
    for (int c = 0; c < n_cameras; ++c) {
      const camera_images& k = cam[c];
      const int64_t p = g - k.start;
      if (p < 0 || p >= k.npix) continue;
      const int64_t at = spec * k.npix + p;
      const double w = k.ivar[at];
      weighted += w * double(k.flux[at]);
      weight += w;
      bits |= k.mask[at];
    }
    const bool seen = weight > 0;
    flux[i] = seen ? float(weighted / weight) : 0.0f;
    ivar[i] = float(weight);
    mask[i] = seen ? 0u : bits;
  }
};

// Merges `n_spectra` spectra of up to three cameras into out_* ([n_spectra][out_npix], from
// lattice index out_start). backend::cpu: host pointers, TBB. backend::cuda: host pointers too;
// the images are staged through device memory and the call returns when the outputs are
// written (throws cuda_error without CUDA or a device). invalid_argument for more than three
// cameras or a negative size.
void camera_merge(backend b, const camera_images* cameras, int n_cameras, size_t n_spectra, int64_t out_start,
                  int64_t out_npix, float* out_flux, float* out_ivar, uint32_t* out_mask);

// Device-resident form: every pointer in `op` is device memory; queued on `stream`.
void camera_merge_device(const camera_merge_op& op, size_t n_spectra, cuda_stream_view stream = {});

}  // namespace specmill
