// Stand-in for kernels/launch/device.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {

bool cuda_compiled() { return false; }
int cuda_device_count() { return 0; }
std::vector<cuda_device_info> cuda_devices() { return {}; }
void require_cuda_device() { throw_cuda_not_compiled(); }

}  // namespace specmill
