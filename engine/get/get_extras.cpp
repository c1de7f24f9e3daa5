#include "engine/get/get_extras.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>

#include "core/error.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

std::string camera_text(char c) { return std::string(1, c); }

// The ingest option a missing array needs, for the refusal.
std::string ingest_hint(bool cameras, bool resolution) {
  std::string flags = cameras ? "--with-cameras" : "";
  if (resolution) flags += std::string(flags.empty() ? "" : " ") + "--with-resolution";
  return "; ingest the DESI coadds into a store with `specmill ingest " + flags + "` to serve it";
}

// Rows per output window: window_bytes over all arrays of a row.
size_t rows_per_window(const get_options& opts, size_t row_bytes) {
  return std::max<size_t>(1, opts.window_bytes / std::max<size_t>(1, row_bytes));
}

}  // namespace

char parse_camera(std::string_view text) {
  SPECMILL_EXPECTS(text == "b" || text == "r" || text == "z",
                   "unknown camera '" + std::string(text) + "' (expected b, r or z)");
  return text[0];
}

extras_plan check_extras(const get_options& opts, store& st, const resolved_list& ids) {
  extras_plan plan;
  if (!opts.camera && !opts.with_resolution) return plan;
  const bool dense = opts.align || opts.cutout || opts.window || opts.resample;
  SPECMILL_EXPECTS(!dense, std::string(opts.camera ? "--camera" : "--with-resolution") +
                               " gives the stored arrays; it excludes --align, --cutout and --resample");
  SPECMILL_EXPECTS(!opts.camera || opts.camera == 'b' || opts.camera == 'r' || opts.camera == 'z',
                   "unknown camera (expected b, r or z)");
  SPECMILL_EXPECTS(!opts.with_resolution || opts.format == get_format::npz,
                   "--with-resolution is written to npz only, not " + std::string(to_string(opts.format)) +
                       ": use --format npz");
  SPECMILL_EXPECTS(!opts.spec_file, "the spec-file layout has no camera or resolution arrays");
  SPECMILL_EXPECTS(!opts.camera || !opts.meta, "--camera writes no catalog rows (--meta): get them without --camera");
  std::set<int64_t> seen;
  bool first = true;
  for (const auto& id : ids) {
    if (!id.has_pixels()) continue;
    const spectrum_location loc = id.location();
    // A camera's shape is the block's; the brz resolution's width is each spectrum's own.
    if (!seen.insert(loc.block_id).second && opts.camera) continue;
    const auto held = st.shared_block(loc.block_id);
    const block_reader& b = *held;
    int32_t diagonals = 0;
    int64_t width = loc.npix;
    if (opts.camera) {
      const block_camera* cam = b.camera(opts.camera);
      SPECMILL_EXPECTS(cam != nullptr, "no camera " + camera_text(opts.camera) + " spectra are stored for " + id.name() +
                                           ingest_hint(true, false));
      SPECMILL_EXPECTS(!opts.with_resolution || cam->resolution_diagonals > 0,
                       "no camera " + camera_text(opts.camera) + " resolution is stored for " + id.name() +
                           ingest_hint(true, true));
      diagonals = cam->resolution_diagonals;
      width = int64_t(cam->npix);
      if (first) {
        plan.lattice_start = cam->lattice_start;
        plan.wavelength = cam->wavelength;
      }
      SPECMILL_EXPECTS(cam->wavelength == plan.wavelength,
                       "camera " + camera_text(opts.camera) + " of " + id.name() +
                           " has other wavelengths than the list's first spectrum: ask for them separately");
    } else {
      SPECMILL_EXPECTS(b.resolution_diagonals() > 0,
                       "no resolution is stored for " + id.name() + ingest_hint(false, true));
      diagonals = b.resolution_diagonals();
    }
    if (first) {
      plan.width = width;
      plan.diagonals = opts.with_resolution ? diagonals : 0;
      first = false;
    }
    SPECMILL_EXPECTS(width == plan.width && (!opts.with_resolution || diagonals == plan.diagonals),
                     id.name() + " has " + std::to_string(width) + " pixels x " + std::to_string(diagonals) +
                         " diagonals, the list's first spectrum " + std::to_string(plan.width) + " x " +
                         std::to_string(plan.diagonals) + ": one resolution array needs one shape");
  }
  return plan;
}

void read_resolution_rows(store& st, const resolved_list& ids, const extras_plan& plan, size_t first,
                          size_t last, float* dst) {
  const size_t per = size_t(plan.diagonals) * size_t(plan.width);
  // Found rows in (block, row, index) order, as aligned_reader plans them: each block is taken
  // from the store's small cache once per window, its rows read in file order.
  struct item {
    int64_t block_id;
    int32_t row;
    size_t index;
  };
  std::vector<item> items;
  for (size_t i = first; i < last; ++i) {
    if (ids[i].has_pixels())
      items.push_back({ids[i].block_id(), ids[i].location().row, i});
    else
      std::fill_n(dst + (i - first) * per, per, 0.f);
  }
  std::sort(items.begin(), items.end(), [](const item& x, const item& y) {
    return x.block_id != y.block_id ? x.block_id < y.block_id : x.row != y.row ? x.row < y.row : x.index < y.index;
  });
  for (const item& it : items) {
    const auto held = st.shared_block(it.block_id);
    const block_reader& b = *held;
    const size_t row = size_t(it.row);
    // The shape checked here, before the read, for the message check_extras' callers know;
    // read_resolution refuses a block without resolution or a row beyond it.
    const bool stored = b.resolution_diagonals() > 0 && row < b.n_spectra();
    SPECMILL_DATA_CHECK(!stored || size_t(b.resolution_diagonals()) * size_t(b.rows()[row].npix) == per,
                        "stored resolution of " + ids[it.index].name() + " changed shape");
    b.read_resolution(row, std::span<float>(dst + (it.index - first) * per, per));
  }
}

void write_camera(const get_options& opts, const extras_plan& plan, store& st, const resolved_list& ids,
                  progress_meter& meter) {
  const size_t width = size_t(plan.width), n = ids.size();
  const size_t diagonals = size_t(plan.diagonals);
  table_schema s;
  s.layout = table_layout::dense;
  s.columns = {{"flux", npy_dtype::f4, ""}, {"ivar", npy_dtype::f4, ""}, {"mask", npy_dtype::i4, ""}};
  s.metadata = {{"context", opts.context, "CONTEXT", "specmill context"},
                {"camera", camera_text(opts.camera), "CAMERA", "DESI camera of the arrays"},
                {"grid", "lattice " + std::to_string(plan.lattice_start) + "+" + std::to_string(width), "GRID",
                 "camera pixels on the native grid"}};
  s.width = int64_t(width);
  s.wavelength = plan.wavelength;
  for (double l : plan.wavelength) s.loglam.push_back(std::log10(l));
  for (const auto& id : ids) {
    s.specobjid.push_back(id.specobjid());
    s.found.push_back(id.has_pixels());
  }
  if (opts.with_resolution) s.row_arrays = {{"resolution", npy_dtype::f4, {diagonals, width}}};
  auto sink = begin_table(opts.format, std::move(s), output_target(opts.out, opts.sink));

  const size_t rows = rows_per_window(opts, width * 4 * (3 + diagonals));
  std::vector<float> flux(rows * width), ivar(rows * width), res(opts.with_resolution ? rows * diagonals * width : 0);
  std::vector<int32_t> mask(rows * width);
  for (size_t first = 0; first < n; first += rows) {
    const size_t last = std::min(n, first + rows);
    for (size_t i = first; i < last; ++i) {
      const size_t k = i - first;
      if (!ids[i].has_pixels()) {
        std::fill_n(&flux[k * width], width, 0.f);
        std::fill_n(&ivar[k * width], width, 0.f);
        std::fill_n(&mask[k * width], width, 0);
        if (opts.with_resolution) std::fill_n(&res[k * diagonals * width], diagonals * width, 0.f);
        continue;
      }
      const spectrum_location loc = ids[i].location();
      const camera_arrays c = st.shared_block(loc.block_id)->read_camera(size_t(loc.row), opts.camera, opts.with_resolution);
      SPECMILL_DATA_CHECK(c.npix() == width, "stored camera of " + ids[i].name() + " changed shape");
      std::copy(c.flux.begin(), c.flux.end(), &flux[k * width]);
      std::copy(c.ivar.begin(), c.ivar.end(), &ivar[k * width]);
      std::memcpy(&mask[k * width], c.mask.data(), width * 4);  // the file's 32 bits as int32
      if (opts.with_resolution) std::copy(c.resolution.begin(), c.resolution.end(), &res[k * diagonals * width]);
    }
    const void* cols[3] = {flux.data(), ivar.data(), mask.data()};
    const void* row_arrays[1] = {res.data()};
    sink->append({first, last - first, cols, {}, std::span<const void* const>(row_arrays, opts.with_resolution ? 1 : 0)});
    meter.update(last);
  }
  sink->finish();
}

}  // namespace specmill
