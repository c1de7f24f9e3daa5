// Stand-in for kernels/stack.cu when the build has no CUDA (SPECMILL_CUDA=OFF).
#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/stack.hpp"

namespace specmill::detail {

void stack_accumulate_device(const stack_window&, bool, stack_sums*, device_buffer&) {
  throw_cuda_not_compiled();
}
void stack_tile_init_device(uint64_t*, float*, size_t, size_t) {
  throw_cuda_not_compiled();
}
void stack_tile_gather_device(const stack_window&, size_t, size_t, uint64_t*, float*) {
  throw_cuda_not_compiled();
}
void stack_tile_finish_device(uint64_t*, float*, size_t, size_t, stack_method, double, int, const stack_output&,
                              device_buffer&, device_buffer&) {
  throw_cuda_not_compiled();
}

}  // namespace specmill::detail
