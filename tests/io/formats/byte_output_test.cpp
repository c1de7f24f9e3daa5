// byte_output, spool_file and staged_file: where every format's bytes go.
#include "io/formats/byte_output.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "common/format_readers.hpp"
#include "common/temp_dir.hpp"
#include "core/error.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;
using test_support::read_bytes;
using test_support::temp_dir;

std::vector<std::string> listing(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(ByteOutput, FileAppearsOnlyAtClose) {
  temp_dir dir;
  { std::ofstream(dir / "out") << "older"; }
  byte_output out(dir / "out");
  EXPECT_TRUE(out.seekable());
  out.write("hello ");
  std::string big(3u << 20, 'x');  // past the buffer: goes out at once
  out.write(big);
  EXPECT_EQ(out.position(), 6 + big.size());
  EXPECT_EQ(read_bytes(dir / "out"), "older");  // untouched until close
  EXPECT_EQ(listing(dir.path()).size(), 2u);     // the output and its fresh file
  out.close();
  EXPECT_EQ(read_bytes(dir / "out"), "hello " + big);
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"out"});
  EXPECT_THROW(out.write("late"), invalid_argument);
}

TEST(ByteOutput, AbandonedFileIsRemoved) {
  temp_dir dir;
  {
    byte_output out(dir / "out");
    out.write("partial");
  }
  EXPECT_TRUE(listing(dir.path()).empty());
}

TEST(ByteOutput, WriteAtFillsAnywhere) {
  temp_dir dir;
  byte_output out(dir / "out");
  out.write_at(4, "5678", 4);
  out.write_at(0, "1234", 4);
  EXPECT_EQ(out.position(), 8u);
  out.write("9");  // after the furthest byte
  out.close();
  EXPECT_EQ(read_bytes(dir / "out"), "123456789");
}

TEST(ByteOutput, StreamGetsTheBytesInOrderAndMayThrow) {
  std::string got;
  byte_output out(output_target("(s)", [&](const char* p, size_t n) { got.append(p, n); }));
  EXPECT_FALSE(out.seekable());
  EXPECT_EQ(out.name(), "(stream)");
  out.write("a");
  out.write(std::string(2u << 20, 'b'));
  out.write("c");
  out.close();
  EXPECT_EQ(got, "a" + std::string(2u << 20, 'b') + "c");
  EXPECT_THROW(out.write_at(0, "x", 1), invalid_argument);

  byte_output bad(output_target("(s)", [](const char*, size_t) { throw io_error("client went away"); }));
  bad.write("x");
  EXPECT_THROW(bad.close(), io_error);
}

TEST(ByteOutput, SpecialFilesAreWrittenInPlace) {
  byte_output out(fs::path("/dev/null"));
  EXPECT_FALSE(out.seekable());
  out.write("nothing");
  out.close();
  EXPECT_TRUE(fs::is_character_file("/dev/null"));
}

TEST(ByteOutput, MissingDirectoryIsIoErrorNamingThePath) {
  temp_dir dir;
  try {
    byte_output out(dir / "no" / "such" / "out.npz");
    FAIL() << "expected io_error";
  } catch (const io_error& e) {
    EXPECT_NE(std::string(e.what()).find("out.npz"), std::string::npos) << e.what();
  }
}

TEST(SpoolFile, ReplaysInOrder) {
  spool_file s;
  std::string want;
  for (int i = 0; i < 1000; ++i) {
    const std::string piece(size_t(i * 37 % 9000), char('a' + i % 26));
    s.append(piece.data(), piece.size());
    want += piece;
  }
  EXPECT_EQ(s.size(), want.size());
  std::string got;
  s.replay([&](const char* p, size_t n) { got.append(p, n); });
  EXPECT_EQ(got, want);
}

TEST(StagedFile, BesideAFileThenRenamed) {
  temp_dir dir;
  staged_file f(output_target(dir / "out.fits"));
  EXPECT_EQ(f.path().parent_path(), dir.path());
  { std::ofstream(f.path()) << "staged"; }
  f.commit();
  EXPECT_EQ(listing(dir.path()), std::vector<std::string>{"out.fits"});
  EXPECT_EQ(read_bytes(dir / "out.fits"), "staged");
}

TEST(StagedFile, CopiedIntoAStreamAndRemoved) {
  std::string got;
  fs::path staged;
  {
    staged_file f(output_target("(s)", [&](const char* p, size_t n) { got.append(p, n); }));
    staged = f.path();
    { std::ofstream(f.path()) << "bytes"; }
    f.commit();
  }
  EXPECT_EQ(got, "bytes");
  EXPECT_FALSE(fs::exists(staged));
}

TEST(StagedFile, UncommittedIsRemoved) {
  temp_dir dir;
  {
    staged_file f(output_target(dir / "out.h5"));
    std::ofstream(f.path()) << "half";
  }
  EXPECT_TRUE(listing(dir.path()).empty());
}

}  // namespace
}  // namespace specmill
