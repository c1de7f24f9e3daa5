#pragma once
// Reader for SDSS/BOSS spec-PLATE-MJD-FIBER.fits files (lite and full, DR8-DR17):
// HDU 1 COADD table -> coadd, HDU 2 one-row SPECOBJ/SPALL table -> spec_meta.
#include <cstddef>
#include <filesystem>
#include <span>

#include "core/spectrum.hpp"

namespace specmill {

// The most a spec file may decompress to. The largest SDSS spec files (full BOSS files with
// dozens of exposure HDUs) are a few MB; anything past this is not one, and is refused before
// it can cost memory.
inline constexpr size_t max_spec_file_bytes = size_t(64) << 20;

// Reads one spectrum. HDUs are taken by position (many files have no EXTNAME) and columns by
// case-insensitive name. Guarantees on success:
//  * every loglam lies on the 1e-4 dex lattice (within 0.05 pixel) starting at lattice_start;
//  * no NaN/Inf in flux, ivar, wdisp, sky or model: such values are set to 0, the pixel's
//    ivar to 0, and the pixels counted in coadd::nonfinite_pixels (with a logged warning);
//  * meta.specobjid equals pack_specobjid(plate, mjd, fiberid, run2d_code(run2d)), and the
//    primary header's PLATEID/MJD/FIBERID/RUN2D, when present, agree with HDU 2.
// Throws fits_error when CFITSIO cannot read the file (not FITS, truncated) and data_error
// when the file reads but is not a valid spectrum; both messages name the file. Bounded
// against hostile input: only a regular file is opened (a FIFO, socket or device is refused
// with io_error before open(), which on a FIFO would block forever); a gzip file is
// decompressed here into at most max_spec_file_bytes (other compressions are refused); and
// each table's NAXIS1 x NAXIS2 + PCOUNT must fit in the file before any buffer is sized from
// it (data_error), so a corrupt NAXIS2 cannot become a huge allocation.
// Thread-safe for distinct files: each call owns its own CFITSIO handle. CFITSIO shares one
// internal FITSfile between concurrent opens of the same path, so two threads must not read
// the same file at the same moment.
sdss_spectrum read_sdss_spectrum(const std::filesystem::path& file);
// The same for a file already in memory (fits_file::open_memory_view: read in place, not
// copied; fuzz/fuzz_sdss_spec_reader): `name` stands for the file in messages; a `size` that is
// not a whole number of 2880-byte records, or an HDU running past the end, is a truncated file
// (fits_error).
sdss_spectrum read_sdss_spectrum(const void* data, size_t size, const std::filesystem::path& name);
// `file`, whose bytes the caller has read already (ingest reads each file once, for its digest
// and for this): what read_sdss_spectrum(file) returns or throws, the same to the bit and to the
// word, parsed from `bytes` where that gives the same. Bytes the path route treats otherwise (a
// compressed file; a size that is not a whole number of 2880-byte records, which it reports in
// its own words) and every failure of the in-memory parse are read again from `file`, so a
// damaged file is reported exactly as before (at the cost of its second read).
sdss_spectrum read_sdss_spectrum(const std::filesystem::path& file, std::span<const unsigned char> bytes);

}  // namespace specmill
