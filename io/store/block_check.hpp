#pragma once
// block_builder::add's check of a spectrum, on its own (io/store/block_writer.cpp): `batch
// ingest` (engine/batch/batch_ingest.cpp) runs it where a spectrum is decoded, since rank 0
// decides without the pixels, and needs no copy of the spectrum in a scratch builder for it.
#include "core/spectrum.hpp"

namespace specmill {

// Throws what block_builder(grid).add(s) would throw (invalid_argument, data_error); returns
// when a block on `grid` can hold `s`.
void check_block_spectrum(const sdss_spectrum& s, const native_grid& grid);

}  // namespace specmill
