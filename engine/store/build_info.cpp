#include "engine/store/build_info.hpp"

#include <oneapi/tbb/version.h>

#include <sstream>

#include "io/library_versions.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {

std::string build_info() {
  std::ostringstream out;
  out << "specmill " << SPECMILL_VERSION << "\n";
  out << "cuda: " << (cuda_compiled() ? "compiled in" : "not compiled in");
  if (cuda_compiled()) {
    const auto devices = cuda_devices();
    out << ", " << devices.size() << " device(s)";
    for (const auto& d : devices)
      out << "\n  [" << d.ordinal << "] " << d.name << " sm_" << d.major << d.minor << ", "
          << d.global_memory_bytes / (1024 * 1024) << " MiB";
  }
  out << "\ncfitsio " << cfitsio_version() << ", hdf5 " << hdf5_version() << ", sqlite "
      << sqlite_version() << ", onetbb " << TBB_VERSION_MAJOR << "." << TBB_VERSION_MINOR << "\n";
  return out.str();
}

}  // namespace specmill
