#include "engine/get/spec_file.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "io/formats/spec_file_output.hpp"

namespace specmill {
namespace {

template <class T>
void keep(std::vector<T>& v, size_t first, size_t n) {
  if (v.empty()) return;
  v.erase(v.begin() + std::ptrdiff_t(first + n), v.end());
  v.erase(v.begin(), v.begin() + std::ptrdiff_t(first));
}

// Trims every COADD column to the lattice pixels of `w`.
void trim(coadd& c, const lattice_window& w) {
  const auto keep_window = overlap(w, lattice_window{c.lattice_start, int64_t(c.npix()), w.grid});
  SPECMILL_EXPECTS(keep_window.has_value(), "the cutout holds none of the spectrum's pixels");
  const size_t first = size_t(keep_window->start - c.lattice_start), n = size_t(keep_window->width);
  const int32_t lo = keep_window->start;
  for (auto* v : {&c.flux, &c.loglam, &c.ivar, &c.wdisp, &c.sky, &c.model}) keep(*v, first, n);
  keep(c.and_mask, first, n);
  keep(c.or_mask, first, n);
  c.lattice_start = lo;
}

}  // namespace

void write_stored_spec_file(store& st, const std::string& context, const resolved_id& id,
                            const std::optional<wavelength_range>& cutout, const output_target& out) {
  // The resolved entry carries only what the bulk paths need; the file gets the whole row.
  auto entry = st.catalog().lookup(context, id.specobjid());
  if (!entry || !entry->location) throw not_found("no stored pixels for " + id.name() + " in context " + context);
  sdss_spectrum s;
  s.meta = entry->meta;
  s.data = st.shared_block(entry->location->block_id)->read_spectrum(size_t(entry->location->row));
  if (cutout) trim(s.data, cutout_window(*cutout, st.grid()));
  write_spec_file(s, out);
}

}  // namespace specmill
