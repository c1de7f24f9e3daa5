#include "engine/calibrate/calibrate.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include "core/error.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/store/store.hpp"
#include "io/filters/filter_curve.hpp"
#include "io/formats/npy.hpp"

namespace specmill {
namespace {

// The catalog column of a shipped SDSS band ('sdss2010-g' -> spectroflux index 1), or -1.
int spectroflux_index(const std::string& band) {
  static const std::string bands = "ugriz";
  const auto dash = band.rfind('-');
  const std::string b = dash == std::string::npos ? band : band.substr(dash + 1);
  if (b.size() != 1 || band.rfind("sdss", 0) != 0) return -1;
  const auto at = bands.find(b[0]);
  return at == std::string::npos ? -1 : int(at);
}

using flux_table = std::map<std::pair<uint64_t, std::string>, std::pair<double, double>>;

// specobjid,band,nanomaggies[,nanomaggies_err] with a header line (what `photometry` writes
// also reads: its extra columns are ignored).
flux_table read_flux_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  SPECMILL_EXPECTS(bool(in), "cannot open photometry file " + file.string(), not_found);
  flux_table t;
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty() || line[0] == '#' || line.rfind("specobjid", 0) == 0) continue;
    std::stringstream ss(line);
    std::string id, band, val, err;
    std::getline(ss, id, ',');
    std::getline(ss, band, ',');
    std::getline(ss, val, ',');
    std::getline(ss, err, ',');
    try {
      const double e = err.empty() ? NAN : std::stod(err);
      t[{std::stoull(id), band}] = {std::stod(val), e};
    } catch (const std::exception&) {
      SPECMILL_FAIL(file.string() + " line " + std::to_string(n) + ": expected specobjid,band,nanomaggies[,err]");
    }
  }
  return t;
}

}  // namespace

calibrate_summary run_calibrate(const calibrate_options& opts, std::vector<spectrum_id> ids) {
  SPECMILL_EXPECTS(opts.params.degree >= -1 && opts.params.degree <= 2, "degree must be 0, 1 or 2");
  store st(opts.store, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context), "unknown context '" + opts.context + "'", not_found);
  const native_grid grid = st.grid();
  std::vector<band_weights> weights;
  std::vector<int> catalog_index;
  for (const auto& f : load_filters(opts.filters)) {
    weights.push_back(make_band_weights(f.name, f.wavelength, f.response, grid));
    catalog_index.push_back(spectroflux_index(f.name));
    SPECMILL_EXPECTS(!opts.photometry_file.empty() || catalog_index.back() >= 0,
                     "band " + f.name + " has no catalog flux column: give --photometry FILE");
  }
  const band_tables bands(weights);
  const flux_table given = opts.photometry_file.empty() ? flux_table{} : read_flux_csv(opts.photometry_file);

  calibrate_summary sum;
  sum.requested = ids.size();
  const auto resolved = resolve_ids(st.catalog(), opts.context, std::move(ids));
  std::vector<resolved_id> found;
  for (const auto& r : resolved) {
    if (r.has_pixels()) found.push_back(r);
    else sum.missing.push_back(resolved.missing_text(r));
  }
  sum.found = found.size();
  if (found.empty()) throw not_found("none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context);

  int64_t total = 0;
  for (const auto& r : found) total += r.npix();
  const uint64_t n = found.size(), nb = bands.size();
  npz_writer npz(opts.out);
  const size_t m_flux = npz.declare_array("flux", npy_dtype::f4, {uint64_t(total)});
  const size_t m_ivar = npz.declare_array("ivar", npy_dtype::f4, {uint64_t(total)});
  const size_t m_loglam = npz.declare_array("loglam", npy_dtype::f4, {uint64_t(total)});
  const size_t m_offsets = npz.declare_array("offsets", npy_dtype::i8, {n + 1});
  const size_t m_ids = npz.declare_array("specobjid", npy_dtype::u8, {n});
  const size_t m_coef = npz.declare_array("coefficients", npy_dtype::f8, {n, uint64_t(calibrate_max_terms)});
  const size_t m_used = npz.declare_array("bands_used", npy_dtype::i4, {n});
  const size_t m_status = npz.declare_array("status", npy_dtype::i4, {n});
  const int64_t zero = 0;
  npz.append_to(m_offsets, &zero, 1);
  int64_t written = 0;

  batch_reader reader(st, found, opts.max_window_pixels);
  for (const auto& w : reader.windows()) {
    const size_t k = w.last - w.first;
    const auto npix = size_t(w.pixels());
    std::vector<float> flux(npix), ivar(npix), loglam(npix), out_flux(npix), out_ivar(npix);
    std::vector<int32_t> mask(opts.params.photometry.and_mask_bits ? npix : 0);
    reader.read(w, column::flux, flux.data());
    reader.read(w, column::ivar, ivar.data());
    reader.read(w, column::loglam, loglam.data());
    if (!mask.empty()) reader.read(w, column::and_mask, mask.data());
    std::vector<int32_t> starts(k);
    std::vector<uint64_t> sids(k);
    std::vector<double> target(k * nb, NAN), target_err(k * nb, NAN);
    for (size_t i = 0; i < k; ++i) {
      const auto& r = found[w.first + i];
      starts[i] = r.lattice_start();
      sids[i] = r.specobjid();
      std::optional<catalog_entry> row;
      for (size_t b = 0; b < nb; ++b) {
        if (!given.empty()) {
          if (const auto g = given.find({sids[i], bands.name(b)}); g != given.end()) {
            target[i * nb + b] = g->second.first;
            target_err[i * nb + b] = g->second.second;
          }
          continue;
        }
        if (!row) row = st.catalog().lookup(opts.context, sids[i]);  // resolve_ids leaves spectroflux out
        target[i * nb + b] = row ? double(row->meta.spectroflux[size_t(catalog_index[b])]) : NAN;
      }
    }
    photometry_input in;
    in.n_spectra = k;
    in.offsets = w.offsets.data();
    in.lattice_start = starts.data();
    in.flux = flux.data();
    in.ivar = ivar.data();
    in.and_mask = mask.empty() ? nullptr : mask.data();
    std::vector<double> coef(k * calibrate_max_terms);
    std::vector<int32_t> used(k), status(k);
    calibrate_spectra(opts.device, in, bands, grid, {target.data(), given.empty() ? nullptr : target_err.data()},
                      opts.params, {out_flux.data(), out_ivar.data(), coef.data(), used.data(), status.data()});
    for (size_t i = 0; i < k; ++i) (status[i] == calibrate_ok ? sum.calibrated : sum.not_calibrated)++;
    npz.append_to(m_flux, out_flux.data(), npix);
    npz.append_to(m_ivar, out_ivar.data(), npix);
    npz.append_to(m_loglam, loglam.data(), npix);
    std::vector<int64_t> ends(k);
    for (size_t i = 0; i < k; ++i) ends[i] = written + w.offsets[i + 1];
    written += int64_t(npix);
    npz.append_to(m_offsets, ends.data(), k);
    npz.append_to(m_ids, sids.data(), k);
    npz.append_to(m_coef, coef.data(), coef.size());
    npz.append_to(m_used, used.data(), k);
    npz.append_to(m_status, status.data(), k);
  }
  npz.close();
  return sum;
}

}  // namespace specmill
