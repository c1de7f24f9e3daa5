#pragma once
// Ingest of DESI healpix coadds (engine/ingest/ingest.cpp hands a run to it when its first input
// is one). Each target's b, r and z spectra are merged into one brz spectrum (kernels/
// camera_merge) on the store's native grid linear:0.8 (pixels 4500..12280, 3600-9824 A) and
// stored with flux, ivar and the merged mask (in and_mask and or_mask; wdisp, sky and model are
// zero). Catalog rows (docs/desi.md has the mapping):
//   specobjid    the store key: TARGETID for the spectrum served by default (ZCAT_PRIMARY in
//                the --catalog zpix/zall-pix rows; without a catalog row, the first copy stored),
//                otherwise desi_secondary_key(TARGETID, SURVEY, PROGRAM) (bit 63 set)
//   thing_id     TARGETID;  run2d SURVEY;  programname PROGRAM;  plate HEALPIX
//   plug_ra/dec  TARGET_RA/DEC;  z, z_err, zwarning, class, subclass: Z, ZERR, ZWARN, SPECTYPE,
//                SUBTYPE;  specprimary ZCAT_PRIMARY;  spectroflux g, r, z: FLUX_G/R/Z
// and a registered catalog table <context>_targets (query --catalog; HEALPIX is its column hpxpixel, healpix being the index) with the FIBERMAP and
// redshift columns users select on. Files are read in windows of targets: memory is bounded by
// a window and one block, whatever a file holds. A file that cannot be read is a failure of
// that file (named in the summary); the run goes on.
#include <cstdint>
#include <string_view>

#include "core/desi_coadd.hpp"  // desi_secondary_key
#include "engine/ingest/ingest.hpp"

namespace specmill {

// True when the first input file (or, with no inputs, the --catalog) is DESI's.
bool is_desi_ingest(const ingest_options& opts);

// Spectra per block when extras are stored: as many as fit the builder memory of a plain DESI
// block of default_block_spectra (7 columns x 7781 pixels x 4 bytes each, ~223 MB), rounded down
// to a multiple of 64 (the read window), at least 1 and at most `requested` (--block-size): 384
// with resolution, 704 with cameras, 192 with both. `requested` without extras.
size_t desi_extras_block_spectra(size_t requested, bool with_cameras, bool with_resolution);

ingest_summary ingest_desi(const ingest_options& opts);

}  // namespace specmill
