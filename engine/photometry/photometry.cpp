#include "engine/photometry/photometry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "engine/pipeline/progress.hpp"
#include "io/formats/output_file.hpp"
#include "engine/store/store.hpp"
#include "io/filters/filter_curve.hpp"
#include "kernels/flux_units.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/memory/staged_window.hpp"
#include "engine/pipeline/lattice_window.hpp"
#include "engine/pipeline/window_pipeline.hpp"

namespace specmill {
namespace {


// Nine significant digits: more than a float32 flux carries, short enough to read; "nan" for
// flagged values (numpy, pandas and astropy all read it).
void append_number(std::string& s, double v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9).ptr;
  s.append(buf, end);
}

void append_row(std::string& s, uint64_t specobjid, const std::string& band, const band_flux& r) {
  char buf[24];
  s.append(buf, std::to_chars(buf, buf + sizeof buf, specobjid).ptr);
  s += ',';
  s += band;
  s += ',';
  append_number(s, r.maggies * 1e9);
  s += ',';
  append_number(s, r.maggies_err * 1e9);
  s += ',';
  append_number(s, ab_mag_from_maggies(r.maggies));
  s += ',';
  append_number(s, ab_mag_err(r.maggies, r.maggies_err));
  s += ',';
  s.append(buf, std::to_chars(buf, buf + sizeof buf, r.flag).ptr);
  s += '\n';
}

// Band names go into CSV fields unquoted: keep them free of separators.
void check_band_name(const std::string& name) {
  SPECMILL_EXPECTS(!name.empty() && name.find_first_of(",\"\n\r") == std::string::npos,
                   "filter name '" + name + "' cannot be a CSV field (no commas, quotes or newlines)");
}

}  // namespace

band_tables photometry_bands(std::string_view filters, const native_grid& grid) {
  std::vector<band_weights> weights;
  for (const auto& f : load_filters(filters)) {
    check_band_name(f.name);
    weights.push_back(make_band_weights(f.name, f.wavelength, f.response, grid));
  }
  return band_tables(weights);
}

namespace {

// The band tables on the device, uploaded once per run (they are the same for every window).
struct device_band_tables {
  device_buffer offsets, starts, flux, norm, total;
  band_table_view view;
  explicit device_band_tables(const band_tables& b)
      : offsets(device_buffer::from_host(std::span(b.offsets()))),
        starts(device_buffer::from_host(std::span(b.lattice_starts()))),
        flux(device_buffer::from_host(std::span(b.flux_weights()))),
        norm(device_buffer::from_host(std::span(b.norm_weights()))),
        total(device_buffer::from_host(std::span(b.norm_totals()))),
        view{b.size(), offsets.data<int64_t>(), starts.data<int32_t>(), flux.data<double>(), norm.data<double>(),
             total.data<double>()} {}
};

// The lattice window every spectrum of the list fits in whole (its span); empty when none has
// pixels (every item is then "not covered").
lattice_window whole_spectra_window(std::span<const resolved_id> ids, const native_grid& grid) {
  for (const auto& r : ids)
    if (r.has_pixels()) return list_span(ids, grid);
  return lattice_window{0, 0, grid};
}

// At most this many spectra per list window of the CPU path: only their results are held (the
// pixels are read in place), so it bounds nothing but the sink's batch.
constexpr size_t cpu_window_items = 4096;

// The CPU path: every spectrum straight from its block file's mapping (aligned_reader::
// for_each_stored), none copied into an aligned window first. The window copy and its buffers
// were a fifth of the CLI's time and most of its memory (bench/RESULTS.md, issue 16). The sums
// are photometry_spectrum_cpu's, which the window form runs per row too: the same bits.
// Windows hold max_window_pixels / span width spectra, as the device path's do (1 to 4096).
void photometry_in_place(store& st, std::span<const resolved_id> ids, const lattice_window& span,
                         const band_tables& bands, const photometry_params& params, int64_t max_window_pixels,
                         const photometry_sink& sink) {
  const size_t width = std::max<size_t>(1, size_t(span.width)), nb = bands.size();
  const size_t rows = std::clamp<size_t>(size_t(std::max<int64_t>(0, max_window_pixels)) / width, 1, cpu_window_items);
  aligned_reader reader(st, ids, span, backend::cpu, rows * width * 4);
  std::vector<column> columns{column::flux, column::ivar};
  if (params.and_mask_bits) columns.push_back(column::and_mask);
  const band_table_view view = bands.view();
  std::vector<band_flux> results;
  for (const aligned_reader::window& w : reader.windows()) {
    results.assign(w.rows() * nb, band_flux{});
    for (size_t i = w.first; i < w.last; ++i)  // no pixels: "not covered" in every band
      if (!ids[i].has_pixels()) photometry_spectrum_cpu(nullptr, nullptr, nullptr, 0, 0, view, params, &results[(i - w.first) * nb]);
    reader.for_each_stored(w, columns, [&](size_t i, const aligned_reader::stored_row& r) {
      photometry_spectrum_cpu(static_cast<const float*>(r.data[0]), static_cast<const float*>(r.data[1]),
                              params.and_mask_bits ? static_cast<const int32_t*>(r.data[2]) : nullptr, r.npix,
                              r.lattice_start, view, params, &results[(i - w.first) * nb]);
    });
    sink(w, results);
  }
}

}  // namespace

void photometry_windows(store& st, std::span<const resolved_id> ids, const band_tables& bands, backend device,
                        const photometry_params& params, int64_t max_window_pixels, const photometry_sink& sink) {
  // The window pipeline over the list's span: each spectrum lands whole in its row (the
  // padding around it is never read: photometry_input's `ends`), so the sums run over exactly
  // the stored pixels, in the same order, as they always did.
  const lattice_window span = whole_spectra_window(ids, st.grid());
  if (device == backend::cpu) return photometry_in_place(st, ids, span, bands, params, max_window_pixels, sink);
  // Two slots (one read while the other is consumed), each half the window budget: the same
  // memory as one window of max_window_pixels.
  aligned_reader reader(st, ids, span, backend::cpu, size_t(std::max<int64_t>(2, max_window_pixels)) * 2);
  std::vector<column> columns{column::flux, column::ivar};
  if (params.and_mask_bits) columns.push_back(column::and_mask);
  window_pipeline pipeline(reader, columns, device);
  if (reader.windows().empty()) return;

  // Made once per run: the per-row layout (offsets, ends, lattice starts) and the results,
  // host and (on cuda) device; the band tables on the device.
  const size_t nb = bands.size(), max_rows = pipeline.max_rows();
  staged_window rows(device, 3, max_rows * 8);  // int64 offsets, int64 ends, int32 lattice starts
  staged_window results(device, 1, max_rows * nb * sizeof(band_flux));
  std::optional<device_band_tables> d_bands;
  if (device == backend::cuda) d_bands.emplace(bands);
  const size_t width = size_t(span.width);

  pipeline.run([&](const aligned_reader::window& w, staged_window& slot) {
    const size_t n = w.rows();
    auto* offsets = rows.host<int64_t>(0);
    auto* ends = rows.host<int64_t>(1);
    auto* starts = rows.host<int32_t>(2);
    for (size_t i = 0; i < n; ++i) {
      const resolved_id& r = ids[w.first + i];
      offsets[i] = ends[i] = int64_t(i * width);
      starts[i] = 0;  // an item without pixels: an empty row, "not covered" in every band
      if (!r.has_pixels()) continue;
      const spectrum_location loc = r.location();
      offsets[i] += loc.lattice_start - span.start;
      ends[i] = offsets[i] + loc.npix;
      starts[i] = loc.lattice_start;
    }
    const cuda_stream_view stream = slot.stream();  // the window's copies and kernel, in order
    rows.upload(0, n * 8, stream);
    rows.upload(1, n * 8, stream);
    rows.upload(2, n * 4, stream);
    const photometry_input in{n,
                              rows.on_backend<int64_t>(0),
                              rows.on_backend<int32_t>(2),
                              slot.on_backend<float>(0),
                              slot.on_backend<float>(1),
                              params.and_mask_bits ? slot.on_backend<int32_t>(2) : nullptr,
                              rows.on_backend<int64_t>(1)};
    if (device == backend::cuda) {
      synthetic_photometry_device(in, d_bands->view, params, results.device<band_flux>(0), stream);
      results.download(0, n * nb * sizeof(band_flux), stream);  // only the (spectrum, band) results
      slot.synchronize();
    } else {
      synthetic_photometry(backend::cpu, in, bands, params, results.host<band_flux>(0));
    }
    sink(w, std::span<const band_flux>(results.host<band_flux>(0), n * nb));
  });
}

photometry_summary run_photometry(const photometry_options& opts, std::vector<spectrum_id> ids) {
  SPECMILL_EXPECTS(!opts.out.empty() || opts.sink, "no output path (--out)");
  store st(opts.store, store::access::read);
  const band_tables bands = photometry_bands(opts.filters, st.grid());
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  photometry_summary sum;
  sum.requested = ids.size();
  for (size_t k = 0; k < bands.size(); ++k) sum.bands.push_back(bands.name(k));
  sum.flagged.assign(bands.size(), 0);
  const auto resolved = resolve_ids(st.catalog(), opts.context, std::move(ids));
  for (const auto& r : resolved) {
    if (r.has_pixels())
      ++sum.found;
    else
      sum.missing.push_back(resolved.missing_text(r));
  }
  if (sum.found == 0)
    throw not_found(sum.requested ? "none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context
                                  : std::string("empty ID list"));

  output_file out(opts.out, opts.sink);
  out.write("specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag\n");
  progress_meter meter("photometry", resolved.size(), opts.progress && opts.out != "-");
  if (opts.checkpoint) meter.set_checkpoint(opts.checkpoint);
  std::string text;
  const size_t nb = bands.size();
  photometry_windows(st, resolved, bands, opts.device, opts.params, opts.max_window_pixels,
                     [&](const aligned_reader::window& w, std::span<const band_flux> results) {
                       for (size_t i = w.first; i < w.last; ++i) {
                         if (!resolved[i].has_pixels()) continue;  // reported in `missing`
                         for (size_t k = 0; k < nb; ++k) {
                           const band_flux& r = results[(i - w.first) * nb + k];
                           append_row(text, resolved[i].specobjid(), bands.name(k), r);
                           if (r.flag) ++sum.flagged[k];
                           ++sum.rows;
                         }
                         if (text.size() > (size_t(1) << 20)) {
                           out.write(text);
                           text.clear();
                         }
                       }
                       meter.update(w.last);
                     });
  out.write(text);
  out.close();
  meter.finish(resolved.size());
  return sum;
}

}  // namespace specmill

namespace specmill {
// For engine/batch (`batch photometry`): the rows it gathers are these same lines.
void append_photometry_row(std::string& line, uint64_t specobjid, const std::string& band, const band_flux& r) {
  append_row(line, specobjid, band, r);
}

std::vector<std::string> check_photometry_filters(const std::string& comma_list) {
  std::vector<std::string> names;
  for (const auto& f : load_filters(comma_list)) names.push_back(f.name);
  return names;
}
}  // namespace specmill
