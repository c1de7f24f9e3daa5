#pragma once
// `get`: the stored columns of a list of spectra, in request order, handed a window of the
// list at a time to the output format's sink (io/formats/table_sink.hpp, the "ragged" layout):
//   npz   one array per column (named as in the spec files) concatenated over spectra, plus
//         offsets (int64, n+1, CSR), specobjid (uint64) and found (bool), all in request order
//   npy   one structured array (fields = the columns) over all pixels, as the original service
//         sent for one spectrum; several spectra are concatenated (npz carries the offsets)
//   fits  one binary-table row per found spectrum: SPECOBJID, PLATE, MJD, FIBERID, NPIX and
//         the columns as variable-length arrays
//   csv   one line per pixel: specobjid, pixel, then the columns
//   hdf5  the npz arrays as HDF5 datasets
// With meta, each also carries the catalog row of every found spectrum (engine/get/get_meta.hpp).
// With align, cutout or resample the result is dense instead (engine/get/dense_output.hpp, the
// "dense" layout): every column a 2-D array [n_spectra, n_pixels] on one wavelength grid.
// docs/cli.md documents the layouts.
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/store/store.hpp"
#include "core/spectrum.hpp"
#include "io/formats/table_sink.hpp"
#include "kernels/launch/backend.hpp"
#include "core/wavelength_grid.hpp"
#include "core/default_context.hpp"
#include "engine/pipeline/window_size.hpp"

namespace specmill {

using get_format = output_format;  // npz, npy, fits, csv, hdf5
get_format parse_get_format(std::string_view text);   // invalid_argument for others
std::vector<column> parse_columns(std::string_view list);  // "flux,ivar" or "all"
char parse_camera(std::string_view text);  // "b", "r", "z" (invalid_argument for others)

// The columns of the dense forms unless the caller chooses (loglam is replaced there by the
// 1-D loglam/wavelength arrays of the grid).
inline const std::vector<column> default_dense_columns{column::flux, column::ivar, column::and_mask};

struct get_options {
  std::filesystem::path store;
  std::string context{default_context};
  std::vector<column> columns{column::flux, column::loglam, column::ivar, column::and_mask,
                              column::or_mask, column::wdisp, column::sky, column::model};
  get_format format = get_format::npz;
  std::filesystem::path out;   // "-": standard output
  // When set, the result goes to this function chunk by chunk instead of `out` (the REST
  // service streams it into the response); the format's sink does whatever the format needs
  // for that (io/formats/table_sink.hpp).
  std::function<void(const char*, size_t)> sink;
  bool progress = true;
  // The stored form in npz, hdf5, fits or csv: each found spectrum's catalog row goes with it
  // (engine/get/get_meta.hpp; wants_meta turns --meta auto|yes|no into this).
  bool meta = false;

  // Dense forms. align: the list's span (list_span). cutout: align, then keep [lo, hi].
  bool align = false;
  std::optional<wavelength_range> cutout;
  std::optional<lattice_window> window;  // an explicit lattice window (the service's w0/w1)
  // resample: flux-conserving onto any grid (kernels/resample.hpp); columns flux, ivar,
  // and_mask only. rest_frame: by each spectrum's z, from `redshifts` (one per ID, in request
  // order) when given, else the catalog's. mask_bits: and_mask bits that exclude a pixel (pixels
  // with ivar 0 are always excluded).
  std::optional<wavelength_grid> resample;
  bool rest_frame = false;
  std::vector<double> redshifts;
  int32_t mask_bits = 0;
  backend device = backend::cpu;
  size_t window_bytes = default_window_bytes;  // one column of one list window (stored and dense forms)

  // What the original service sent for one spectrum (the REST front sets these):
  // squeeze_single: npy of a one-ID dense result as a 1-D array (n_pixels,), not (1, n_pixels).
  // spec_file: fits of one ID as the data-release spec file (engine/get/spec_file.hpp) instead of
  // the table layout; a cutout trims its COADD rows.
  bool squeeze_single = false;
  bool spec_file = false;

  // DESI stores ingested with --with-cameras / --with-resolution (engine/get/get_extras.hpp).
  // camera 'b', 'r' or 'z' (0: none): that camera's stored arrays instead of the brz columns, a
  // dense [n, camera pixels] result (flux, ivar, mask; wavelength the file's). with_resolution:
  // member `resolution` [n, diagonals, pixels] of the brz spectra (of the camera with camera),
  // npz only. Both exclude align, cutout, window and resample.
  char camera = 0;
  bool with_resolution = false;
  // Called between windows; throws to cancel the job. The REST service checks its request
  // budget and the client here.
  std::function<void()> checkpoint;
};

struct get_summary {
  size_t requested = 0;
  size_t found = 0;
  std::vector<std::string> missing;  // the ID lines not found (or found without pixel data)
  int64_t pixels = 0;            // stored pixels of the found spectra
  int64_t width = 0;             // dense forms: pixels per output row
};

// Throws not_found when none of the IDs is found; otherwise missing ones are listed.
get_summary get_spectra(const get_options& opts, std::vector<spectrum_id> ids);

// get_spectra in two steps, for callers that must answer bad requests before any output
// starts (the REST service): prepare_get resolves the IDs and checks every option (throws
// invalid_argument / not_found), run_get then writes. `st`: an open store to use (else one is
// opened from opts.store); it must outlive the prepared_get.
// What a camera or resolution request writes, fixed by prepare_get from the stored blocks.
struct extras_plan {
  int32_t diagonals = 0;           // with_resolution: diagonals of every found spectrum
  int64_t width = 0;               // pixels of every found spectrum (the camera's with camera)
  int32_t lattice_start = 0;       // camera: its lattice start
  std::vector<double> wavelength;  // camera: its wavelength array as stored
};

struct prepared_get {
  get_options opts;
  store* st = nullptr;
  std::unique_ptr<store> own;
  resolved_list ids;
  get_summary summary;  // requested, found, missing, pixels, width
  extras_plan extras;   // opts.camera or opts.with_resolution
  bool dense() const { return opts.align || opts.cutout || opts.window || opts.resample; }
};
prepared_get prepare_get(const get_options& opts, std::vector<spectrum_id> ids, store* st = nullptr);
class meta_reader;
struct table_schema;
// The stored form's schema: one row per list item with its own pixels, the item's keys for the
// formats that carry them (FITS), the context, and `meta`'s columns when given. `specmill get`
// and `specmill batch get` both write it (tests/mpi compares their outputs byte for byte).
table_schema ragged_schema(const get_options& opts, const resolved_list& ids, const meta_reader* meta);
get_summary run_get(prepared_get& p);

// listSpan: the common lattice window of a list (what --align uses), from the catalog alone.
struct list_span_result {
  lattice_window span;
  size_t requested = 0, found = 0;
};
list_span_result get_list_span(const std::filesystem::path& store, const std::string& context,
                               std::vector<spectrum_id> ids);

}  // namespace specmill
