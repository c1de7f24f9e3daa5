#include "engine/ingest/ingest.hpp"

#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/parallel_pipeline.h>
#include <oneapi/tbb/task_arena.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "core/error.hpp"
#include "engine/ingest/ingest_desi.hpp"
#include "engine/ingest/ingest_steps.hpp"
#include "engine/ingest/input_files.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"

namespace specmill {

using ingest_steps::block_packer;
using ingest_steps::prepare_store;
using ingest_steps::read_item;
using ingest_steps::stamp_of;
using ingest_steps::work_item;

ingest_summary ingest(const ingest_options& opts) {
  SPECMILL_EXPECTS(!opts.inputs.empty() || opts.catalog, "nothing to ingest: give input files or --catalog");
  SPECMILL_EXPECTS(opts.block_spectra > 0, "block size must be positive");
  // DESI healpix coadds (recognised by content) take their own path: many spectra per file.
  if (is_desi_ingest(opts)) {
    ingest_options desi = opts;
    if (desi.context == default_context) desi.context = std::string(default_desi_context);
    return ingest_desi(desi);
  }
  SPECMILL_EXPECTS(!opts.with_cameras && !opts.with_resolution,
                   "--with-cameras and --with-resolution apply to DESI coadds only; these inputs are SDSS spec files "
                   "(which hold neither)");
  const auto t0 = std::chrono::steady_clock::now();
  ingest_summary sum;

  store st(opts.store, store::access::write);
  prepare_store(st, opts, sum);

  if (!opts.inputs.empty()) {
    const unsigned jobs = opts.jobs ? opts.jobs : std::max(1u, std::thread::hardware_concurrency());
    const size_t total = opts.progress ? input_files::count(opts.inputs) : 0;
    progress_meter meter("ingest", total, opts.progress);
    input_files files(opts.inputs);
    // Stage 1 asks "already ingested?" on its own read connection: SQLite connections are not
    // shared across threads, and stage 3 writes on the store's connection at the same time.
    catalog_db probe(opts.store / "catalog.sqlite", sqlite_db::mode::read_only);
    ingest_steps::file_records records(probe, opts.context);
    block_packer packer(st, opts, sum);
    // Stage 1 counts what it skips in its own counter: it runs concurrently with stage 3.
    std::atomic<size_t> fast_skipped{0};

    tbb::task_arena arena{static_cast<int>(jobs)};
    arena.execute([&] {
      tbb::parallel_pipeline(
          // Items in flight: enough that the readers go on while the serial end pauses (a block
          // closed, its catalog rows committed: tens of ms at every block). With jobs x 4, the
          // readers ran dry within a few ms of each pause. Bounded: an item holds one decoded
          // spectrum, ~150 KB.
          std::max<size_t>(size_t(jobs) * 4, 256),
          tbb::make_filter<void, work_item*>(
              tbb::filter_mode::serial_in_order,
              [&](tbb::flow_control& fc) -> work_item* {
                for (;;) {
                  auto path = files.next();
                  if (!path) {
                    fc.stop();
                    return nullptr;
                  }
                  auto stamp = stamp_of(*path);
                  auto record = records.find(stamp);
                  if (record && record->size == stamp.size && record->mtime == stamp.mtime) {
                    ++fast_skipped;
                    continue;
                  }
                  auto* item = new work_item;
                  item->path = std::move(*path);
                  item->stamp = std::move(stamp);
                  item->record = std::move(record);
                  return item;
                }
              }) &
              tbb::make_filter<work_item*, work_item*>(
                  tbb::filter_mode::parallel,
                  [](work_item* item) {
                    read_item(*item);
                    return item;
                  }) &
              tbb::make_filter<work_item*, void>(tbb::filter_mode::serial_in_order, [&](work_item* item) {
                std::unique_ptr<work_item> owned(item);
                packer.take(*owned);
                meter.update(sum.files + fast_skipped);
              }));
    });
    packer.finish();
    packer.report_duplicates();
    sum.files += fast_skipped;
    sum.skipped += fast_skipped;
    meter.finish(sum.files);
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace specmill
