// The stack's output files: the per-pixel arrays plus the metadata that says how they were made
// (docs/stack.md, "Output").
#include <fitsio.h>

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/mask_bits.hpp"
#include "io/formats/output_file.hpp"
#include "engine/stack/stack.hpp"
#include "io/fits/fits_file.hpp"
#include "io/formats/npy.hpp"

namespace specmill {
namespace {

nlohmann::ordered_json metadata(const stack_options& o, const stack_summary& s) {
  nlohmann::ordered_json j;
  j["specmill"] = SPECMILL_VERSION;
  j["method"] = std::string(to_string(o.method));
  if (o.method == stack_method::clipped_mean) {
    j["sigma"] = o.sigma;
    j["iterations"] = o.iterations;
    j["rejected"] = s.rejected;
  }
  j["frame"] = s.frame;
  j["grid"] = s.grid;
  j["normalize"] = o.normalize ? std::to_string(o.normalize->lo) + "-" + std::to_string(o.normalize->hi)
                   : !o.normalize_band.empty() ? "band " + o.normalize_band
                                               : "none";
  j["mask_bits"] = o.mask_bits;
  j["mask_bit_names"] = mask_bits_to_string(o.mask_bits);
  j["context"] = o.context;
  j["n_requested"] = s.requested;
  j["n_found"] = s.found;
  j["n_used"] = s.used;
  j["n_dropped_normalization"] = s.dropped_normalization;
  j["n_dropped_redshift"] = s.dropped_redshift;
  j["n_missing"] = s.missing.size();
  if (o.method == stack_method::median || o.method == stack_method::clipped_mean) j["tiles"] = s.tiles;
  j["units"] = o.normalize || !o.normalize_band.empty() ? "normalised flux (dimensionless)"
               : o.rest_frame                          ? "1e-17 erg/s/cm^2/A per rest-frame A"
                                                       : "1e-17 erg/s/cm^2/A";
  return j;
}

void write_npz(const stack_options& o, const stack_result& r) {
  npz_writer z(o.out);
  z.write_array<double>("wavelength", r.wavelength);
  z.write_array<float>("flux", r.flux);
  z.write_array<float>("ivar", r.ivar);
  z.write_array<float>("error", r.error);
  z.write_array<int32_t>("n", r.n);
  // JSON text as bytes: json.loads(bytes(np.load(f)["metadata"])).
  const std::string meta = metadata(o, r.summary).dump();
  z.write_array<uint8_t>("metadata", std::span(reinterpret_cast<const uint8_t*>(meta.data()), meta.size()));
  z.close();
}

void write_csv(const stack_options& o, const stack_result& r) {
  output_file out(o.out);
  std::string text;
  const auto meta = metadata(o, r.summary);  // kept alive: items() refers into it
  for (const auto& [k, v] : meta.items()) text += "# " + k + ": " + (v.is_string() ? v.get<std::string>() : v.dump()) + "\n";
  text += "wavelength,flux,ivar,error,n\n";
  char num[32];
  auto put = [&](auto v) { text.append(num, std::to_chars(num, num + sizeof num, v).ptr); };
  for (size_t k = 0; k < r.wavelength.size(); ++k) {
    put(r.wavelength[k]);  // shortest text that reads back to the same number
    text += ',';
    put(r.flux[k]);
    text += ',';
    put(r.ivar[k]);
    text += ',';
    put(r.error[k]);
    text += ',';
    put(r.n[k]);
    text += '\n';
    if (text.size() > (size_t(1) << 20)) out.write(text), text.clear();
  }
  out.write(text);
  out.close();
}

// FITS: a binary table STACK (WAVELENGTH, FLUX, IVAR, ERROR, N) with the metadata as keywords.
void write_fits(const stack_options& o, const stack_result& r) {
  fits_file file = fits_file::create(o.out);
  fitsfile* f = file.get();
  int status = 0;
  char c1[] = "WAVELENGTH", c2[] = "FLUX", c3[] = "IVAR", c4[] = "ERROR", c5[] = "N";
  char d[] = "1D", e[] = "1E", j[] = "1J", aa[] = "Angstrom", none[] = "";
  char* ttype[] = {c1, c2, c3, c4, c5};
  char* tform[] = {d, e, e, e, j};
  char* tunit[] = {aa, none, none, none, none};
  fits_create_tbl(f, BINARY_TBL, 0, 5, ttype, tform, tunit, "STACK", &status);
  const long long n = (long long)r.wavelength.size();
  fits_write_col(f, TDOUBLE, 1, 1, 1, n, const_cast<double*>(r.wavelength.data()), &status);
  fits_write_col(f, TFLOAT, 2, 1, 1, n, const_cast<float*>(r.flux.data()), &status);
  fits_write_col(f, TFLOAT, 3, 1, 1, n, const_cast<float*>(r.ivar.data()), &status);
  fits_write_col(f, TFLOAT, 4, 1, 1, n, const_cast<float*>(r.error.data()), &status);
  fits_write_col(f, TINT, 5, 1, 1, n, const_cast<int32_t*>(r.n.data()), &status);
  const stack_summary& s = r.summary;
  const auto meta = metadata(o, s);
  auto str = [&](const char* key, const std::string& v, const char* comment) {
    fits_write_key_str(f, key, v.c_str(), comment, &status);
  };
  auto num = [&](const char* key, long long v, const char* comment) { fits_write_key_lng(f, key, v, comment, &status); };
  str("METHOD", meta["method"], "stacking method");
  if (o.method == stack_method::clipped_mean) {
    fits_write_key_dbl(f, "SIGMA", o.sigma, -15, "clip beyond SIGMA x 1.4826 MAD", &status);
    num("NITER", o.iterations, "clipping rounds at most");
    num("NREJECT", s.rejected, "values rejected, all pixels");
  }
  str("FRAME", s.frame, "stacking frame");
  fits_write_key_longstr(f, "GRID", s.grid.c_str(), "wavelength grid", &status);
  str("NORM", meta["normalize"], "per-spectrum normalisation");
  num("MASKBITS", o.mask_bits, "and_mask bits excluding a pixel");
  fits_write_key_longstr(f, "MASKNAME", meta["mask_bit_names"].get<std::string>().c_str(), "", &status);
  str("CONTEXT", o.context, "specmill context");
  num("NREQ", (long long)s.requested, "IDs requested");
  num("NFOUND", (long long)s.found, "IDs with pixel data");
  num("NUSED", (long long)s.used, "spectra stacked");
  num("NDROPNRM", (long long)s.dropped_normalization, "dropped: normaliser <= 0 or undefined");
  num("NDROPZ", (long long)s.dropped_redshift, "dropped: no usable redshift");
  str("BUNIT", meta["units"], "");
  str("SPECMILL", SPECMILL_VERSION, "specmill version");
  file.check(status, "writing table STACK");
  file.close();
}

}  // namespace

void write_stack(const stack_options& o, const stack_result& r) {
  switch (o.format) {
    case stack_format::npz:
      SPECMILL_EXPECTS(o.out != "-", "npz output needs a file (--out FILE.npz)");
      write_npz(o, r);
      return;
    case stack_format::fits:
      SPECMILL_EXPECTS(o.out != "-", "FITS output needs a file (--out FILE.fits)");
      write_fits(o, r);
      return;
    case stack_format::csv: write_csv(o, r); return;
  }
}

}  // namespace specmill
