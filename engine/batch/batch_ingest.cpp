#include "engine/batch/batch_ingest.hpp"

#include <oneapi/tbb/parallel_for.h>
#include <oneapi/tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>

#include "core/error.hpp"
#include "engine/batch/batch_job.hpp"
#include "engine/batch/ingest_wire.hpp"
#include "engine/ingest/ingest_desi.hpp"
#include "engine/ingest/ingest_steps.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"
#include "io/store/block_check.hpp"
#include "io/store/block_file.hpp"

namespace specmill {
namespace {

using ingest_steps::work_item;

// Rank 0's side of the inputs: the single process's stage 1 (the same walk, the same "already
// ingested, unchanged" test on the same catalog), cut into rounds.
class round_source {
 public:
  round_source(const ingest_options& opts, catalog_db& probe)
      : files_(opts.inputs), records_(probe, opts.context) {}

  // Up to `n` files to decode; empty at the end.
  std::vector<work_item> next(size_t n) {
    std::vector<work_item> round;
    while (round.size() < n) {
      auto path = files_.next();
      if (!path) break;
      auto stamp = ingest_steps::stamp_of(*path);
      auto record = records_.find(stamp);
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
  input_files files_;
  ingest_steps::file_records records_;
  size_t fast_skipped_ = 0;
};

// The decode step on this rank's share, on its threads (the single process's stage 2), and the
// block's check of each decoded spectrum (block_builder::add's): rank 0 decides without the
// pixels, so a spectrum the block would refuse is flagged here.
void decode(std::span<work_item> items, unsigned jobs) {
  auto body = [&] {
    tbb::parallel_for(size_t(0), items.size(), [&](size_t i) {
      work_item& item = items[i];
      ingest_steps::read_item(item);
      if (!item.spectrum) return;
      try {
        check_block_spectrum(*item.spectrum, ingest_steps::ingest_grid);
      } catch (const error& e) {
        item.block_error = e.what();
      }
    });
  };
  if (jobs == 0) return body();
  tbb::task_arena arena{static_cast<int>(jobs)};
  arena.execute(body);
}

// Rank 0's block sink: the packer's placements become instructions for the ranks that hold the
// pixels (lane = rank); nothing is written here.
class remote_block_sink final : public ingest_steps::block_sink {
 public:
  void add(work_item& item) override {
    if (!item.block_error.empty()) throw data_error(item.block_error);
    ops_.push_back({item.lane, block_op::add, item.serial});
  }
  std::vector<ingest_steps::written_block> close(int lane, int64_t block_id) override {
    ops_.push_back({lane, block_op::write, block_id});
    return {};
  }
  std::vector<ingest_steps::written_block> drain() override { return {}; }
  std::vector<block_op> take_ops() { return std::exchange(ops_, {}); }

 private:
  std::vector<block_op> ops_;
};

// Every rank's write step: its lane's open block, built from the spectra it decoded as rank 0's
// instructions say, and the blocks closed, written straight into the store (to .tmp, fsync,
// rename, fsync the folder: durable before rank 0 commits their rows). A round's blocks are
// written on a writer thread while the rank decodes the next round (one writer: HDF5 is not
// used from two threads at once), as the single ingest overlaps its writes. Repaired copies the
// packer may still accept at the end of the run are held here until then.
class lane_writer {
 public:
  lane_writer(const ingest_options& opts, int lane) : opts_(opts), lane_(lane) {}

  // This rank's instructions: spectra into the open block (from `share`, this rank's part of
  // the round, its first item numbered `first_serial`, or from the held copies), and the blocks
  // closed queued for writing.
  void place(std::span<const block_op> ops, std::span<work_item> share, int64_t first_serial) {
    for (const auto& op : ops) {
      if (op.lane != lane_) continue;
      if (op.kind == block_op::write) {
        queued_.emplace_back(std::make_shared<block_builder>(std::move(builder_)), op.value);
        builder_ = block_builder(ingest_steps::ingest_grid);
        continue;
      }
      work_item* item = nullptr;
      if (op.value >= first_serial && op.value < first_serial + int64_t(share.size())) {
        item = &share[size_t(op.value - first_serial)];
      } else if (const auto h = held_.find(op.value); h != held_.end()) {
        item = &h->second;
      }
      SPECMILL_EXPECTS(item && item->spectrum, "batch ingest: rank 0 placed item " + std::to_string(op.value) +
                                                   " this rank does not hold", data_error);
      builder_.add(std::move(*item->spectrum));
      item->spectrum.reset();
      held_.erase(op.value);
    }
    // What the packer deferred (a copy with repaired pixels, in case a clean one comes later)
    // has not been placed yet: keep those copies' pixels for the end of the run.
    for (size_t i = 0; i < share.size(); ++i) {
      work_item& item = share[i];
      if (item.spectrum && item.spectrum->data.nonfinite_pixels > 0 && item.block_error.empty())
        held_.emplace(first_serial + int64_t(i), std::move(item));
    }
  }

  // The queued blocks onto the writer thread (after take_written: one batch in flight).
  void start_writing() {
    SPECMILL_EXPECTS(!writing_.valid(), "batch ingest: a rank's previous writes were not collected");
    if (queued_.empty()) return;
    writing_ = std::async(std::launch::async, [this, jobs = std::exchange(queued_, {})] { return write(jobs); });
  }
  // The queued blocks written on this thread.
  void write_now() {
    wait_writing();
    for (auto& b : write(std::exchange(queued_, {}))) done_.push_back(std::move(b));
  }
  void wait_writing() {
    if (!writing_.valid()) return;
    for (auto& b : writing_.get()) done_.push_back(std::move(b));  // rethrows a failed write
  }
  // The blocks written since the last call (waits for the writer thread).
  std::vector<ingest_steps::written_block> take_written() {
    wait_writing();
    return std::exchange(done_, {});
  }

 private:
  using job = std::pair<std::shared_ptr<block_builder>, int64_t>;

  std::vector<ingest_steps::written_block> write(const std::vector<job>& jobs) const {
    std::vector<ingest_steps::written_block> out;
    for (const auto& [builder, block_id] : jobs) {
      const auto path = opts_.store / store::block_relative_path(block_id);
      builder->write(path, block_id, opts_.layout);
      out.push_back(ingest_steps::written_block_of(path, block_id));
    }
    return out;
  }

  const ingest_options& opts_;
  int lane_;
  block_builder builder_{ingest_steps::ingest_grid};
  std::vector<job> queued_;
  std::future<std::vector<ingest_steps::written_block>> writing_;
  std::vector<ingest_steps::written_block> done_;
  std::unordered_map<int64_t, work_item> held_;
};

store& prepared(store& st, const ingest_options& opts, ingest_summary& sum) {
  ingest_steps::prepare_store(st, opts, sum);
  return st;
}

// What rank 0 alone holds: the store open for writing, the packer, the walk of the inputs. Built
// in ingest()'s order: the store prepared (orphans removed, context made) before the packer
// numbers its first block and before the probe reads the catalog.
struct rank0_state {
  store st;
  remote_block_sink sink;
  ingest_steps::block_packer packer;
  // Stage 1's own read connection, as in ingest(): the packer writes on the store's.
  catalog_db probe;
  round_source source;
  progress_meter meter;

  rank0_state(const ingest_options& opts, ingest_summary& sum, size_t total)
      : st(opts.store, store::access::write),
        packer(prepared(st, opts, sum), opts, sum, sink),
        probe(opts.store / "catalog.sqlite", sqlite_db::mode::read_only),
        source(opts, probe),
        meter("ingest", total, opts.progress) {}
};

// The step after the decisions, on every rank: rank 0's instructions out, each rank places its
// spectra and starts writing the blocks closed this round, the blocks written in the round
// before go back to rank 0, which commits them in block order. `last`: the end of the run, all
// written and committed now.
void write_blocks(const communicator& comm, std::optional<rank0_state>& r0, lane_writer& lanes,
                  std::span<work_item> share, int64_t first_serial, bool last, bool test_hook) {
  std::vector<block_op> ops;
  if (r0) ops = r0->sink.take_ops();
  if (comm.size() > 1) comm.broadcast_values(ops);
  lanes.place(ops, share, first_serial);
  std::vector<ingest_steps::written_block> written = lanes.take_written();
  if (last) {
    lanes.write_now();
    for (auto& b : lanes.take_written()) written.push_back(std::move(b));
    if (test_hook) batch_test_hook(comm, "ingest");  // written, not committed
  } else {
    lanes.start_writing();
  }
  if (!r0) {
    comm.gather(encode_written(written));
  } else {
    std::vector<ingest_steps::written_block> blocks = written;
    if (comm.size() > 1) {
      blocks.clear();
      for (const auto& part : comm.gather(encode_written(written)))
        for (auto& b : decode_written(part)) blocks.push_back(std::move(b));
    }
    std::sort(blocks.begin(), blocks.end(),
              [](const auto& a, const auto& b) { return a.record.block_id < b.record.block_id; });
    r0->packer.commit(blocks);
  }
  // Mid-job: the earlier rounds' blocks committed (the barrier waits for rank 0's commit), this
  // round's written and not committed. A failure here leaves both kinds in the store.
  if (test_hook && !last) {
    comm.barrier();
    lanes.wait_writing();
    batch_test_hook(comm, "ingest");
  }
}

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
  lane_writer lanes(opts, comm.rank());

  const size_t ranks = size_t(comm.size());
  int64_t round_serial = 0;  // the number of the round's first item in the run's input order
  size_t rounds = 0;
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
    ++rounds;

    const auto [first, last] = rank_block(round.size(), comm.rank(), comm.size());
    const std::span<work_item> mine(round.data() + first, last - first);
    decode(mine, opts.jobs);
    // Rank 0 decides on every item without its pixels: its own share goes the same way.
    const auto parts = comm.gather(encode_results(mine));
    if (root) {
      std::vector<work_item> decided(round.size());
      for (size_t i = 0; i < round.size(); ++i) {
        decided[i].path = round[i].path;
        decided[i].stamp = round[i].stamp;
        decided[i].record = round[i].record;
        decided[i].serial = round_serial + int64_t(i);
      }
      for (int r = 0; r < comm.size(); ++r) {
        const auto [f, l] = rank_block(round.size(), r, comm.size());
        const std::span<work_item> share(decided.data() + f, l - f);
        decode_results(parts[size_t(r)], share);
        for (auto& item : share) item.lane = r;
      }
      for (auto& item : decided) {
        r0->packer.take(item);
        r0->meter.update(sum.files + r0->source.fast_skipped());
      }
    }
    write_blocks(comm, r0, lanes, mine, round_serial + int64_t(first), false, round_no == 1);
    round_serial += int64_t(round.size());
  }
  // The end, on every rank: the deferred copies and every lane's last block (the test hook's
  // moment when there was one round only).
  if (root) r0->packer.close_all();
  write_blocks(comm, r0, lanes, {}, round_serial, true, rounds == 1);
  if (!root) return sum;
  r0->packer.commit_rest();
  r0->packer.report_duplicates();
  sum.files += r0->source.fast_skipped();
  sum.skipped += r0->source.fast_skipped();
  r0->meter.finish(sum.files);
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace specmill
