#include "kernels/launch/backend.hpp"

#include "core/error.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {

backend choose_backend(std::string_view request) {
  if (request == "cpu") return backend::cpu;
  if (request == "auto") return cuda_device_count() > 0 ? backend::cuda : backend::cpu;
  if (request == "cuda") {
    require_cuda_device();
    return backend::cuda;
  }
  throw invalid_argument("unknown device '" + std::string(request) + "' (expected auto, cpu or cuda)");
}

void throw_cuda_not_compiled() { throw cuda_error("CUDA support not compiled into this build"); }

std::string_view to_string(backend b) { return b == backend::cuda ? "cuda" : "cpu"; }

}  // namespace specmill
