#pragma once
// HDU 2 of a spec file (its one-row SPECOBJ/SPALL table) read straight from the file's bytes:
// the header by parse_bintable_header, the row decoded from big-endian, without CFITSIO's
// parse of all 236 columns (about half of what reading a BOSS spec file cost).
//
// It answers only where its answer is the one spec_meta_table (the CFITSIO path) gives, bit
// for bit: the plain layout, one row, the column types SDSS writes (J/I/B integers, E floats,
// D/E/J doubles, A strings, K SPECOBJID with TZERO = 2^63), no other scaling, a SPECOBJID that
// matches PLATE/MJD/FIBERID/RUN2D. Anything else, including every broken file, gives nullopt
// and the caller reads HDU 2 through CFITSIO as before, which raises the errors it always did.
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "core/spectrum.hpp"
#include "io/fits/bintable_header.hpp"
#include "io/fits/fits_file.hpp"

namespace specmill {

// f is positioned on the HDU before the table (HDU 1); `header_start` is where the table's
// header begins (that HDU's hdu_address().data_end). f's position is not changed.
std::optional<spec_meta> read_spec_meta_direct(fits_file& f, int64_t header_start,
                                               const std::optional<std::string>& run2d_fallback);

// The decoding part alone: the row of `layout` at `row` (layout.row_bytes bytes).
std::optional<spec_meta> decode_spec_meta_row(const bintable_layout& layout, std::span<const unsigned char> row,
                                              const std::optional<std::string>& run2d_fallback);

}  // namespace specmill
