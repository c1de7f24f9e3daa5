#pragma once
// One stored spectrum written back as a data-release spec file (HDU 0 with the era's primary
// keys, HDU 1 COADD, HDU 2 the SPECOBJ/SPALL row from the catalog as ingested, HDU 3 SPZLINE
// without rows), which is what the original service sent for fmt='FITS' and what
// specutils.Spectrum1D.read identifies as an SDSS spectrum with no format hint. The pixels are
// the stored ones, bit for bit; catalog columns specmill does not keep are zeros or blanks.
#include <filesystem>
#include <optional>
#include <string>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/store/store.hpp"
#include "io/formats/byte_output.hpp"

namespace specmill {

// not_found when the ID has no stored pixels in `context`; invalid_argument when a cutout keeps
// none of its pixels (the cutout keeps the COADD rows whose lattice centers lie in [lo, hi]).
// `out`: a file path or a byte stream (io/formats/spec_file_output.hpp writes it).
void write_stored_spec_file(store& st, const std::string& context, const resolved_id& id,
                            const std::optional<wavelength_range>& cutout, const output_target& out);

}  // namespace specmill
