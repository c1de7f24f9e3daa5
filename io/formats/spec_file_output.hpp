#pragma once
// One spectrum as a data-release spec file (io/fits/sdss_spec_writer.hpp's layout), to a file or
// a stream: what the original service sent for fmt='FITS'. Built in memory (a few hundred KB),
// then written whole; an abandoned write leaves no file.
#include "core/spectrum.hpp"
#include "io/formats/byte_output.hpp"

namespace specmill {

void write_spec_file(const sdss_spectrum& s, output_target target);

}  // namespace specmill
