#include "engine/photometry/photometry.hpp"

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

void photometry_windows(store& st, std::span<const resolved_id> ids, const band_tables& bands, backend device,
                        const photometry_params& params, int64_t max_window_pixels, const photometry_sink& sink) {
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
    synthetic_photometry(device, in, bands, params, results.data());
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
