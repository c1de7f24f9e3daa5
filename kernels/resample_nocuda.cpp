// Stand-in for kernels/resample.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/resample.hpp"

namespace specmill {

void resample_device(const lattice_batch&, const wavelength_grid&, int32_t, const resampled_batch&,
                     cuda_stream_view) {
  throw cuda_error("CUDA support not compiled into this build");
}

void resample_range_device(const lattice_batch&, const wavelength_grid&, int64_t, int64_t, int32_t,
                           const resampled_batch&, cuda_stream_view) {
  throw cuda_error("CUDA support not compiled into this build");
}

}  // namespace specmill
