#pragma once
// Synthetic DESI DR1 sample: healpix coadd files laid out like the release tree plus a redshift
// catalog, for tests, demos and benchmarks (`specmill sample --survey desi`).
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "core/desi_coadd.hpp"

namespace specmill {

struct desi_sample_options {
  std::filesystem::path out;
  size_t count = 100;              // distinct targets
  uint64_t seed = 1;
  size_t fields = 3;               // sky fields (0.5 deg across) the targets are spread over
  double repeat_fraction = 0.1;    // share of main-survey targets also observed in sv1
  desi_mask_type mask_type = desi_mask_type::int32;
  bool resolution = true;          // fill X_RESOLUTION (zeros otherwise: the HDUs are always there)
};

struct desi_sample_summary {
  size_t files = 0;
  size_t spectra = 0;              // coadded spectra (targets, plus repeats)
  uint64_t bytes = 0;
  std::filesystem::path catalog;
};

// Writes <out>/healpix/<survey>/<program>/<hpix/100>/<hpix>/coadd-<survey>-<program>-<hpix>.fits
// (NSIDE 64, nested, grouped by each target's position) and <out>/zpix-sample.fits: one ZCATALOG
// row per coadded spectrum, SURVEY/PROGRAM per row, ZCAT_NSPEC/ZCAT_PRIMARY over the whole
// catalog (as zall-pix does; the main-survey copy of a repeated target is primary). Programs
// are dark (ELG/LRG/QSO) and bright (BGS/MWS). The bytes depend only on the options.
desi_sample_summary write_desi_sample(const desi_sample_options& options);

}  // namespace specmill
