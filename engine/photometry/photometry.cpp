#include "engine/photometry/photometry.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "engine/pipeline/progress.hpp"
#include "io/formats/output_file.hpp"
#include "engine/store/store.hpp"
#include "io/filters/filter_curve.hpp"
#include "kernels/flux_units.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/memory/staged_window.hpp"

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
  template <class T>
  static device_buffer upload(const T* host, size_t n) {
    device_buffer buf(n * sizeof(T));
    buf.copy_from_host(host, buf.size());
    return buf;
  }
  explicit device_band_tables(const band_tables& b)
      : offsets(upload(b.offsets().data(), b.offsets().size())),
        starts(upload(b.lattice_starts().data(), b.size())),
        flux(upload(b.flux_weights().data(), b.flux_weights().size())),
        norm(upload(b.norm_weights().data(), b.norm_weights().size())),
        total(upload(b.norm_totals().data(), b.size())),
        view{b.size(), offsets.data<int64_t>(), starts.data<int32_t>(), flux.data<double>(), norm.data<double>(),
             total.data<double>()} {}
};

// The cuda path: staging (pinned and device) made once per run at the largest window's size;
// each window's pixels are read straight into pinned memory, copied to the device once, and
// only the (spectrum, band) results come back.
void photometry_windows_cuda(store& st, std::span<const resolved_id> ids, const band_tables& bands,
                             const photometry_params& params, int64_t max_window_pixels, const photometry_sink& sink) {
  batch_reader reader(st, ids, max_window_pixels);
  size_t max_rows = 0, max_pixels = 0;
  for (const auto& w : reader.windows()) {
    max_rows = std::max(max_rows, w.last - w.first);
    max_pixels = std::max(max_pixels, size_t(w.pixels()));
  }
  if (reader.windows().empty()) return;
  const device_band_tables d_bands(bands);
  const size_t nb = bands.size();
  staged_window pixels(backend::cuda, 3, max_pixels * 4);          // flux, ivar, and_mask
  staged_window rows(backend::cuda, 2, (max_rows + 1) * 8);        // offsets (int64), lattice starts (int32)
  staged_window results(backend::cuda, 1, max_rows * nb * sizeof(band_flux));
  const cuda_stream_view stream = pixels.stream();  // every copy and the kernel, in order
  std::vector<band_flux> host_results;
  for (const auto& w : reader.windows()) {
    const size_t n = w.last - w.first, npix = size_t(w.pixels());
    reader.read(w, column::flux, pixels.host(0));
    reader.read(w, column::ivar, pixels.host(1));
    if (params.and_mask_bits) reader.read(w, column::and_mask, pixels.host(2));
    std::copy(w.offsets.begin(), w.offsets.end(), rows.host<int64_t>(0));
    // An item without pixels has an empty CSR row; any lattice start gives it "not covered".
    auto* starts = rows.host<int32_t>(1);
    for (size_t i = 0; i < n; ++i)
      starts[i] = ids[w.first + i].has_pixels() ? ids[w.first + i].entry->location->lattice_start : 0;
    for (size_t k = 0; k < (params.and_mask_bits ? 3u : 2u); ++k) pixels.upload(k, npix * 4, stream);
    rows.upload(0, (n + 1) * 8, stream);
    rows.upload(1, n * 4, stream);
    const photometry_input in{n, rows.device<int64_t>(0), rows.device<int32_t>(1), pixels.device<float>(0),
                              pixels.device<float>(1), params.and_mask_bits ? pixels.device<int32_t>(2) : nullptr};
    synthetic_photometry_device(in, d_bands.view, params, results.device<band_flux>(0), stream);
    results.download(0, n * nb * sizeof(band_flux), stream);
    pixels.synchronize();
    const auto* r = results.host<band_flux>(0);
    sink(w, std::span<const band_flux>(r, n * nb));
  }
}

}  // namespace

void photometry_windows(store& st, std::span<const resolved_id> ids, const band_tables& bands, backend device,
                        const photometry_params& params, int64_t max_window_pixels, const photometry_sink& sink) {
  if (device == backend::cuda) {
    photometry_windows_cuda(st, ids, bands, params, max_window_pixels, sink);
    return;
  }
  batch_reader reader(st, ids, max_window_pixels);
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask, lattice_start;
  std::vector<band_flux> results;
  for (const auto& w : reader.windows()) {
    const size_t n = w.last - w.first, npix = size_t(w.pixels());
    flux.resize(npix);
    ivar.resize(npix);
    reader.read(w, column::flux, flux.data());
    reader.read(w, column::ivar, ivar.data());
    if (params.and_mask_bits) {
      and_mask.resize(npix);
      reader.read(w, column::and_mask, and_mask.data());
    }
    // An item without pixels has an empty CSR row; any lattice start gives it "not covered".
    lattice_start.assign(n, 0);
    for (size_t i = 0; i < n; ++i)
      if (ids[w.first + i].has_pixels()) lattice_start[i] = ids[w.first + i].entry->location->lattice_start;
    const photometry_input in{n, w.offsets.data(), lattice_start.data(), flux.data(), ivar.data(),
                              params.and_mask_bits ? and_mask.data() : nullptr};
    results.resize(n * bands.size());
    synthetic_photometry(backend::cpu, in, bands, params, results.data());
    sink(w, results);
  }
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
      sum.missing.push_back(r.id.text + (r.entry ? " (catalog row without pixel data)" : ""));
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
                     [&](const batch_reader::window& w, std::span<const band_flux> results) {
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
std::vector<std::string> check_photometry_filters(const std::string& comma_list) {
  std::vector<std::string> names;
  for (const auto& f : load_filters(comma_list)) names.push_back(f.name);
  return names;
}
}  // namespace specmill
