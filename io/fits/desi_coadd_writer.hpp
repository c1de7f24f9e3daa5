#pragma once
// Writes DESI DR1 healpix coadd files and a redshift catalog in the layout of the DESI data
// model (desidatamodel: coadd-SURVEY-PROGRAM-PIXNUM, zcatalog/zpix-SURVEY-PROGRAM), so that
// tests, the demo and benchmarks have DESI data without downloads. Every HDU, column (name,
// TFORM, unit, in order) and listed header key is written; columns with no value in the
// in-memory form (core/desi_coadd.hpp) are zeros or blanks. CHECKSUM/DATASUM are real.
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/desi_coadd.hpp"

namespace specmill {

// coadd-SURVEY-PROGRAM-PIXNUM.fits: PRIMARY (HPXNSIDE/HPXPIXEL/HPXNEST), FIBERMAP,
// EXP_FIBERMAP (one exposure per target), then per camera b, r, z: X_WAVELENGTH (float64),
// X_FLUX, X_IVAR (float32), X_MASK (int32, or uint32 as BZERO 2^31 per c.mask_type),
// X_RESOLUTION (float32 [n][11][npix]; zeros where c has none), and SCORES last.
// invalid_argument for a file with no targets or images whose sizes disagree; fits_error when
// CFITSIO cannot write. Overwrites `file`.
void write_desi_coadd(const std::filesystem::path& file, const desi_coadd_file& c);

// One row of the redshift catalog.
struct desi_zcatalog_row {
  desi_target target;
  desi_redshift redshift;
  std::string survey, program;
  int32_t healpix = 0;
  int16_t zcat_nspec = 1;  // rows of this TARGETID in the catalog
};

// A ZCATALOG file (PRIMARY with ZCATVER, ZCATALOG with the zpix v1 column set, EXP_FIBERMAP
// with no rows). `survey`/`program` go to the SURVEY/PROGRAM header keys; a catalog over several
// pairs (zall-pix style: ZCAT_PRIMARY across all of them) passes "all".
void write_desi_zcatalog(const std::filesystem::path& file, std::string_view survey, std::string_view program,
                         std::span<const desi_zcatalog_row> rows);

}  // namespace specmill
