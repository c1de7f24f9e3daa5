#pragma once
// `stack`: one composite spectrum from a list of stored spectra (kernels/stack.hpp has the
// per-pixel math, docs/stack.md the conventions). The frame is
//   * the list's span on the common log-lambda lattice (default): pixels placed as get --align
//     places them, no resampling;
//   * a wavelength grid (`grid`): each spectrum resampled onto it first (kernels/resample.hpp,
//     flux-conserving), in the observed frame or, with `rest_frame`, shifted by its z (catalog or
//     `redshifts`); `rest_frame` without a grid uses the list's rest-frame coverage on a log grid
//     with the lattice's step (default_rest_grid).
// Optionally each spectrum is first divided by its median good flux in a wavelength window or
// by its mean f_lambda through a filter band (`normalize`, `normalize_band`); spectra whose
// normaliser is <= 0 or undefined are dropped and counted.
//
// Memory: means accumulate per pixel over list windows; the median and the clipped mean walk the
// grid in tiles of pixels sized to `memory_bytes` (each tile reads every spectrum's overlap with
// it again, resampling just the tile's pixels), so nothing grows with the list beyond the list
// itself and per-row scalars.
#include <functional>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/stack.hpp"
#include "core/wavelength_grid.hpp"
#include "core/default_context.hpp"
#include "engine/pipeline/window_size.hpp"

namespace specmill {

class communicator;  // io/mpi/communicator.hpp

enum class stack_format { npz, fits, csv };

stack_method parse_stack_method(std::string_view text);  // invalid_argument for others
std::string_view to_string(stack_method m);
stack_format parse_stack_format(std::string_view text);  // "npz", "fits", "csv"

struct stack_options {
  std::filesystem::path store;
  std::string context{default_context};
  stack_method method = stack_method::weighted_mean;
  double sigma = 3;    // clipped_mean: reject beyond sigma x 1.4826 MAD; >= 1
  int iterations = 3;  // clipped_mean: at most this many rounds; 1..100
  std::optional<wavelength_grid> grid;
  bool rest_frame = false;
  std::vector<double> redshifts;  // with rest_frame: one per ID, request order; empty: catalog z
  std::optional<wavelength_range> normalize;  // median flux in [lo, hi] Angstrom of the frame
  std::string normalize_band;                 // a filter (u, g, r, i, z = sdss2010-*; names; files)
  uint32_t mask_bits = 0;                     // and_mask bits that exclude a pixel (engine/mask_bits)
  backend device = backend::cpu;
  std::filesystem::path out;  // "-": stdout (csv only)
  // When set, write_stack sends the result here chunk by chunk instead of to `out` (the REST
  // service's reply); `out` then only names the format for the checks.
  std::function<void(const char*, size_t)> sink;
  stack_format format = stack_format::npz;
  bool progress = true;
  // Called between windows; throws to cancel the job (the REST service's request budget).
  std::function<void()> checkpoint;
  size_t memory_bytes = size_t(1) << 30;   // median/clipped: a tile's values (host or device)
  size_t window_bytes = default_window_bytes;  // one column of one list window
};

// invalid_argument for a bad combination or value (sigma, iterations, both normalisations,
// redshifts without rest_frame, an empty budget, npz or fits to stdout...).
void check_stack_options(const stack_options& opts);

struct stack_summary {
  size_t requested = 0;
  size_t found = 0;                  // IDs with pixel data
  size_t used = 0;                   // found and neither dropped below
  size_t dropped_normalization = 0;  // normaliser <= 0, NaN or a flagged band
  size_t dropped_redshift = 0;       // rest frame: z not finite or <= -1
  std::vector<std::string> missing;  // ID lines not found (or without pixel data)
  int64_t width = 0;                 // output pixels
  size_t tiles = 0;                  // median/clipped: pixel tiles walked
  int64_t rejected = 0;              // clipped_mean: values rejected, all pixels together
  std::string frame;                 // "observed lattice", "observed grid", "rest-frame grid"
  std::string grid;                  // the grid in text (lattice window or log:/lin:)
};

struct stack_result {
  std::vector<double> wavelength;  // pixel centers, Angstrom (of the frame: rest with rest_frame)
  std::vector<float> flux, ivar, error;
  std::vector<int32_t> n;
  stack_summary summary;
};

// The engine's core, for fronts and tests: `ids` resolved in `st`. Throws not_found when no ID
// has pixel data, no_usable_data (a data_error) when every found spectrum is dropped.
// With `comm` (a batch job, engine/batch), every rank of it calls this with the same arguments
// and does its share of the work (engine/stack/stack_ranks.hpp); the result is complete on rank
// 0 only, bit-identical to the one-process result (CPU) for any number of ranks.
stack_result compute_stack(const stack_options& opts, store& st, const resolved_list& ids,
                           const communicator* comm = nullptr);

// The whole command: resolve, compute, write `opts.out` in `opts.format`.
stack_summary run_stack(const stack_options& opts, std::vector<spectrum_id> ids);

// Writes a result with its metadata to `opts.out` or `opts.sink`, through the format's sink
// (engine/stack/stack_output.cpp, io/formats/table_sink.hpp; formats in docs/stack.md).
void write_stack(const stack_options& opts, const stack_result& r);

// The rest-frame grid used without --grid: log10 step 1e-4 (the lattice's), pixel centers on
// multiples of it, from the bluest to the reddest rest-frame lattice pixel center of the rows
// with a usable shift (log10(1+z), NaN = unusable). not_found when no row has one.
wavelength_grid default_rest_grid(std::span<const resolved_id> ids, std::span<const double> shifts,
                                  const native_grid& native);

namespace detail {
// The median of the good values among v (as the stack's median: middle, or mean of the two
// middle ones); NaN when there is none. Reorders v.
double median_in_place(std::vector<float>& v);
}  // namespace detail

}  // namespace specmill
