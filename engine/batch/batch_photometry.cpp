#include "engine/batch/batch_photometry.hpp"

#include <algorithm>
#include <optional>

#include "core/error.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"
#include "io/formats/output_file.hpp"

namespace specmill {
namespace {

// One rank's chunk: its CSV rows, and what the summary counts.
struct chunk_result {
  std::string rows;
  std::vector<long long> counts;  // found, rows, then flagged per band
  std::string missing;            // lines, '\n'-terminated
};

chunk_result photometry_chunk(store& st, const photometry_options& opts, const band_tables& bands,
                              std::vector<spectrum_id> ids) {
  const size_t nb = bands.size();
  chunk_result c;
  c.counts.assign(2 + nb, 0);
  if (ids.empty()) return c;
  const auto resolved = resolve_ids(st.catalog(), opts.context, std::move(ids));
  for (const auto& r : resolved)
    if (!r.has_pixels()) c.missing += resolved.missing_text(r) + '\n';
  photometry_windows(st, resolved, bands, opts.device, opts.params, opts.max_window_pixels,
                     [&](const aligned_reader::window& w, std::span<const band_flux> results) {
                       for (size_t i = w.first; i < w.last; ++i) {
                         if (!resolved[i].has_pixels()) continue;
                         ++c.counts[0];
                         for (size_t k = 0; k < nb; ++k) {
                           const band_flux& r = results[(i - w.first) * nb + k];
                           append_photometry_row(c.rows, resolved[i].specobjid(), bands.name(k), r);
                           if (r.flag) ++c.counts[2 + k];
                           ++c.counts[1];
                         }
                       }
                     });
  return c;
}

}  // namespace

photometry_summary run_batch_photometry(const communicator& comm, const photometry_options& opts,
                                        std::vector<spectrum_id> ids, size_t chunk_ids) {
  SPECMILL_EXPECTS(!opts.out.empty() || opts.sink, "no output path (--out)");
  SPECMILL_EXPECTS(chunk_ids > 0, "batch photometry: chunks of at least one ID");
  store st(opts.store, store::access::read);
  const band_tables bands = photometry_bands(opts.filters, st.grid());
  SPECMILL_EXPECTS(st.catalog().has_context(opts.context),
                   "unknown context '" + opts.context + "' in store " + opts.store.string());
  photometry_summary sum;
  sum.requested = ids.size();
  for (size_t k = 0; k < bands.size(); ++k) sum.bands.push_back(bands.name(k));
  sum.flagged.assign(bands.size(), 0);
  batch_test_hook(comm, "photometry");

  const size_t ranks = size_t(comm.size());
  // A short list still reaches every rank: chunks of at most its share (the CSV does not
  // depend on the chunking, only on the order, which rounds keep).
  chunk_ids = std::min(chunk_ids, std::max<size_t>(1, (ids.size() + ranks - 1) / ranks));
  const size_t n_chunks = (ids.size() + chunk_ids - 1) / chunk_ids;
  const size_t rounds = (n_chunks + ranks - 1) / ranks;
  // Rank 0 opens the output only once it knows some ID was found (as run_photometry, which
  // throws not_found before writing): rows wait in `pending` until then.
  std::optional<output_file> out;
  std::string pending;
  progress_meter meter("photometry", ids.size(), comm.rank() == 0 && opts.progress && opts.out != "-");
  for (size_t round = 0; round < rounds; ++round) {
    const size_t chunk = round * ranks + size_t(comm.rank());
    const size_t first = std::min(ids.size(), chunk * chunk_ids), last = std::min(ids.size(), first + chunk_ids);
    chunk_result c = photometry_chunk(st, opts, bands,
                                      std::vector<spectrum_id>(ids.begin() + std::ptrdiff_t(first),
                                                               ids.begin() + std::ptrdiff_t(last)));
    const auto rows = comm.gather(to_bytes(c.rows));
    const auto counts = comm.gather_values(std::span<const long long>(c.counts));
    const auto missing = comm.gather(to_bytes(c.missing));
    if (comm.rank() != 0) continue;
    for (size_t r = 0; r < ranks; ++r) {
      const auto& n = counts[r];
      sum.found += size_t(n[0]);
      sum.rows += size_t(n[1]);
      for (size_t k = 0; k < bands.size(); ++k) sum.flagged[k] += size_t(n[2 + k]);
      const std::string lines = to_string(missing[r]);
      for (size_t at = 0; at < lines.size();) {
        const size_t nl = lines.find('\n', at);
        sum.missing.push_back(lines.substr(at, nl - at));
        at = nl + 1;
      }
      pending += to_string(rows[r]);
    }
    if (!out && sum.found > 0) {
      out.emplace(opts.out, opts.sink);
      out->write(std::string(photometry_csv_header));
    }
    if (out) {
      out->write(pending);
      pending.clear();
    }
    meter.update(std::min(ids.size(), (round + 1) * ranks * chunk_ids));
  }
  if (comm.rank() != 0) return sum;
  if (sum.found == 0)
    throw not_found(sum.requested ? "none of the " + std::to_string(sum.requested) + " IDs is in context " + opts.context
                                  : std::string("empty ID list"));
  out->close();
  meter.finish(ids.size());
  return sum;
}

}  // namespace specmill
