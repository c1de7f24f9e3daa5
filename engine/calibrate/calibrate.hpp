#pragma once
// `calibrate`: the bulk form of specmill.calibrate (Python). Each spectrum of an ID list gets a
// smooth multiplier fitted so that its synthetic photometry matches broadband fluxes, taken
// from the catalog's SPECTROFLUX columns (sdss2010-u..z bands) or from a CSV file
// (specobjid,band,nanomaggies[,nanomaggies_err]); the calibrated spectra go to an npz:
//   flux, ivar (f4, concatenated, CSR `offsets`), loglam (f4), offsets (i8), specobjid (u8),
//   coefficients (f8, n x 3: Chebyshev over each spectrum's own wavelength range),
//   bands_used (i4, bit k: band k of --filters), status (i4, kernels/calibrate.hpp).
// The list is read a bounded window at a time (engine/pipeline/batch_reader); the math is
// kernels/calibrate on the chosen backend. The CSV of fluxes is held in memory (about 40 bytes
// a row).
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/default_context.hpp"
#include "engine/pipeline/id_list.hpp"
#include "kernels/calibrate.hpp"
#include "kernels/launch/backend.hpp"

namespace specmill {

struct calibrate_options {
  std::filesystem::path store;
  std::string context{default_context};
  std::string filters = "sdss2010-g,sdss2010-r,sdss2010-i";
  std::filesystem::path photometry_file;  // empty: the catalog's spectroflux_<band> columns
  calibrate_params params;                // degree -1: as the bands allow; method flat: degree 0
  backend device = backend::cpu;
  std::filesystem::path out;              // .npz
  int64_t max_window_pixels = int64_t(1) << 22;
};

struct calibrate_summary {
  size_t requested = 0;
  size_t found = 0;
  size_t calibrated = 0;                   // status calibrate_ok
  size_t not_calibrated = 0;               // too few bands, or singular: written unchanged
  std::vector<std::string> missing;        // ID lines not found (or without pixels)
};

// not_found when no ID is found; invalid_argument for a filter without catalog column (and no
// --photometry file), a bad degree or an unreadable photometry file line.
calibrate_summary run_calibrate(const calibrate_options& opts, std::vector<spectrum_id> ids);

}  // namespace specmill
