#pragma once
// The name older callers use for io/formats/byte_output.hpp's byte_output: a path ("-" is
// standard output) or, when given, a byte stream. Written under a fresh name and renamed into
// place by close(); an output destroyed before close() leaves no partial file.
#include "io/formats/byte_output.hpp"

namespace specmill {

using output_file = byte_output;
using byte_sink = byte_stream;

}  // namespace specmill
