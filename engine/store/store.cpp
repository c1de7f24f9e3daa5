#include "engine/store/store.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>

#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "engine/store/catalog_setting.hpp"
#include "io/catalog/pg_catalog.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {
constexpr size_t block_cache_capacity = 16;
}

store::store(const fs::path& root, access a) : root_(root) {
  if (a == access::read) {
    if (!fs::is_directory(root)) throw not_found("no store at " + root.string());
    if (const auto url = catalog_url(root)) {
      remote_ = std::make_unique<pg_catalog>(*url);
      return;
    }
    catalog_ = std::make_unique<catalog_db>(root / "catalog.sqlite", sqlite_db::mode::read_only);
    return;
  }
  std::error_code ec;
  fs::create_directories(root / "blocks", ec);
  if (ec) throw io_error("cannot create store " + root.string() + ": " + ec.message());
  lock_fd_ = ::open((root / ".lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw io_error("cannot open " + (root / ".lock").string() + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw io_error("store " + root.string() + " is locked by another writer (an ingest in progress?)");
  }
  catalog_ = std::make_unique<catalog_db>(root / "catalog.sqlite", sqlite_db::mode::read_write);
}

store::~store() {
  cache_.clear();
  remote_.reset();
  catalog_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

catalog_reader& store::catalog() {
  if (remote_) return *remote_;
  return *catalog_;
}

catalog_db& store::sqlite_catalog() {
  if (!catalog_) catalog_ = std::make_unique<catalog_db>(root_ / "catalog.sqlite", sqlite_db::mode::read_only);
  return *catalog_;
}

std::string store::block_relative_path(int64_t block_id) { return specmill::block_relative_path(block_id); }

fs::path store::block_path(int64_t block_id) const { return root_ / block_relative_path(block_id); }

size_t store::remove_orphans() {
  SPECMILL_EXPECTS(lock_fd_ >= 0, "remove_orphans needs the writer lock");
  std::set<std::string> known;
  for (const auto& b : catalog_->blocks()) known.insert(fs::path(b.path).filename().string());
  size_t removed = 0;
  // A catalog being created when its process was killed (catalog_db builds it aside): never
  // read, and no other writer can be creating one while we hold the lock.
  for (const auto& entry : fs::directory_iterator(root_)) {
    if (entry.path().filename().string().rfind("catalog.sqlite.new-", 0) != 0) continue;
    spdlog::warn("removing unfinished catalog left by an interrupted ingest: {}", entry.path().string());
    fs::remove(entry.path());
    ++removed;
  }
  for (const auto& entry : fs::directory_iterator(root_ / "blocks")) {
    const std::string name = entry.path().filename().string();
    const bool tmp = entry.path().extension() == ".tmp";
    const bool orphan = entry.path().extension() == ".h5" && !known.count(name);
    if (!tmp && !orphan) continue;
    spdlog::warn("removing {} left by an interrupted ingest: {}", tmp ? "temporary file" : "uncommitted block",
                 entry.path().string());
    fs::remove(entry.path());
    ++removed;
  }
  return removed;
}

const native_grid& store::grid() {
  if (!grid_) {
    const auto blocks = catalog().blocks();
    grid_ = blocks.empty() ? sdss_native_grid : shared_block(blocks.front().block_id)->grid();
  }
  return *grid_;
}

std::shared_ptr<const block_reader> store::shared_block(int64_t block_id) {
  std::lock_guard lock(cache_mutex_);
  for (auto it = cache_.begin(); it != cache_.end(); ++it) {
    if (it->first == block_id) {
      cache_.splice(cache_.begin(), cache_, it);
      return cache_.front().second;
    }
  }
  cache_.emplace_front(block_id, std::make_shared<const block_reader>(block_path(block_id)));
  if (cache_.size() > block_cache_capacity) cache_.pop_back();
  return cache_.front().second;
}

}  // namespace specmill
