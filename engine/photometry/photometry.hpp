#pragma once
// `photometry`: synthetic AB photometry of a list of stored spectra through any set of filters,
// as CSV, one line per (spectrum, band) in request order:
//   specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag
// The list is read a bounded window at a time, so memory does not grow with its length: on cpu
// each spectrum is summed in place in its block file's mapping; on cuda each window goes to the
// device once (engine/pipeline/window_pipeline) and only the band fluxes come back. kernels/photometry.hpp and docs/photometry.md give the conventions.
#include <filesystem>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "engine/pipeline/aligned_reader.hpp"
#include "engine/pipeline/id_list.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/photometry.hpp"
#include "core/default_context.hpp"

namespace specmill {

inline constexpr std::string_view default_photometry_filters =
    "sdss2010-u,sdss2010-g,sdss2010-r,sdss2010-i,sdss2010-z";

struct photometry_options {
  std::filesystem::path store;
  std::string context{default_context};
  std::string filters = std::string(default_photometry_filters);  // io/filters/filter_curve.hpp load_filters
  backend device = backend::cpu;
  photometry_params params;
  std::filesystem::path out;  // "-": stdout
  std::function<void(const char*, size_t)> sink;  // when set: the CSV goes here instead
  bool progress = true;
  // Called between windows; throws to cancel the job (the REST service's request budget).
  std::function<void()> checkpoint;
  // Pixels of one column held at once (two half windows of rows x the list's span): flux + ivar 128 MiB.
  int64_t max_window_pixels = int64_t(1) << 24;
};

struct photometry_summary {
  size_t requested = 0;
  size_t found = 0;
  std::vector<std::string> missing;  // ID lines not found (or found without pixel data)
  std::vector<std::string> bands;    // band names, CSV order
  std::vector<size_t> flagged;       // per band: rows with a non-zero flag
  size_t rows = 0;                   // CSV lines written (found spectra x bands)
};

// Throws not_found when none of the IDs is found (or for an unknown filter name / file),
// invalid_argument for a bad filter list or unknown context; missing IDs are listed.
photometry_summary run_photometry(const photometry_options& opts, std::vector<spectrum_id> ids);

// The engine's core, for other fronts and tests: photometry of `ids` (request order) window by
// window. `sink` gets each window and its results, results[(i - w.first) * bands.size() + k]
// for item i of the list and band k; items without pixels get NaN with
// photometry_not_covered.
using photometry_sink = std::function<void(const aligned_reader::window& w, std::span<const band_flux> results)>;
void photometry_windows(store& st, std::span<const resolved_id> ids, const band_tables& bands, backend device,
                        const photometry_params& params, int64_t max_window_pixels, const photometry_sink& sink);

// The band tables of a filter list ("sdss2010-r,my.ecsv"), via load_filters, on the store's native
// grid (a log10 lattice: invalid_argument otherwise).
band_tables photometry_bands(std::string_view filters, const native_grid& grid);

// The band names of a filter list, loading each curve: not_found / invalid_argument as
// run_photometry would throw them (for fronts that must answer before output starts).
std::vector<std::string> check_photometry_filters(const std::string& comma_list);

// The CSV header and one row (band k of a spectrum) exactly as run_photometry writes them.
inline constexpr std::string_view photometry_csv_header = "specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag\n";
void append_photometry_row(std::string& line, uint64_t specobjid, const std::string& band, const band_flux& r);

}  // namespace specmill
