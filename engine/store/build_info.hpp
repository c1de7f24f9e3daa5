#pragma once
#include <string>

namespace specmill {
// One line per component: specmill version, CUDA compiled in or not, devices seen, and the
// versions of CFITSIO, HDF5, SQLite and oneTBB.
std::string build_info();
}  // namespace specmill
