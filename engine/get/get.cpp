#include "engine/get/get.hpp"
#include "engine/get/spec_file.hpp"

#include <algorithm>
#include <memory>
#include <optional>

#include "core/error.hpp"
#include "engine/get/get_dense.hpp"
#include "engine/get/get_extras.hpp"
#include "engine/get/get_meta.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {


// Every requested column of each list window, handed to the format's sink. A window holds
// window_bytes of pixels over all its columns together, in buffers allocated once (not zeroed:
// each read fills what the window uses).
// With resolution, each window also carries its rows' diagonals (member `resolution`).
void write_ragged(const get_options& opts, const extras_plan& plan, store& st, const resolved_list& ids,
                  progress_meter& meter) {
  const size_t n_cols = opts.columns.size();
  const size_t diagonals = opts.with_resolution ? size_t(plan.diagonals) : 0;
  batch_reader reader(st, ids, std::max<int64_t>(1, int64_t(opts.window_bytes / (4 * (n_cols + diagonals)))));
  std::optional<meta_reader> meta;
  if (opts.meta)
    meta.emplace(st.catalog(), opts.context, meta_columns_of(st.grid()));
  table_schema schema = ragged_schema(opts, ids, meta ? &*meta : nullptr);
  if (diagonals) schema.row_arrays = {{"resolution", npy_dtype::f4, {uint64_t(diagonals), uint64_t(plan.width)}}};
  auto sink = begin_table(opts.format, std::move(schema), output_target(opts.out, opts.sink));
  std::vector<float> resolution;
  const void* row_arrays[1] = {nullptr};
  int64_t most = 0;
  for (const auto& w : reader.windows()) most = std::max(most, w.pixels());
  std::vector<std::unique_ptr<uint8_t[]>> bufs(n_cols);
  std::vector<const void*> ptrs(n_cols);
  for (size_t k = 0; k < n_cols; ++k) {
    bufs[k] = std::make_unique_for_overwrite<uint8_t[]>(size_t(most) * 4 + 4);
    ptrs[k] = bufs[k].get();
  }
  if (sink->column_passes()) {
    // An npz streamed (the REST reply), no catalog rows or resolution: each column over the
    // whole list in turn, straight to the wire (every column a window would spool all but the
    // first). The reads are the same: the reader reads a column at a time either way.
    const size_t n = ids.size();
    for (size_t k = 0; k < n_cols; ++k) {
      for (const auto& w : reader.windows()) {
        reader.read(w, opts.columns[k], bufs[0].get());
        sink->append_column(k, {w.first, w.last - w.first, std::span<const void* const>(ptrs.data(), 1), {}, {}});
        meter.update((k * n + w.last) / n_cols);
      }
    }
    sink->finish();
    return;
  }
  for (const auto& w : reader.windows()) {
    for (size_t k = 0; k < n_cols; ++k) reader.read(w, opts.columns[k], bufs[k].get());
    // The catalog rows of the window's found spectra, read window by window like the pixels.
    const meta_window rows = meta ? meta->read(ids, w.first, w.last) : meta_window{};
    if (diagonals) {
      resolution.resize((w.last - w.first) * diagonals * size_t(plan.width));
      read_resolution_rows(st, ids, plan, w.first, w.last, resolution.data());
      row_arrays[0] = resolution.data();
    }
    sink->append({w.first, w.last - w.first, ptrs, rows, std::span<const void* const>(row_arrays, diagonals ? 1 : 0)});
    meter.update(w.last);
  }
  sink->finish();
}

}  // namespace

// The stored form: one row per list item with its own pixels, the item's keys for the formats
// that carry them (FITS), and the context.
table_schema ragged_schema(const get_options& opts, const resolved_list& ids, const meta_reader* meta) {
  table_schema s;
  if (meta) s.meta = meta->schema();
  s.layout = table_layout::ragged;
  for (column c : opts.columns)
    s.columns.push_back({std::string(column_names[int(c)]), column_is_int(c) ? npy_dtype::i4 : npy_dtype::f4, ""});
  s.metadata = {{"context", opts.context, "CONTEXT", "specmill context"}};
  s.offsets.assign(ids.size() + 1, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    const bool has = ids[i].has_pixels();
    s.offsets[i + 1] = s.offsets[i] + (has ? ids[i].npix() : 0);
    s.specobjid.push_back(ids[i].specobjid());
    s.found.push_back(has);
    s.plate.push_back(has ? ids[i].plate() : 0);
    s.mjd.push_back(has ? ids[i].mjd() : 0);
    s.fiberid.push_back(has ? ids[i].fiberid() : 0);
  }
  return s;
}

get_format parse_get_format(std::string_view text) {
  if (text == "npz") return get_format::npz;
  if (text == "npy") return get_format::npy;
  if (text == "fits") return get_format::fits;
  if (text == "csv") return get_format::csv;
  if (text == "hdf5" || text == "h5") return get_format::hdf5;
  throw invalid_argument("unknown format '" + std::string(text) + "' (expected npz, npy, fits, csv or hdf5)");
}

std::vector<column> parse_columns(std::string_view list) {
  if (list == "all" || list.empty()) return get_options{}.columns;
  std::vector<column> cols;
  size_t start = 0;
  while (start <= list.size()) {
    size_t end = list.find(',', start);
    if (end == std::string_view::npos) end = list.size();
    const std::string_view name = list.substr(start, end - start);
    bool ok = false;
    for (int c = 0; c < n_columns; ++c) {
      if (column_names[size_t(c)] == name) {
        if (std::find(cols.begin(), cols.end(), column(c)) == cols.end()) cols.push_back(column(c));
        ok = true;
      }
    }
    SPECMILL_EXPECTS(ok, "unknown column '" + std::string(name) +
                             "' (expected all or a list of flux, loglam, ivar, and_mask, or_mask, wdisp, sky, model)");
    start = end + 1;
  }
  return cols;
}

prepared_get prepare_get(const get_options& opts, std::vector<spectrum_id> ids, store* st) {
  SPECMILL_EXPECTS(!opts.columns.empty(), "no columns requested");
  prepared_get p;
  p.opts = opts;
  if (!st) {
    p.own = std::make_unique<store>(opts.store, store::access::read);
    st = p.own.get();
  }
  p.st = st;
  SPECMILL_EXPECTS(st->catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  get_summary& sum = p.summary;
  sum.requested = ids.size();
  p.ids = resolve_ids(st->catalog(), opts.context, std::move(ids));
  for (const auto& r : p.ids) {
    if (r.has_pixels()) {
      ++sum.found;
      sum.pixels += r.npix();
    } else {
      sum.missing.push_back(p.ids.missing_text(r));
    }
  }
  if (sum.found == 0)
    throw not_found(sum.requested ? "none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context
                                  : std::string("empty ID list"));
  p.extras = check_extras(opts, *p.st, p.ids);  // before check_dense: names the conflicting option
  if (p.dense()) sum.width = check_dense(opts, p.ids, p.st->grid());
  if (opts.camera) sum.width = p.extras.width;
  SPECMILL_EXPECTS(!opts.meta || (!p.dense() && !opts.spec_file && opts.format != get_format::npy),
                   "catalog rows (meta) go with the stored form in npz, hdf5, fits or csv");
  return p;
}

get_summary run_get(prepared_get& p) {
  const get_options& opts = p.opts;
  SPECMILL_EXPECTS(!opts.out.empty() || opts.sink, "no output path (--out)");
  store& st = *p.st;
  const auto& resolved = p.ids;
  get_summary sum = p.summary;
  if (opts.spec_file) {
    SPECMILL_EXPECTS(opts.format == get_format::fits && resolved.size() == 1 && !opts.align && !opts.window &&
                         !opts.resample,
                     "the spec-file layout holds one unaligned spectrum");
    write_stored_spec_file(st, opts.context, resolved.front(), opts.cutout, output_target(opts.out, opts.sink));
    return sum;
  }
  progress_meter meter("get", resolved.size(), opts.progress && opts.out != "-" && !opts.sink);
  if (opts.checkpoint) meter.set_checkpoint(opts.checkpoint);
  if (opts.camera) {
    write_camera(opts, p.extras, st, resolved, meter);
    meter.finish(resolved.size());
    return sum;
  }
  if (p.dense()) {
    write_dense(opts, st, resolved, sum, meter);
    meter.finish(resolved.size());
    return sum;
  }
  write_ragged(opts, p.extras, st, resolved, meter);
  meter.finish(resolved.size());
  return sum;
}

get_summary get_spectra(const get_options& opts, std::vector<spectrum_id> ids) {
  prepared_get p = prepare_get(opts, std::move(ids));
  return run_get(p);
}

list_span_result get_list_span(const std::filesystem::path& store_root, const std::string& context,
                               std::vector<spectrum_id> ids) {
  store st(store_root, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(context), "unknown context '" + context + "' in store " + store_root.string());
  list_span_result r;
  r.requested = ids.size();
  const auto resolved = resolve_ids(st.catalog(), context, std::move(ids));
  for (const auto& id : resolved) r.found += id.has_pixels() ? 1 : 0;
  r.span = list_span(resolved, st.grid());
  return r;
}

}  // namespace specmill
