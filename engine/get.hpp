#pragma once
// `get`: the stored columns of a list of spectra, in request order, written as
//   npz   one array per column (named as in the spec files) concatenated over spectra, plus
//         offsets (int64, n+1, CSR), specobjid (uint64) and found (bool), all in request order
//   npy   one structured array (fields = the columns) over all pixels, as the original service
//         sent for one spectrum; several spectra are concatenated (npz carries the offsets)
//   fits  one binary-table row per found spectrum: SPECOBJID, PLATE, MJD, FIBERID, NPIX and
//         the columns as variable-length arrays
//   csv   one line per pixel: specobjid, pixel, then the columns
// docs/cli.md documents the layouts.
#include <filesystem>
#include <string>
#include <vector>

#include "engine/id_list.hpp"
#include "io/spectrum.hpp"

namespace specmill {

enum class get_format { npz, npy, fits, csv };
get_format parse_get_format(std::string_view text);   // invalid_argument for others
std::vector<column> parse_columns(std::string_view list);  // "flux,ivar" or "all"

struct get_options {
  std::filesystem::path store;
  std::string context = "sdss_dr16";
  std::vector<column> columns{column::flux, column::loglam, column::ivar, column::and_mask,
                              column::or_mask, column::wdisp, column::sky, column::model};
  get_format format = get_format::npz;
  std::filesystem::path out;   // "-" writes npy/csv to stdout
  bool progress = true;
};

struct get_summary {
  size_t requested = 0;
  size_t found = 0;
  std::vector<std::string> missing;  // the ID lines not found (or found without pixel data)
  int64_t pixels = 0;
};

// Throws not_found when none of the IDs is found; otherwise missing ones are listed.
get_summary get_spectra(const get_options& opts, std::vector<spectrum_id> ids);

}  // namespace specmill
