// copy_mapped_digest: one pass over a mapped file, and a file that shrinks under its mapping
// (SIGBUS on the pages past its new end) reported instead of ending the process.
#include "engine/ingest/mapped_copy.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <csignal>
#include <vector>

#include "common/random_bytes.hpp"
#include "common/temp_dir.hpp"
#include "engine/ingest/file_digest.hpp"

namespace specmill {
namespace {

using test_support::random_bytes;

// A file of `bytes`, open read-only and mapped whole.
struct mapped_file {
  int fd = -1;
  void* map = MAP_FAILED;
  size_t size = 0;
  mapped_file(const std::filesystem::path& p, const std::vector<unsigned char>& bytes) : size(bytes.size()) {
    test_support::write_file(p, bytes);
    fd = ::open(p.c_str(), O_RDWR | O_CLOEXEC);
    map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  ~mapped_file() {
    if (map != MAP_FAILED) ::munmap(map, size);
    if (fd >= 0) ::close(fd);
  }
  const unsigned char* data() const { return static_cast<const unsigned char*>(map); }
};

TEST(MappedCopy, CopiesEveryByteAndDigestsThemAsBytesDigest) {
  test_support::temp_dir tmp;
  for (size_t size : {size_t(1), size_t(7), size_t(8), size_t(2880 * 71 + 3), size_t(1) << 20}) {
    const auto bytes = random_bytes(size, size);
    mapped_file f(tmp.path() / ("f" + std::to_string(size)), bytes);
    ASSERT_NE(f.map, MAP_FAILED);
    std::vector<unsigned char> to(size + 16, 0xAB);
    const auto digest = copy_mapped_digest(f.data(), size, to.data());
    ASSERT_TRUE(digest.has_value()) << size;
    EXPECT_EQ(*digest, bytes_digest(bytes)) << size;
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), to.begin())) << size;
    EXPECT_EQ(to[size], 0xAB) << "wrote past the end, size " << size;
  }
}

TEST(MappedCopy, AFileTruncatedUnderItsMappingIsReportedNotFatal) {
  test_support::temp_dir tmp;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const auto bytes = random_bytes(4 * page, 3);
  mapped_file f(tmp.path() / "shrinks", bytes);
  ASSERT_NE(f.map, MAP_FAILED);
  ASSERT_EQ(::ftruncate(f.fd, off_t(page)), 0);  // pages 2-4 of the mapping now raise SIGBUS
  std::vector<unsigned char> to(bytes.size());
  EXPECT_FALSE(copy_mapped_digest(f.data(), bytes.size(), to.data()).has_value());
  // The thread goes on: a later copy of what is still mapped succeeds, SIGBUS unblocked again.
  const auto first_page = copy_mapped_digest(f.data(), page, to.data());
  ASSERT_TRUE(first_page.has_value());
  EXPECT_EQ(*first_page, bytes_digest({bytes.data(), page}));
  EXPECT_FALSE(copy_mapped_digest(f.data(), bytes.size(), to.data()).has_value());
}

// The handler serves the copies only: any other SIGBUS still ends the process as before.
TEST(MappedCopyDeathTest, ASigbusOutsideACopyStillEndsTheProcess) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  test_support::temp_dir tmp;
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  const auto bytes = random_bytes(2 * page, 4);
  EXPECT_EXIT(
      {
        mapped_file f(tmp.path() / "outside", bytes);
        std::vector<unsigned char> to(bytes.size());
        (void)copy_mapped_digest(f.data(), page, to.data());  // installs the handler
        if (::ftruncate(f.fd, 0) != 0) std::_Exit(3);
        volatile unsigned char c = f.data()[page];  // outside any copy
        (void)c;
        std::_Exit(2);
      },
      // Killed by SIGBUS; under AddressSanitizer its own SIGBUS report ends the process with
      // exit code 1 instead. Exit 2 would be a read that went unnoticed.
      [](int status) {
        return ::testing::KilledBySignal(SIGBUS)(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 1);
      },
      "");
}

}  // namespace
}  // namespace specmill
