#include "engine/ingest/ingest_steps.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "engine/ingest/file_digest.hpp"
#include "engine/ingest/whole_file.hpp"
#include "io/fits/sdss_catalog_reader.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace fs = std::filesystem;

namespace specmill::ingest_steps {

// Stage 2's work on one file: its digest, then (unless only touched) its spectrum, from one
// read of its bytes.
void read_item(work_item& item) {
  // Kept per thread and reused (never zero-filled): a spec file is read into it whole.
  thread_local whole_file file;
  struct shrink {
    ~shrink() { file.release_over(size_t(16) << 20); }  // a rare full spec file of many MB
  } shrink_after;
  try {
    // Not a regular file (a FIFO would block the read's open): the reader says what it is.
    std::error_code ec;
    if (!fs::is_regular_file(item.path, ec)) {
      item.spectrum = read_sdss_spectrum(item.path);
      return;
    }
    // Larger than any spec file can be: digested in pieces, never held whole, and read by the
    // path route, which bounds what it reads (sdss_spec_reader.hpp).
    const bool in_memory = file.read(item.path, max_spec_file_bytes);
    item.digest = in_memory ? file.digest() : file_digest(item.path);
    if (item.record && item.record->digest == item.digest) {
      item.touched = true;
      return;
    }
    item.spectrum = in_memory ? read_sdss_spectrum(item.path, file.bytes()) : read_sdss_spectrum(item.path);
  } catch (const std::bad_alloc&) {
    // The reader bounds every allocation by the file's size; this is the last resort, so that
    // one file cannot end the run for all the others.
    item.error = "out of memory reading this file (std::bad_alloc): skipped";
  } catch (const std::exception& e) {
    item.error = e.what();
  }
}

file_stamp stamp_of(const fs::path& p) {
  file_stamp s;
  s.path = fs::absolute(p).lexically_normal().string();
  std::error_code ec;
  s.size = int64_t(fs::file_size(p, ec));
  if (ec) s.size = -1;
  s.mtime = int64_t(fs::last_write_time(p, ec).time_since_epoch().count());
  return s;
}

file_records::file_records(catalog_db& probe, std::string context)
    : probe_(probe), context_(std::move(context)), any_(probe_.has_files(context_)) {}

std::optional<ingested_file> file_records::find(const file_stamp& stamp) {
  if (!any_ || stamp.size < 0) return std::nullopt;
  return probe_.file_record(context_, stamp.path);
}

namespace {

size_t load_catalog(catalog_db& cat, const std::string& context, const fs::path& file) {
  constexpr size_t chunk = 20000;  // rows per read and per transaction: bounded memory
  sdss_catalog_reader reader(file);
  size_t done = 0;
  while (done < reader.rows()) {
    const auto rows = reader.read(done, std::min(chunk, reader.rows() - done));
    auto tx = cat.transaction();
    for (const auto& m : rows) cat.put_catalog_row(context, m);
    tx.commit();
    done += rows.size();
  }
  spdlog::info("catalog {}: {} rows loaded into context {}", file.string(), done, context);
  return done;
}

}  // namespace

void prepare_store(store& st, const ingest_options& opts, ingest_summary& sum) {
  sum.orphans_removed = st.remove_orphans();
  // The input files are SDSS coadds (sdss_spec_reader): their pixels are on the SDSS lattice.
  SPECMILL_EXPECTS(opts.inputs.empty() || same_grid(st.grid(), ingest_grid),
                   "store " + opts.store.string() + " holds spectra on the native grid " + to_string(st.grid()) +
                       "; SDSS files (" + to_string(ingest_grid) + ") cannot be added to it");
  st.sqlite_catalog().ensure_context(opts.context, opts.context_description);
  if (opts.catalog) sum.catalog_rows = load_catalog(st.sqlite_catalog(), opts.context, *opts.catalog);
}

namespace {

// The one-process ingest's write step: one lane, its block packed here and written on a writer
// thread while the next is packed (the HDF5 write and its fsync take about as long as reading
// the block's files). At most one block is in flight.
class local_block_sink final : public block_sink {
 public:
  local_block_sink(store& st, const ingest_options& opts) : store_(st), opts_(opts) {}
  ~local_block_sink() override {
    if (writing_.valid()) writing_.wait();  // an exception unwinding the packer: let the writer end
  }

  void add(work_item& item) override { builder_.add(std::move(*item.spectrum)); }  // checks before it takes

  std::vector<written_block> close(int, int64_t block_id) override {
    std::vector<written_block> done = drain();
    const fs::path path = store_.block_path(block_id);
    auto builder = std::make_shared<block_builder>(std::move(builder_));
    builder_ = block_builder(ingest_grid);
    const block_layout layout = opts_.layout;
    writing_ = std::async(std::launch::async, [builder, path, block_id, layout] {
      builder->write(path, block_id, layout);
      return written_block_of(path, block_id);
    });
    return done;
  }

  std::vector<written_block> drain() override {
    std::vector<written_block> done;
    if (writing_.valid()) done.push_back(writing_.get());  // rethrows the writer's error
    return done;
  }

 private:
  store& store_;
  const ingest_options& opts_;
  block_builder builder_{ingest_grid};
  std::future<written_block> writing_;
};

}  // namespace

written_block written_block_of(const fs::path& path, int64_t block_id) {
  const block_reader written(path);  // cheap: attributes and the meta table
  return written_block{block_record{block_id, store::block_relative_path(block_id), int64_t(written.n_spectra()),
                                    written.lattice_start(), int64_t(written.n_pixels()), int64_t(fs::file_size(path))},
                       written.rows()};
}

// The serial, in-order end of the pipeline: deduplicates, chooses blocks, commits.
class block_packer::impl {
 public:
  impl(store& st, const ingest_options& opts, ingest_summary& sum, block_sink* sink)
      : cat_(st.sqlite_catalog()), opts_(opts), sum_(sum), next_block_(cat_.max_block_id() + 1),
        pixels_before_(next_block_ > 1),
        own_sink_(sink ? nullptr : std::make_unique<local_block_sink>(st, opts)),
        sink_(sink ? *sink : *own_sink_) {}

  void take(work_item& item) {
    ++sum_.files;
    if (item.touched) {  // same bytes under a new mtime: the record learns the new stamp
      ++sum_.skipped;
      ++sum_.touched;
      marks_.push_back({item.stamp, item.record->specobjid, item.digest});
      return;
    }
    if (!item.spectrum) {  // a failed read claims no SPECOBJID: a good copy later still wins
      fail(item.path.string(), item.error);
      return;
    }
    const uint64_t id = item.spectrum->meta.specobjid;
    const bool stored = !seen_.count(id) && pixels_before_ && cat_.has_pixels(opts_.context, id);
    // A file ingested before whose bytes changed, still holding the same spectrum: re-processed
    // upstream. Its new pixels replace the stored ones (in the block commit, crash-safe).
    const bool changed = item.record && item.record->specobjid == id && stored;
    if (seen_.count(id) || (stored && !changed)) {
      skip_duplicate(item.path.string(), item.stamp, id, item.digest);
      return;
    }
    if (const auto d = deferred_.find(id); d != deferred_.end()) {
      work_item& waiting = d->second;
      // Two repaired copies: the one with fewer zeroed pixels, the first on a tie.
      if (repairs(item) >= repairs(waiting)) {
        skip_duplicate(item.path.string(), item.stamp, id, item.digest);
        return;
      }
      skip_duplicate(waiting.path.string(), waiting.stamp, id, waiting.digest);
      deferred_.erase(d);
    }
    if (repairs(item) > 0) {
      // A copy whose NaN/Inf pixels were zeroed waits for the end of the run, in case a clean
      // copy of the same spectrum comes later in the input.
      deferred_order_.push_back(id);
      deferred_.emplace(id, std::move(item));
      return;
    }
    accept(item);
  }

  // Closes the lane's open block: numbered now, its rows kept until the sink reports it written.
  // Catalog work stays on this thread: one SQLite connection.
  void flush(int lane) {
    auto open = open_rows_.find(lane);
    if (open == open_rows_.end() || open->second.empty()) return;
    const int64_t block_id = next_block_++;
    closed_rows_.emplace(block_id, std::move(open->second));
    open_rows_.erase(open);
    commit(sink_.close(lane, block_id));
  }

  // The end: repaired copies no clean copy replaced, then every lane's partial block.
  void close_all() {
    for (uint64_t id : deferred_order_) {  // an ID can be listed twice (a copy replaced)
      if (const auto d = deferred_.find(id); d != deferred_.end()) {
        accept(d->second);
        deferred_.erase(d);
      }
    }
    deferred_.clear();
    deferred_order_.clear();
    std::vector<int> lanes;
    for (const auto& [lane, rows] : open_rows_) lanes.push_back(lane);
    for (int lane : lanes) flush(lane);
  }

  void finish() {
    close_all();
    commit(sink_.drain());
    commit_rest();
  }

  // Whatever is still pending once every block is committed: links and file marks.
  void commit_rest() {
    SPECMILL_DATA_CHECK(closed_rows_.empty(), "ingest: a closed block was never reported written");
    if (linked_.empty() && marks_.empty()) return;
    auto tx = cat_.transaction();
    commit_pending();
    tx.commit();
  }

  // Each block's rows (and the pending links and file marks) in one transaction, once the block
  // is durable. Before this commit the block is an orphan a re-run removes.
  void commit(const std::vector<written_block>& blocks) {
    for (const auto& w : blocks) commit_block(w);
  }

  // After finish(): every copy is on record in ingested_files, the kept one and the skipped.
  void report_duplicates() {
    if (duplicates_.empty()) return;
    std::vector<uint64_t> ids;
    // Matched on the normalised absolute path, the form ingested_files records.
    std::unordered_map<uint64_t, std::unordered_set<std::string>> skipped;
    for (size_t i = 0; i < duplicates_.size(); ++i) {
      ids.push_back(duplicates_[i].specobjid);
      skipped[duplicates_[i].specobjid].insert(duplicate_keys_[i]);
    }
    std::unordered_map<uint64_t, std::string> kept;
    for (auto& [id, path] : cat_.files_of(opts_.context, ids)) {
      if (!skipped[id].count(path) && !kept.count(id)) kept[id] = std::move(path);
    }
    for (auto& d : duplicates_) {
      if (const auto k = kept.find(d.specobjid); k != kept.end()) d.kept = k->second;
      spdlog::warn("duplicate SPECOBJID {}: kept {}, skipped {}", d.specobjid,
                   d.kept.empty() ? "(the copy already stored)" : d.kept, d.file);
    }
    sum_.duplicates = std::move(duplicates_);
  }

  void fail(const std::string& file, const std::string& reason) {
    ++sum_.failed;
    spdlog::warn("skipped {}: {}", file, reason);
    if (sum_.failures.size() < opts_.max_reported_failures) sum_.failures.push_back({file, reason});
  }

 private:
  struct pending_row {
    spec_meta meta;
    file_stamp stamp;
    uint64_t digest = 0;
    bool replaces = false;  // the context's row for this ID moves to the new pixels
  };
  struct linked_row {
    spec_meta meta;
    spectrum_location loc;
  };
  struct file_mark {
    file_stamp stamp;
    uint64_t specobjid;
    uint64_t digest;
  };

  static int32_t repairs(const work_item& w) { return w.spectrum->data.nonfinite_pixels; }

  void accept(work_item& item) {
    sdss_spectrum& s = *item.spectrum;
    const uint64_t id = s.meta.specobjid;
    seen_.insert(id);
    const bool replaces =
        item.record && item.record->specobjid == id && pixels_before_ && cat_.has_pixels(opts_.context, id);
    // Stored for another context: linked, not stored again.
    if (auto loc = replaces || !pixels_before_ ? std::nullopt : cat_.find_pixels(id)) {
      linked_.push_back({s.meta, *loc});
      marks_.push_back({item.stamp, id, item.digest});
      ++sum_.linked;
      return;
    }
    spec_meta meta = s.meta;
    try {
      sink_.add(item);         // checks before it takes anything
    } catch (const error& e) {  // a spectrum the block cannot hold is this file's failure
      seen_.erase(id);
      fail(item.path.string(), e.what());
      return;
    }
    auto& rows = open_rows_[item.lane];
    rows.push_back({std::move(meta), item.stamp, item.digest, replaces});
    if (rows.size() >= opts_.block_spectra) flush(item.lane);
  }

  // The file is marked ingested (a re-run need not read it again) under the ID it duplicates.
  void skip_duplicate(const std::string& file, const file_stamp& stamp, uint64_t id, uint64_t digest) {
    ++sum_.skipped;
    spdlog::debug("{}: SPECOBJID {} already taken from another file for context {}", file, id, opts_.context);
    marks_.push_back({stamp, id, digest});
    if (duplicates_.size() < opts_.max_reported_failures) {
      duplicates_.push_back({file, {}, id});
      duplicate_keys_.push_back(stamp.path);
    }
  }

  void commit_block(const written_block& w) {
    const auto closed = closed_rows_.find(w.record.block_id);
    SPECMILL_DATA_CHECK(closed != closed_rows_.end(), "ingest: block " + std::to_string(w.record.block_id) +
                                                          " reported written was not closed, or twice");
    const std::vector<pending_row> rows = std::move(closed->second);
    closed_rows_.erase(closed);
    SPECMILL_DATA_CHECK(w.rows.size() == rows.size(), "block row count mismatch after write");
    auto tx = cat_.transaction();
    cat_.insert_block(w.record);
    for (size_t r = 0; r < rows.size(); ++r) {
      const auto& row = rows[r];
      SPECMILL_DATA_CHECK(w.rows[r].specobjid == row.meta.specobjid, "block row order mismatch");
      const spectrum_location loc{w.record.block_id, int32_t(r), w.rows[r].lattice_start, w.rows[r].npix};
      if (row.replaces) {
        cat_.replace_spectrum(opts_.context, row.meta, loc);
        spdlog::info("{}: changed since it was stored; SPECOBJID {} replaced", row.stamp.path, row.meta.specobjid);
      } else {
        cat_.put_spectrum(opts_.context, row.meta, loc);
      }
      cat_.mark_file(opts_.context, row.stamp.path, row.stamp.size, row.stamp.mtime, row.meta.specobjid, row.digest);
      if (row.replaces) ++sum_.replaced;
      else ++sum_.ingested;
    }
    commit_pending();
    tx.commit();
    ++sum_.blocks;
    spdlog::debug("block {}: {} spectra, {} pixels wide", w.record.block_id, w.rows.size(), w.record.n_pixels);
  }

  void commit_pending() {
    for (const auto& l : linked_) cat_.put_spectrum(opts_.context, l.meta, l.loc);
    for (const auto& m : marks_)
      cat_.mark_file(opts_.context, m.stamp.path, m.stamp.size, m.stamp.mtime, m.specobjid, m.digest);
    linked_.clear();
    marks_.clear();
  }

  catalog_db& cat_;
  const ingest_options& opts_;
  ingest_summary& sum_;
  int64_t next_block_;
  // Whether the store held any block when the run started. If not, the catalog has no pixels
  // but this run's, whose IDs seen_ holds, and the per-spectrum probes (has_pixels,
  // find_pixels: ~3% of a first ingest's CPU) cannot find anything: they are not asked.
  // The store's writer lock keeps other writers out meanwhile.
  bool pixels_before_;
  std::unique_ptr<block_sink> own_sink_;  // the one-process ingest's (first constructor)
  block_sink& sink_;
  std::map<int, std::vector<pending_row>> open_rows_;          // each lane's open block's rows
  std::map<int64_t, std::vector<pending_row>> closed_rows_;    // closed blocks not yet committed
  std::vector<linked_row> linked_;
  std::vector<file_mark> marks_;
  std::unordered_set<uint64_t> seen_;      // IDs accepted in this run
  std::unordered_map<uint64_t, work_item> deferred_;  // repaired copies, waiting for a clean one
  std::vector<uint64_t> deferred_order_;   // their input order, for a deterministic end
  std::vector<ingest_duplicate> duplicates_;
  std::vector<std::string> duplicate_keys_;  // their files as ingested_files records them
};


block_packer::block_packer(store& st, const ingest_options& opts, ingest_summary& sum)
    : impl_(std::make_unique<impl>(st, opts, sum, nullptr)) {}
block_packer::block_packer(store& st, const ingest_options& opts, ingest_summary& sum, block_sink& sink)
    : impl_(std::make_unique<impl>(st, opts, sum, &sink)) {}
block_packer::~block_packer() = default;
void block_packer::take(work_item& item) { impl_->take(item); }
void block_packer::finish() { impl_->finish(); }
void block_packer::close_all() { impl_->close_all(); }
void block_packer::commit(const std::vector<written_block>& blocks) { impl_->commit(blocks); }
void block_packer::commit_rest() { impl_->commit_rest(); }
void block_packer::report_duplicates() { impl_->report_duplicates(); }

}  // namespace specmill::ingest_steps
