#include "engine/batch/batch_ingest.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <chrono>
#include <optional>
#include <span>

#include "core/error.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/batch/ingest_wire.hpp"
#include "engine/ingest/ingest_desi.hpp"
#include "engine/ingest/ingest_steps.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"

namespace specmill {
namespace {

using ingest_steps::work_item;

// Rank 0's side of the inputs: the single process's stage 1 (the same walk, the same "already
// ingested, unchanged" test on the same catalog), cut into rounds.
class round_source {
 public:
  round_source(const ingest_options& opts, catalog_db& probe) : opts_(opts), files_(opts.inputs), probe_(probe) {}

  // Up to `n` files to decode; empty at the end.
  std::vector<work_item> next(size_t n) {
    std::vector<work_item> round;
    while (round.size() < n) {
      auto path = files_.next();
      if (!path) break;
      auto stamp = ingest_steps::stamp_of(*path);
      auto record = stamp.size >= 0 ? probe_.file_record(opts_.context, stamp.path) : std::nullopt;
      if (record && record->size == stamp.size && record->mtime == stamp.mtime) {
        ++fast_skipped_;
        continue;
      }
      work_item item;
      item.path = std::move(*path);
      item.stamp = std::move(stamp);
      item.record = std::move(record);
      round.push_back(std::move(item));
    }
    return round;
  }
  size_t fast_skipped() const { return fast_skipped_; }

 private:
  const ingest_options& opts_;
  input_files files_;
  catalog_db& probe_;
  size_t fast_skipped_ = 0;
};

// The decode step on this rank's share, on its threads (the single process's stage 2).
void decode(std::span<work_item> items, unsigned jobs) {
  auto body = [&] {
    tbb::parallel_for(size_t(0), items.size(), [&](size_t i) { ingest_steps::read_item(items[i]); });
  };
  if (jobs == 0) return body();
  tbb::task_arena arena{static_cast<int>(jobs)};
  arena.execute(body);
}

store& prepared(store& st, const ingest_options& opts, ingest_summary& sum) {
  ingest_steps::prepare_store(st, opts, sum);
  return st;
}

// What rank 0 alone holds: the store open for writing, the packer, the walk of the inputs. Built
// in ingest()'s order: the store prepared (orphans removed, context made) before the packer
// numbers its first block and before the probe reads the catalog.
struct rank0_state {
  store st;
  ingest_steps::block_packer packer;
  // Stage 1's own read connection, as in ingest(): the packer writes on the store's.
  catalog_db probe;
  round_source source;
  progress_meter meter;

  rank0_state(const ingest_options& opts, ingest_summary& sum, size_t total)
      : st(opts.store, store::access::write),
        packer(prepared(st, opts, sum), opts, sum),
        probe(opts.store / "catalog.sqlite", sqlite_db::mode::read_only),
        source(opts, probe),
        meter("ingest", total, opts.progress) {}
};

}  // namespace

ingest_summary run_batch_ingest(const communicator& comm, const ingest_options& opts) {
  SPECMILL_EXPECTS(!opts.inputs.empty() || opts.catalog, "nothing to ingest: give input files or --catalog");
  SPECMILL_EXPECTS(opts.block_spectra > 0, "block size must be positive");
  const auto t0 = std::chrono::steady_clock::now();
  const bool root = comm.rank() == 0;
  // Rank 0 decides for all: the inputs are read there first (the others learn of a refusal from
  // the launcher when rank 0 aborts the job).
  if (root && is_desi_ingest(opts)) {
    SPECMILL_EXPECTS(comm.size() == 1,
                     "batch ingest distributes SDSS spec files only; DESI coadds hold many spectra a file: run "
                     "`specmill ingest` (one process) for them");
    return ingest(opts);  // one rank: the plain DESI ingest, its own default context included
  }
  if (root)
    SPECMILL_EXPECTS(!opts.with_cameras && !opts.with_resolution,
                     "--with-cameras and --with-resolution apply to DESI coadds only; these inputs are SDSS spec files");
  ingest_summary sum;
  std::optional<rank0_state> r0;
  if (root) r0.emplace(opts, sum, opts.progress && !opts.inputs.empty() ? input_files::count(opts.inputs) : 0);

  const size_t ranks = size_t(comm.size());
  for (size_t round_no = 0; !opts.inputs.empty(); ++round_no) {
    std::vector<work_item> round;
    std::vector<std::byte> msg;
    if (root) {
      round = r0->source.next(ranks * batch_ingest_files_per_rank);
      if (ranks > 1) msg = encode_round(round);
    }
    if (ranks > 1) {
      comm.broadcast(msg);
      if (!root) round = decode_round(msg);
    }
    if (round.empty()) break;  // the same answer on every rank: it came from rank 0

    const auto [first, last] = rank_block(round.size(), comm.rank(), comm.size());
    const std::span<work_item> mine(round.data() + first, last - first);
    decode(mine, opts.jobs);
    if (ranks > 1) {
      const auto parts = comm.gather(encode_results(mine));
      if (root) {
        for (int r = 1; r < comm.size(); ++r) {
          const auto [f, l] = rank_block(round.size(), r, comm.size());
          decode_results(parts[size_t(r)], std::span<work_item>(round.data() + f, l - f));
        }
      }
    }
    if (root) {
      for (auto& item : round) {
        r0->packer.take(item);
        r0->meter.update(sum.files + r0->source.fast_skipped());
      }
    }
    // Mid-job, after the first round is in the packer (some blocks may be committed).
    if (round_no == 0) batch_test_hook(comm, "ingest");
  }
  if (!root) return sum;
  r0->packer.finish();
  r0->packer.report_duplicates();
  sum.files += r0->source.fast_skipped();
  sum.skipped += r0->source.fast_skipped();
  r0->meter.finish(sum.files);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace specmill
