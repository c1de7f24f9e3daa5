#include "engine/stack/stack.hpp"

#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <thread>

#include "core/error.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/pipeline/rest_frame.hpp"
#include "engine/stack/stack_frame.hpp"
#include "engine/stack/stack_ranks.hpp"
#include "core/spectrum.hpp"

namespace specmill {
namespace {

constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();

// The CPU's preferred tile: bytes of slots, and pixels at least (see tile_pixels).
constexpr size_t cpu_tile_bytes = size_t(64) << 20;
constexpr size_t cpu_tile_min_pixels = 256;

// Pixels per tile: the budget over one pixel's slots for every list item, less the CPU's
// per-thread sort buffers. At least one pixel, whatever the budget.
// `threads`: the sort buffers to reserve for (a batch rank passes the node's cores, what a lone
// process there sees, so that its tiles are that process's tiles whatever cores it is bound to).
size_t tile_pixels(const stack_options& opts, size_t capacity, int64_t width, size_t threads) {
  const size_t per_pixel = std::max<size_t>(1, capacity * stack_tile::bytes_per_slot(opts.device));
  size_t reserve = 0;
  if (opts.device == backend::cpu) reserve = threads * capacity * 8;
  const size_t budget = opts.memory_bytes > reserve ? opts.memory_bytes - reserve : 0;
  size_t pixels = budget / per_pixel;
  // The budget is a ceiling, not a target, on the CPU: a tile of ~64 MiB is reused tile after
  // tile, while one budget-sized tile is fresh memory whose first touch is kernel page zeroing
  // (a 10k median in one 368 MB tile: 0.65 s wall, 0.15-0.38 s of it system time; in 64 MiB
  // tiles 0.52 s, 0.10 s; bench/RESULTS.md). Re-reading the list per tile costs ~0.2 us a row,
  // so tiles keep at least cpu_tile_min_pixels while the budget allows.
  if (opts.device == backend::cpu)
    pixels = std::min(pixels, std::max(cpu_tile_bytes / per_pixel, cpu_tile_min_pixels));
  return std::clamp<size_t>(pixels, 1, size_t(std::max<int64_t>(width, 1)));
}

std::string lattice_text(const lattice_window& w) {
  return "lattice " + std::to_string(w.start) + "+" + std::to_string(w.width);  // index on the store's grid
}

}  // namespace

stack_method parse_stack_method(std::string_view text) {
  if (text == "weighted_mean") return stack_method::weighted_mean;
  if (text == "mean") return stack_method::mean;
  if (text == "median") return stack_method::median;
  if (text == "clipped_mean") return stack_method::clipped_mean;
  throw invalid_argument("unknown stacking method '" + std::string(text) +
                         "' (expected weighted_mean, mean, median or clipped_mean)");
}

std::string_view to_string(stack_method m) {
  switch (m) {
    case stack_method::weighted_mean: return "weighted_mean";
    case stack_method::mean: return "mean";
    case stack_method::median: return "median";
    case stack_method::clipped_mean: return "clipped_mean";
  }
  return "?";
}

stack_format parse_stack_format(std::string_view text) {
  if (text == "npz") return stack_format::npz;
  if (text == "fits") return stack_format::fits;
  if (text == "csv") return stack_format::csv;
  throw invalid_argument("unknown stack output format '" + std::string(text) + "' (expected npz, fits or csv)");
}

void check_stack_options(const stack_options& o) {
  SPECMILL_EXPECTS(std::isfinite(o.sigma) && o.sigma >= 1,
                   "--sigma must be a number >= 1 (values within sigma x 1.4826 MAD of the median are kept), not " +
                       std::to_string(o.sigma));
  SPECMILL_EXPECTS(o.iterations >= 1 && o.iterations <= 100, "--iterations must be 1 to 100, not " + std::to_string(o.iterations));
  SPECMILL_EXPECTS(!(o.normalize && !o.normalize_band.empty()), "--normalize and --normalize-band exclude each other");
  SPECMILL_EXPECTS(o.redshifts.empty() || o.rest_frame, "--redshifts needs --rest-frame");
  SPECMILL_EXPECTS(o.memory_bytes > 0 && o.window_bytes > 0, "the memory budget and window size must be positive");
  if (o.grid) check_wavelength_grid(*o.grid);
  SPECMILL_EXPECTS(o.out != "-" || o.format == stack_format::csv, "only csv output can go to stdout (--out -)");
}

wavelength_grid default_rest_grid(std::span<const resolved_id> ids, std::span<const double> shifts, const native_grid& native) {
  SPECMILL_EXPECTS(native.is_lattice(), "stack: a rest-frame grid needs a log10 or linear lattice, not " + to_string(native));
  const double lattice_step = native.step;
  const bool log = native.is_log_lattice();
  // In the lattice's own coordinate: log10 A less log10(1+z), or A over (1+z).
  auto rest = [&](int64_t index, double shift) {
    return log ? double(index) * lattice_step - shift : double(index) * lattice_step / std::pow(10.0, shift);
  };
  double lo = INFINITY, hi = -INFINITY;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (!ids[i].has_pixels() || !std::isfinite(shifts[i])) continue;
    const spectrum_location loc = ids[i].location();
    if (loc.npix <= 0) continue;
    lo = std::min(lo, rest(loc.lattice_start, shifts[i]));
    hi = std::max(hi, rest(int64_t(loc.lattice_start) + loc.npix - 1, shifts[i]));
  }
  if (!(lo <= hi)) throw not_found("no spectrum of the list has a usable redshift for a rest-frame grid");
  // Centers on multiples of the lattice step: the stack of spectra at z = 0 is the lattice.
  const double first = std::floor(lo / lattice_step + 1e-6), last = std::ceil(hi / lattice_step - 1e-6);
  // Linear: index / (1 / step) when 1 / step is exact (1.25 for 0.8 A), so that the centres
  // print as people write them ("8628.8", not index * 0.8 = "8628.800000000001").
  const bool exact_inverse = !log && native.inv_step * lattice_step == 1.0;
  auto at = [&](double index) { return exact_inverse ? index / native.inv_step : index * lattice_step; };
  wavelength_grid g{log ? wavelength_grid::scale::log : wavelength_grid::scale::linear, at(first), at(last),
                    lattice_step};
  check_wavelength_grid(g);
  return g;
}

stack_result compute_stack(const stack_options& opts, store& st, const resolved_list& ids,
                           const communicator* comm) {
  check_stack_options(opts);
  stack_result res;
  stack_summary& sum = res.summary;
  sum.requested = ids.size();
  // Per list item: 1 / normaliser, NaN for an item that does not contribute.
  std::vector<double> scale(ids.size(), nan_d);
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i].has_pixels()) {
      ++sum.found;
      scale[i] = 1;
    } else {
      sum.missing.push_back(ids.missing_text(ids[i]));
    }
  }
  if (sum.found == 0)
    throw not_found(ids.empty() ? std::string("empty ID list")
                                : "none of the " + std::to_string(ids.size()) + " IDs has pixel data in context " + opts.context);

  // The frame's arithmetic is written for lattices (log10 or linear, core/native_grid).
  SPECMILL_EXPECTS(st.grid().is_lattice(), "stack works on log10 or linear lattices only (this store's grid is " +
                                               to_string(st.grid()) + ")");
  detail::stack_frame f;
  f.span = list_span(ids, st.grid());
  std::vector<double> shifts;
  if (opts.rest_frame) {
    shifts = rest_frame_shifts(opts.redshifts, ids);
    f.shifts = shifts.data();
    for (size_t i = 0; i < ids.size(); ++i)
      if (scale[i] > 0 && !std::isfinite(shifts[i])) scale[i] = nan_d, ++sum.dropped_redshift;
    f.grid = opts.grid ? *opts.grid : default_rest_grid(ids, shifts, st.grid());
    f.shift_min = INFINITY, f.shift_max = -INFINITY;
    for (size_t i = 0; i < ids.size(); ++i)
      if (scale[i] > 0) f.shift_min = std::min(f.shift_min, shifts[i]), f.shift_max = std::max(f.shift_max, shifts[i]);
    if (!(f.shift_min <= f.shift_max)) throw no_usable_data("no spectrum of the list has a usable redshift (z > -1)");
  } else if (opts.grid) {
    f.grid = *opts.grid;
  }
  f.width = f.grid ? f.grid->size() : f.span.width;
  sum.width = f.width;
  sum.frame = opts.rest_frame ? "rest-frame grid" : f.grid ? "observed grid" : "observed lattice";
  sum.grid = f.grid ? to_string(*f.grid) : lattice_text(f.span);

  const bool robust = opts.method == stack_method::median || opts.method == stack_method::clipped_mean;
  const size_t threads = comm ? std::max(1u, std::thread::hardware_concurrency())
                              : size_t(tbb::this_task_arena::max_concurrency());
  const size_t capacity = ids.size(), tile = robust ? tile_pixels(opts, capacity, f.width, threads) : size_t(f.width);
  const size_t n_tiles = robust ? (size_t(f.width) + tile - 1) / tile : 1;
  const bool normalizing = opts.normalize || !opts.normalize_band.empty();
  progress_meter meter("stack", ids.size() * (n_tiles + (normalizing ? 1 : 0)), opts.progress);
  if (opts.checkpoint) meter.set_checkpoint(opts.checkpoint);
  size_t done = 0;
  if (normalizing) {
    if (comm)
      detail::normalize_rows_ranks(*comm, st, ids, f, opts.normalize ? &*opts.normalize : nullptr, opts.normalize_band,
                                   opts.device, opts.mask_bits, opts.window_bytes, scale, &sum.dropped_normalization);
    else
      detail::normalize_rows(st, ids, f, opts.normalize ? &*opts.normalize : nullptr, opts.normalize_band, opts.device,
                             opts.mask_bits, opts.window_bytes, scale, &sum.dropped_normalization);
    meter.update(done += ids.size());
  }
  sum.used = size_t(std::count_if(scale.begin(), scale.end(), [](double s) { return s > 0; }));
  if (sum.used == 0)
    throw no_usable_data("no spectrum left to stack: " + std::to_string(sum.found) + " found, " +
                     std::to_string(sum.dropped_redshift) + " without a usable redshift, " +
                     std::to_string(sum.dropped_normalization) + " dropped by the normalisation");

  const size_t width = size_t(f.width);
  res.wavelength.resize(width);
  for (size_t k = 0; k < width; ++k) res.wavelength[k] = f.center_angstrom(int64_t(k));
  res.flux.assign(width, 0.f);
  res.ivar.assign(width, 0.f);
  res.error.assign(width, INFINITY);
  res.n.assign(width, 0);
  // A batch job's rank (comm, engine/stack/stack_ranks.hpp) does its share: its groups of the
  // direct sums, or its block of the pixels (of the tiles for the median and clipped mean).
  const auto [p0, p1] = comm ? rank_block(width, comm->rank(), comm->size()) : std::pair<size_t, size_t>{0, width};
  // On the CPU without a grid every method reads the stored rows in place, from the blocks'
  // mappings (the means' sums, the robust methods' tiles), not through aligned windows.
  const bool in_place = opts.device == backend::cpu && !f.grid;
  if (!robust && in_place) {
    const stack_output out{res.flux.data(), res.ivar.data(), res.error.data(), res.n.data(), nullptr};
    auto progress = [&](size_t items) { meter.update(done + items); };
    if (comm)
      detail::accumulate_means_direct_ranks(*comm, st, ids, f.span, opts.method, opts.mask_bits, scale.data(), progress, out);
    else
      detail::accumulate_means_direct(st, ids, f.span, opts.method, opts.mask_bits, scale.data(), progress, out);
    done += ids.size();
  } else if (!robust && p1 > p0) {
    stack_accumulator acc(opts.device, p1 - p0, opts.method);
    // On cuda the windows arrive on the device (copied there once) and are summed there.
    const bool on_device = opts.device == backend::cuda;
    detail::for_each_stack_window(st, ids, f, int64_t(p0), int64_t(p1), opts.device, opts.device, opts.mask_bits,
                                  scale.data(), opts.window_bytes,
                                  [&](const aligned_reader::window& w, const stack_window& v) {
                                    if (on_device)
                                      acc.add_device(v);
                                    else
                                      acc.add(v);
                                    meter.update(done += w.rows());
                                  });
    acc.finish({res.flux.data() + p0, res.ivar.data() + p0, res.error.data() + p0, res.n.data() + p0, nullptr});
  } else if (robust) {
    std::vector<int32_t> n_input(width, 0);
    const auto [t0, t1] = comm ? rank_block(n_tiles, comm->rank(), comm->size()) : std::pair<size_t, size_t>{0, n_tiles};
    const size_t first = std::min(width, t0 * tile), end = std::min(width, t1 * tile);
    stack_tile t(opts.device, end > first ? tile : 1, end > first ? capacity : 1);
    detail::stack_buffers buffers;  // staging, device copies and resampled window: once per run
    std::optional<stored_rows> rows;
    if (in_place) rows.emplace(st, ids);
    for (size_t k0 = first; k0 < end; k0 += tile) {
      const size_t k1 = std::min(width, k0 + tile);
      if (k0 > first || k1 - k0 != t.width()) t.reset(k1 - k0);
      if (in_place)
        detail::gather_tile_direct(*rows, ids, f.span, int64_t(k0), int64_t(k1), opts.mask_bits, scale.data(), t,
                                   [&](size_t items) { meter.update(done + items); });
      else
        detail::for_each_stack_window(st, ids, f, int64_t(k0), int64_t(k1), opts.device, opts.device, opts.mask_bits,
                                      scale.data(), opts.window_bytes,
                                      [&](const aligned_reader::window& w, const stack_window& v) {
                                        if (opts.device == backend::cuda)
                                          t.add_device(v, w.first);
                                        else
                                          t.add(v, w.first);
                                        meter.update(done + w.last);
                                      },
                                      &buffers);
      t.finish(opts.method, opts.sigma, opts.iterations,
               {res.flux.data() + k0, res.ivar.data() + k0, res.error.data() + k0, res.n.data() + k0, n_input.data() + k0});
      meter.update(done += ids.size());
      ++sum.tiles;
    }
    if (comm) {
      detail::gather_pixels(*comm, first, end, res, n_input);
      sum.tiles = n_tiles;
    }
    for (size_t k = 0; k < width; ++k) sum.rejected += n_input[k] - res.n[k];
  }
  if (comm && !robust && !in_place) {
    std::vector<int32_t> no_input;
    detail::gather_pixels(*comm, p0, p1, res, no_input);
  }
  meter.finish(done);
  return res;
}

stack_summary run_stack(const stack_options& opts, std::vector<spectrum_id> ids) {
  check_stack_options(opts);
  SPECMILL_EXPECTS(!opts.out.empty(), "no output path (--out)");
  store st(opts.store, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  const auto resolved = resolve_ids(st.catalog(), opts.context, std::move(ids));
  const stack_result r = compute_stack(opts, st, resolved);
  write_stack(opts, r);
  return r.summary;
}

}  // namespace specmill
