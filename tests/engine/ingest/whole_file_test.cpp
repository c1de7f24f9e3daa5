// whole_file: the one read of an input file that ingest takes its digest and its spectrum from.
#include "engine/ingest/whole_file.hpp"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "common/random_bytes.hpp"
#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "engine/ingest/file_digest.hpp"

namespace specmill {
namespace {

using test_support::random_bytes;

TEST(WholeFile, ReadsEveryByteOfFilesLargerAndSmallerThanTheLastOne) {
  test_support::temp_dir tmp;
  whole_file file;
  const size_t mib = size_t(1) << 20;
  // Growing, then shrinking: a buffer kept from a larger file must not leak its tail.
  for (size_t size : {size_t(0), size_t(7), size_t(2880 * 60), 3 * mib + 5, size_t(2880), size_t(0), mib + 1}) {
    const auto bytes = random_bytes(size, size);
    const auto p = tmp.path() / ("f" + std::to_string(size));
    test_support::write_file(p, bytes);
    ASSERT_TRUE(file.read(p, 64 * mib)) << size;
    ASSERT_EQ(file.bytes().size(), size);
    EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file.bytes().begin())) << size;
    EXPECT_EQ(bytes_digest(file.bytes()), file_digest(p)) << size;
    EXPECT_EQ(file.digest(), file_digest(p)) << size;  // taken while the bytes were copied
  }
}

TEST(WholeFile, AFileOverTheLimitIsNotHeld) {
  test_support::temp_dir tmp;
  const auto p = tmp.path() / "big";
  test_support::write_file(p, random_bytes(10001, 1));
  whole_file file;
  EXPECT_FALSE(file.read(p, 10000));
  EXPECT_TRUE(file.bytes().empty());
  EXPECT_TRUE(file.read(p, 10001));
  EXPECT_EQ(file.bytes().size(), 10001u);
}

TEST(WholeFile, ReleaseOverFreesOnlyALargeBuffer) {
  test_support::temp_dir tmp;
  const auto p = tmp.path() / "f";
  test_support::write_file(p, random_bytes(5000, 2));
  whole_file file;
  ASSERT_TRUE(file.read(p, 1 << 20));
  file.release_over(1 << 20);
  EXPECT_EQ(file.bytes().size(), 5000u);  // kept
  file.release_over(4096);
  EXPECT_TRUE(file.bytes().empty());
  ASSERT_TRUE(file.read(p, 1 << 20));  // and usable again
  EXPECT_EQ(bytes_digest(file.bytes()), file_digest(p));
}

// The errors ingest reported from file_digest before, word for word.
TEST(WholeFile, ErrorsAreFileDigests) {
  test_support::temp_dir tmp;
  whole_file file;
  const auto absent = tmp.path() / "absent";
  std::string digest_error;
  try {
    (void)file_digest(absent);
  } catch (const io_error& e) {
    digest_error = e.what();
  }
  ASSERT_FALSE(digest_error.empty());
  try {
    (void)file.read(absent, 1 << 20);
    ADD_FAILURE() << "no error for a missing file";
  } catch (const io_error& e) {
    EXPECT_EQ(std::string(e.what()), digest_error);
  }
  // A directory opens read-only: refused on the descriptor, in file_digest's words.
  try {
    (void)file.read(tmp.path(), 1 << 20);
    ADD_FAILURE() << "no error for a directory";
  } catch (const io_error& e) {
    EXPECT_NE(std::string(e.what()).find("is not a regular file: its content cannot be checked"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace specmill
