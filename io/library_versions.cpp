#include "io/library_versions.hpp"

#include <fitsio.h>
#include <hdf5.h>
#include <sqlite3.h>

#include <cstdio>

namespace specmill {

std::string cfitsio_version() {
  float v = 0;
  fits_get_version(&v);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", double(v));
  return buf;
}

std::string hdf5_version() {
  unsigned maj = 0, min = 0, rel = 0;
  H5get_libversion(&maj, &min, &rel);
  return std::to_string(maj) + "." + std::to_string(min) + "." + std::to_string(rel);
}

std::string sqlite_version() { return sqlite3_libversion(); }

}  // namespace specmill
