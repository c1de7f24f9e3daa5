// Stand-in for kernels/photometry.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/photometry.hpp"

namespace specmill {

void synthetic_photometry_device(const photometry_input&, const band_table_view&, const photometry_params&,
                                 band_flux*, cuda_stream_view) {
  throw_cuda_not_compiled();
}

}  // namespace specmill
