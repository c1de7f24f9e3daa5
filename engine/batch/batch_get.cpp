#include "engine/batch/batch_get.hpp"

#include <algorithm>
#include <cstring>

#include <optional>

#include "core/error.hpp"
#include "engine/get/get_meta.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/pipeline/batch_reader.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {
namespace {

// Chunk boundaries: consecutive items whose pixels (4 bytes a column) fit the byte budget; an
// item larger than the budget is a chunk of its own. The same on every rank.
std::vector<size_t> chunk_starts(const resolved_list& ids, size_t bytes_per_pixel, size_t budget) {
  std::vector<size_t> starts{0};
  size_t bytes = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const size_t b = ids[i].has_pixels() ? size_t(ids[i].npix()) * bytes_per_pixel : 0;
    if (bytes > 0 && bytes + b > budget) {
      starts.push_back(i);
      bytes = 0;
    }
    bytes += b;
  }
  starts.push_back(ids.size());
  return starts;
}

}  // namespace

get_summary run_batch_get(const communicator& comm, const get_options& opts, std::vector<spectrum_id> ids) {
  SPECMILL_EXPECTS(!opts.out.empty() || opts.sink, "no output path (--out)");
  SPECMILL_EXPECTS(!(opts.align || opts.cutout || opts.resample || opts.window || opts.spec_file),
                   "batch get writes the stored form only (no --align, --cutout or --resample): run those as "
                   "`specmill get`");
  SPECMILL_EXPECTS(!opts.columns.empty(), "no columns requested");
  store st(opts.store, store::access::read);
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  get_summary sum;
  sum.requested = ids.size();
  // Every rank needs the whole list's places (its share's rows span it); each resolves a block.
  const auto resolved = resolve_ids_ranks(comm, st.catalog(), opts.context, std::move(ids));
  for (const auto& r : resolved) {
    if (r.has_pixels()) {
      ++sum.found;
      sum.pixels += r.npix();
    } else {
      sum.missing.push_back(resolved.missing_text(r));
    }
  }
  if (sum.found == 0)
    throw not_found(sum.requested ? "none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context
                                  : std::string("empty ID list"));
  batch_test_hook(comm, "get");

  const size_t n_cols = opts.columns.size();
  const auto starts = chunk_starts(resolved, 4 * n_cols, opts.window_bytes);
  const size_t n_chunks = starts.size() - 1, ranks = size_t(comm.size());
  std::unique_ptr<table_sink> sink;
  // Rank 0 writes, so rank 0 reads the catalog rows (get --meta), chunk by chunk like `get`.
  std::optional<meta_reader> meta;
  if (comm.rank() == 0) {
    if (opts.meta) meta.emplace(st.catalog(), opts.context, meta_columns_of(st.grid()));
    table_schema schema = ragged_schema(opts, resolved, meta ? &*meta : nullptr);
    sink = begin_table(opts.format, std::move(schema), output_target(opts.out, opts.sink));
  }
  progress_meter meter("get", resolved.size(), comm.rank() == 0 && opts.progress && opts.out != "-" && !opts.sink);
  for (size_t round = 0; round * ranks < n_chunks; ++round) {
    // This rank's chunk of the round: its columns one after another.
    const size_t chunk = round * ranks + size_t(comm.rank());
    std::vector<std::byte> mine;
    if (chunk < n_chunks) {
      const std::span<const resolved_id> items(resolved.data() + starts[chunk], starts[chunk + 1] - starts[chunk]);
      int64_t pixels = 0;
      for (const auto& r : items) pixels += r.has_pixels() ? r.npix() : 0;
      batch_reader reader(st, items, std::max<int64_t>(1, pixels));
      mine.resize(size_t(pixels) * 4 * n_cols);
      size_t at = 0;
      for (const auto& w : reader.windows())
        for (size_t k = 0; k < n_cols; ++k) {
          // One window per chunk (its budget is the chunk's pixels), so columns stay whole.
          reader.read(w, opts.columns[k], mine.data() + at);
          at += size_t(w.pixels()) * 4;
        }
      SPECMILL_EXPECTS(at == mine.size(), "batch get: a chunk read in more than one window", data_error);
    }
    const auto parts = comm.gather(mine);
    if (comm.rank() != 0) continue;
    for (size_t r = 0; r < ranks && round * ranks + r < n_chunks; ++r) {
      const size_t c = round * ranks + r, first = starts[c], count = starts[c + 1] - first;
      const size_t col_bytes = parts[r].size() / n_cols;
      std::vector<const void*> ptrs(n_cols);
      for (size_t k = 0; k < n_cols; ++k) ptrs[k] = parts[r].data() + k * col_bytes;
      sink->append({.row0 = first,
                    .nrows = count,
                    .columns = ptrs,
                    .meta = meta ? meta->read(resolved, first, first + count) : meta_window{},
                    .row_arrays = {}});
      meter.update(first + count);
    }
  }
  if (comm.rank() == 0) {
    sink->finish();
    meter.finish(resolved.size());
  }
  return sum;
}

}  // namespace specmill
