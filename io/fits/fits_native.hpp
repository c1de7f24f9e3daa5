#pragma once
// CFITSIO's own handle of a fits_file, for the code in io/ that calls CFITSIO directly (the
// spec-file reader and writer, the catalog readers) and for tests. Nothing outside io/ and
// tests includes this header: it brings in fitsio.h.
#include <fitsio.h>

#include "io/fits/fits_file.hpp"

namespace specmill {

inline fitsfile* native(const fits_file& f) { return static_cast<fitsfile*>(f.handle()); }

}  // namespace specmill
