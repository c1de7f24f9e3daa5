#include "io/formats/byte_output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <utility>

#include "core/error.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

constexpr size_t buffer_bytes = size_t(1) << 20;
constexpr size_t copy_bytes = size_t(4) << 20;

[[noreturn]] void fail_errno(const std::string& what, int err) { throw io_error(what + ": " + std::strerror(err)); }

// A name no file has, created empty (O_EXCL, mode 0666 less the umask, as fopen would):
// `<base>.part-<pid>-<n>`.
std::pair<fs::path, int> fresh_file(const std::string& base, const std::string& what) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0;; ++attempt) {
    fs::path p = base + ".part-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    const int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return {std::move(p), fd};
    if (errno != EEXIST || attempt > 100) fail_errno("cannot write " + what, errno);
  }
}

// True for a path that names something other than a regular file (a device, a FIFO).
bool special_file(const fs::path& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0 && !S_ISREG(st.st_mode);
}

void write_fd(int fd, const char* p, size_t n, const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail_errno("cannot write " + name, errno);
    p += w, n -= size_t(w);
  }
}

void pwrite_fd(int fd, const char* p, size_t n, uint64_t offset, const std::string& name) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, off_t(offset));
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) fail_errno("cannot write " + name, errno);
    p += w, n -= size_t(w), offset += uint64_t(w);
  }
}

void remove_quietly(const fs::path& p) {
  std::error_code ec;
  if (!p.empty()) fs::remove(p, ec);
}

}  // namespace

std::string output_target::name() const {
  if (stream) return "(stream)";
  if (path == "-") return "(standard output)";
  return path.string();
}

// ------------------------------------------------------------------ byte_output
byte_output::byte_output(output_target target) : target_(std::move(target)), name_(target_.name()) {
  if (target_.is_stream()) {
    // nothing to open
  } else if (target_.is_stdout()) {
    std::fflush(stdout);  // what stdio holds goes first
    fd_ = STDOUT_FILENO;
  } else {
    SPECMILL_EXPECTS(!target_.path.empty(), "no output path");
    if (special_file(target_.path)) {
      fd_ = ::open(target_.path.c_str(), O_WRONLY | O_CLOEXEC);
      if (fd_ < 0) fail_errno("cannot write " + name_, errno);
    } else {
      std::tie(temp_, fd_) = fresh_file(target_.path.string(), name_);
      regular_ = true;
    }
    own_ = true;
  }
  buf_.resize(buffer_bytes);
}

byte_output::~byte_output() { discard(); }

void byte_output::discard() noexcept {
  if (closed_) return;
  if (own_ && fd_ >= 0) ::close(fd_);
  fd_ = -1;
  remove_quietly(temp_);
  regular_ = false;
  closed_ = true;
}

void byte_output::fail(const char* what) const { fail_errno(std::string(what) + " " + name_, errno); }

void byte_output::write(const void* data, size_t n) {
  SPECMILL_EXPECTS(!closed_, "write to " + name_ + " after close");
  if (n == 0) return;  // an empty array's data() may be null, and memcpy(.., nullptr, 0) is UB
  const char* p = static_cast<const char*>(data);
  if (used_ + n > buf_.size()) flush();
  if (n >= buf_.size()) {
    emit(p, n);
    return;
  }
  std::memcpy(buf_.data() + used_, p, n);
  used_ += n;
}

void byte_output::write_at(uint64_t offset, const void* data, size_t n) {
  SPECMILL_EXPECTS(!closed_ && seekable(), "write_at on " + name_ + ": not a file being written");
  if (n == 0) return;
  flush();
  pwrite_fd(fd_, static_cast<const char*>(data), n, offset, name_);
  flushed_ = std::max(flushed_, offset + n);
}

void byte_output::flush() {
  if (used_ == 0) return;
  const size_t n = std::exchange(used_, 0);
  emit(buf_.data(), n);
}

void byte_output::emit(const char* p, size_t n) {
  if (target_.is_stream()) {
    target_.stream(p, n);
  } else if (seekable()) {
    pwrite_fd(fd_, p, n, flushed_, name_);  // pwrite: write_at may have moved past the fd's offset
  } else {
    write_fd(fd_, p, n, name_);
  }
  flushed_ += n;
}

void byte_output::close() {
  SPECMILL_EXPECTS(!closed_, "closing " + name_ + " twice");
  flush();
  if (own_) {
    const int fd = std::exchange(fd_, -1);
    if (::close(fd) != 0) fail("cannot write");
    if (!temp_.empty()) {
      std::error_code ec;
      fs::rename(temp_, target_.path, ec);
      if (ec) throw io_error("cannot write " + name_ + ": " + ec.message());
      temp_.clear();
    }
  }
  regular_ = false;
  closed_ = true;
}

// ------------------------------------------------------------------ spool_file
spool_file::spool_file(const fs::path& dir) {
  const fs::path where = dir.empty() ? fs::temp_directory_path() : dir;
  fd_ = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {  // a filesystem without O_TMPFILE
    FILE* f = std::tmpfile();
    if (!f) fail_errno("cannot create a temporary file", errno);
    fd_ = ::dup(fileno(f));
    std::fclose(f);
    if (fd_ < 0) fail_errno("cannot create a temporary file", errno);
  }
}

spool_file::~spool_file() {
  if (fd_ >= 0) ::close(fd_);
}

void spool_file::append(const void* data, size_t n) {
  if (n == 0) return;
  pwrite_fd(fd_, static_cast<const char*>(data), n, size_, "a temporary file");
  size_ += n;
}

void spool_file::replay(const byte_stream& take) const {
  std::vector<char> buf(size_t(std::min<uint64_t>(copy_bytes, std::max<uint64_t>(size_, 1))));
  for (uint64_t at = 0; at < size_;) {
    const ssize_t r = ::pread(fd_, buf.data(), size_t(std::min<uint64_t>(buf.size(), size_ - at)), off_t(at));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) fail_errno("cannot read a temporary file", r < 0 ? errno : EIO);
    take(buf.data(), size_t(r));
    at += uint64_t(r);
  }
}

// ------------------------------------------------------------------ staged_file
staged_file::staged_file(output_target target) : target_(std::move(target)) {
  beside_ = !target_.is_stream() && !target_.is_stdout() && !special_file(target_.path);
  SPECMILL_EXPECTS(target_.is_stream() || !target_.path.empty(), "no output path");
  const std::string base =
      beside_ ? target_.path.string() : (fs::temp_directory_path() / "specmill-output").string();
  int fd;
  std::tie(path_, fd) = fresh_file(base, target_.name());
  ::close(fd);
}

staged_file::~staged_file() {
  if (!done_) remove_quietly(path_);
}

void staged_file::commit() {
  SPECMILL_EXPECTS(!done_, "staged output " + target_.name() + " committed twice");
  if (beside_) {
    std::error_code ec;
    fs::rename(path_, target_.path, ec);
    if (ec) throw io_error("cannot write " + target_.name() + ": " + ec.message());
    done_ = true;
    return;
  }
  const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail_errno("cannot read " + path_.string(), errno);
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  byte_output out(target_);
  std::vector<char> buf(copy_bytes);
  for (;;) {
    const ssize_t r = ::read(fd, buf.data(), buf.size());
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) fail_errno("cannot read " + path_.string(), errno);
    if (r == 0) break;
    out.write(buf.data(), size_t(r));
  }
  out.close();
  remove_quietly(path_);
  done_ = true;
}

}  // namespace specmill
