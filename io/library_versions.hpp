#pragma once
// Versions of the storage libraries linked into this build (for `specmill version` and logs).
#include <string>

namespace specmill {
std::string cfitsio_version();
std::string hdf5_version();
std::string sqlite_version();
}  // namespace specmill
