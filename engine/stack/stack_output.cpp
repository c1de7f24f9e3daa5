// The stack's output: the per-pixel arrays plus the metadata that says how they were made
// (docs/stack.md, "Output"), handed to the format's sink as one table (io/formats/table_sink.hpp).
#include <cmath>

#include "core/error.hpp"
#include "core/mask_bits.hpp"
#include "engine/stack/stack.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

// In order: the npz `metadata` JSON and the csv '#' lines list them all; FITS has the ones with
// a keyword, as keywords of table STACK.
std::vector<meta_item> metadata(const stack_options& o, const stack_summary& s) {
  auto count = [](size_t n) { return int64_t(n); };
  std::vector<meta_item> m;
  m.push_back({"specmill", std::string(SPECMILL_VERSION), "SPECMILL", "specmill version"});
  m.push_back({"method", std::string(to_string(o.method)), "METHOD", "stacking method"});
  if (o.method == stack_method::clipped_mean) {
    m.push_back({"sigma", o.sigma, "SIGMA", "clip beyond SIGMA x 1.4826 MAD"});
    m.push_back({"iterations", int64_t(o.iterations), "NITER", "clipping rounds at most"});
    m.push_back({"rejected", s.rejected, "NREJECT", "values rejected, all pixels"});
  }
  m.push_back({"frame", s.frame, "FRAME", "stacking frame"});
  m.push_back({"grid", s.grid, "GRID", "wavelength grid"});
  m.push_back({"normalize",
               o.normalize ? std::to_string(o.normalize->lo) + "-" + std::to_string(o.normalize->hi)
               : !o.normalize_band.empty() ? "band " + o.normalize_band
                                           : std::string("none"),
               "NORM", "per-spectrum normalisation"});
  m.push_back({"mask_bits", int64_t(o.mask_bits), "MASKBITS", "and_mask bits excluding a pixel"});
  m.push_back({"mask_bit_names", mask_bits_to_string(o.mask_bits), "MASKNAME", ""});
  m.push_back({"context", o.context, "CONTEXT", "specmill context"});
  m.push_back({"n_requested", count(s.requested), "NREQ", "IDs requested"});
  m.push_back({"n_found", count(s.found), "NFOUND", "IDs with pixel data"});
  m.push_back({"n_used", count(s.used), "NUSED", "spectra stacked"});
  m.push_back({"n_dropped_normalization", count(s.dropped_normalization), "NDROPNRM", "dropped: normaliser <= 0 or undefined"});
  m.push_back({"n_dropped_redshift", count(s.dropped_redshift), "NDROPZ", "dropped: no usable redshift"});
  m.push_back({"n_missing", count(s.missing.size()), "", ""});
  if (o.method == stack_method::median || o.method == stack_method::clipped_mean)
    m.push_back({"tiles", count(s.tiles), "", ""});
  m.push_back({"units",
               std::string(o.normalize || !o.normalize_band.empty() ? "normalised flux (dimensionless)"
                           : o.rest_frame                          ? "1e-17 erg/s/cm^2/A per rest-frame A"
                                                                   : "1e-17 erg/s/cm^2/A"),
               "BUNIT", ""});
  return m;
}

output_format format_of(stack_format f) {
  switch (f) {
    case stack_format::npz: return output_format::npz;
    case stack_format::fits: return output_format::fits;
    case stack_format::csv: return output_format::csv;
  }
  throw invalid_argument("unknown stack output format");
}

}  // namespace

void write_stack(const stack_options& o, const stack_result& r) {
  SPECMILL_EXPECTS(o.sink || o.out == "-" || !o.out.empty(), "no output path (--out)");
  SPECMILL_EXPECTS(o.sink || o.out != "-" || o.format == stack_format::csv, "only csv output can go to stdout (--out -)");
  table_schema s;
  s.layout = table_layout::table;
  s.extname = "STACK";
  s.columns = {{"wavelength", npy_dtype::f8, "Angstrom"},
               {"flux", npy_dtype::f4, ""},
               {"ivar", npy_dtype::f4, ""},
               {"error", npy_dtype::f4, ""},
               {"n", npy_dtype::i4, ""}};
  s.metadata = metadata(o, r.summary);
  s.n_rows = r.wavelength.size();
  const size_t n = r.wavelength.size();
  SPECMILL_EXPECTS(r.flux.size() == n && r.ivar.size() == n && r.error.size() == n && r.n.size() == n,
                   "stack result: columns of unequal length");
  const void* cols[] = {r.wavelength.data(), r.flux.data(), r.ivar.data(), r.error.data(), r.n.data()};
  auto sink = begin_table(format_of(o.format), std::move(s), output_target(o.out, o.sink));
  sink->append({.row0 = 0, .nrows = n, .columns = cols, .meta = {}, .row_arrays = {}});
  sink->finish();
}

}  // namespace specmill
