// How the service's getSpec answers, as the original did, in one place for every front that
// speaks its parameters (REST /getSpec and /listSpan, the in-process Python client):
//  - align: every spectrum on one lattice window, w0/w1 (else the list's span), narrowed by a
//    cutout; 2-D [n, pixels], loglam rewritten to the common grid.
//  - not aligned: each spectrum on its own pixels; the original client asks one ID at a time
//    and gets a 1-D array, cut to [lo, hi] with a cutout. Several unaligned IDs with a cutout
//    share the cutout's window (2-D; npz has the CSR form without one).
//  - fmt FITS for one unaligned ID: the data-release spec file (engine/get/spec_file.hpp).
// The fronts parse their own transport (form, JSON, Python keywords) into getspec_request.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/wavelength_grid.hpp"
#include "engine/get/get.hpp"

namespace specmill {

struct getspec_request {
  bool align = false;
  std::optional<wavelength_range> cutout;
  // w0/w1 (log10 Angstrom): the original's aligned window, from /listSpan. The original client
  // posts them on every request, 0.0 before /listSpan answers: both absent or both 0 mean none;
  // one alone, or a bad pair, is an error even when align is off.
  std::optional<double> w0, w1;
  std::optional<wavelength_grid> resample;
  bool rest_frame = false;
  // "" (absent): every column for npy (the original's default), flux/ivar/and_mask for the
  // other dense forms; "all": every column whatever the form; else a column list.
  std::string values;
};

// Sets o's align, cutout, window, resample, rest_frame and columns from the request; o.format
// must already be set (the default columns depend on it).
void apply_getspec_request(get_options& o, const getspec_request& r, const native_grid& native);

// After prepare_get: one unaligned ID is answered on its own pixels (a cutout becomes the
// intersection of its span with the cutout, a 1-D array; fits becomes the spec file when
// every_column, else the table layout).
void answer_one_unaligned(prepared_get& pg, bool every_column);

// /listSpan: the list's common lattice window (what align uses), narrowed by a cutout.
lattice_window getspec_span(const resolved_list& ids, const native_grid& native,
                            const std::optional<wavelength_range>& cutout);

}  // namespace specmill
