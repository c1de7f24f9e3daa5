#include "engine/ingest/whole_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "engine/ingest/file_digest.hpp"
#include "engine/ingest/mapped_copy.hpp"

namespace specmill {

bool whole_file::read(const std::filesystem::path& file, size_t max_bytes) {
  size_ = 0;
  // The words of file_digest, whose errors ingest reported before this reader took its place
  // (it stat'ed before it opened: a file gone since the caller's check is "not regular" there).
  const auto not_regular = [&] {
    return io_error("'" + file.string() + "' is not a regular file: its content cannot be checked");
  };
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec)) throw not_regular();
    throw io_error("cannot open " + file.string() + " to check its content");
  }
  struct closer {
    int fd;
    ~closer() { ::close(fd); }
  } guard{fd};
  const auto read_error = [&] { return io_error("read error in " + file.string() + " while checking its content"); };
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw read_error();
  if (!S_ISREG(st.st_mode)) throw not_regular();
  if (uint64_t(st.st_size) > max_bytes) return false;
  // One byte more than the file has: the read that returns 0 then ends it without a regrowth.
  const auto ensure = [&](size_t want) {
    if (capacity_ >= want) return;
    auto grown = std::make_unique_for_overwrite<unsigned char[]>(want);
    if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
    data_ = std::move(grown);
    capacity_ = want;
  };
  ensure(size_t(st.st_size) + 1);
  if (copy_mapped(fd, size_t(st.st_size))) return true;
  for (;;) {
    if (size_ == capacity_) {  // the file grew after fstat
      if (size_ > max_bytes) {
        size_ = 0;
        return false;
      }
      ensure(std::min(capacity_ * 2, max_bytes + 1));
    }
    const ssize_t n = ::read(fd, data_.get() + size_, capacity_ - size_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw read_error();
    if (n == 0) break;
    size_ += size_t(n);
  }
  digest_ = bytes_digest(bytes());
  return true;
}

bool whole_file::copy_mapped(int fd, size_t size) {
  if (size == 0) return false;  // nothing to map: read() sees whether it has grown since
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (map == MAP_FAILED) return false;  // a file system without mmap: read() it
  const std::optional<uint64_t> digest = copy_mapped_digest(static_cast<const unsigned char*>(map), size, data_.get());
  ::munmap(map, size);
  // Shrunk underneath (SIGBUS), or grown since fstat (a byte past the mapped end): the read()
  // route takes the file as it is now, up to its end.
  unsigned char past_end;
  if (!digest || ::pread(fd, &past_end, 1, off_t(size)) != 0) return false;
  size_ = size;
  digest_ = *digest;
  return true;
}

void whole_file::release_over(size_t keep_bytes) {
  if (capacity_ <= keep_bytes) return;
  data_.reset();
  capacity_ = 0;
  size_ = 0;
}

}  // namespace specmill
