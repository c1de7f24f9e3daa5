// The DESI readers (io/fits/desi_coadd_reader: coadd files and zpix catalogs) on arbitrary
// bytes. They open by path (CFITSIO's disk driver, as ingest does), so each input is written to
// one scratch file first. A file that is not a valid coadd or catalog must end in fits_error or
// data_error (or is_desi_coadd() == false), never in a crash, a leak or undefined behaviour.
// Seeds: a one-target coadd from `specmill sample --survey desi` cut to 12 pixels a camera (the
// reader only asks for the 0.8 A lattice, not the full camera ranges) and its zpix catalog.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>

#include "fuzz/fuzz_common.hpp"
#include "io/fits/desi_coadd_reader.hpp"

namespace {

const std::filesystem::path& scratch_file() {
  static const std::filesystem::path p = std::filesystem::temp_directory_path() /
                                         ("specmill-fuzz-desi-" + std::to_string(::getpid()) + ".fits");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  specmill::fuzz::quiet_logging();
  const auto& path = scratch_file();
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  if (specmill::is_desi_coadd(path)) {
    specmill::fuzz::expect_errors([&] {
      specmill::desi_coadd_reader reader(path);
      // Every target, with and without the resolution images (the window size of ingest).
      for (size_t first = 0; first < reader.n_targets(); first += 64) {
        const size_t count = std::min<size_t>(64, reader.n_targets() - first);
        (void)reader.read(first, count, false);
        if (reader.has_resolution()) (void)reader.read(first, count, true);
      }
    });
  }
  specmill::fuzz::expect_errors([&] {
    specmill::desi_zcatalog_reader catalog(path);
    for (size_t first = 0; first < catalog.rows(); first += 1024)
      (void)catalog.read(first, std::min<size_t>(1024, catalog.rows() - first));
  });
  return 0;
}
