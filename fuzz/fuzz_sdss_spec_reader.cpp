// The SDSS spec-file reader on arbitrary bytes, opened in memory (fits_file::open_memory): a
// file that is not a valid spectrum must end in fits_error or data_error, never in a crash, a
// leak or undefined behaviour. Seeds: real spec files, cut down (fuzz/corpus/fuzz_sdss_spec_reader).
#include "fuzz/fuzz_common.hpp"
#include "io/fits/sdss_spec_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  specmill::fuzz::quiet_logging();
  specmill::fuzz::expect_errors([&] { (void)specmill::read_sdss_spectrum(data, size, "fuzz-input.fits"); });
  return 0;
}
