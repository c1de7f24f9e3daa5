// Spec files built to hurt the reader: header counts that would size huge buffers, a FIFO that
// would block open() forever, compressed files that expand to gigabytes. Each must be refused
// with a per-file error naming it, quickly and without allocating what the header claims.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <future>
#include <string>
#include <vector>

#include "common/spec_patch.hpp"
#include "core/error.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/compressed_file.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace specmill {
namespace {

using test::expect_read_throws;
using test::temp_dir;
namespace fs = std::filesystem;

using test_support::slurp;

fs::path patched_copy(const temp_dir& dir, const std::string& stem, int hdu,
                      const std::vector<std::pair<std::string, std::string>>& cards, const std::string& name) {
  const fs::path out = dir / name;
  test_support::patch_header_cards(test::real_spectrum(stem), out, hdu, cards);
  return out;
}

long peak_rss_kib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

TEST(hostile_spec, huge_table_counts_are_data_errors_and_allocate_nothing) {
  temp_dir dir;
  struct patch {
    const char* stem;
    int hdu;
    std::vector<std::pair<std::string, std::string>> cards;
  };
  const patch patches[] = {
      {"3655-55240-0002", 1, {{"NAXIS2", "1000000000000"}}},     // 32 TB of COADD rows
      {"3655-55240-0002", 1, {{"NAXIS2", "100000000"}}},         // 3.2 GB: must not cost it
      {"0266-51602-0013", 1, {{"NAXIS2", "9000000000000000000"}}},  // rows x 32 overflows int64
      {"3655-55240-0002", 1, {{"PCOUNT", "1000000000000"}}},     // a 1 TB heap
      // A huge repeat count with a matching NAXIS1, which CFITSIO accepts as consistent.
      {"3655-55240-0002", 1, {{"TFORM1", "'1000000000E'"}, {"NAXIS1", "4000000028"}}},
      {"9367-57758-0538", 2, {{"NAXIS2", "1000000000000"}}},     // the one-row metadata table
  };
  const long before = peak_rss_kib();
  int n = 0;
  for (const auto& p : patches) {
    const auto path = patched_copy(dir, p.stem, p.hdu, p.cards, "spec-huge-" + std::to_string(n++) + ".fits");
    SCOPED_TRACE(path.string());
    const auto t0 = std::chrono::steady_clock::now();
    expect_read_throws<data_error>(path, "more than any spec file holds");
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  }
  // The old reader sized eight vectors from NAXIS2 first: 3.2 GB touched for NAXIS2 = 1e8.
  EXPECT_LT(peak_rss_kib() - before, 64 * 1024) << "peak RSS grew by " << (peak_rss_kib() - before) << " KiB";
}

TEST(hostile_spec, rows_running_past_the_end_are_truncation) {
  // A count that a spec file could have but this one does not hold: CFITSIO's END_OF_FILE.
  temp_dir dir;
  const auto path = patched_copy(dir, "3655-55240-0002", 1, {{"NAXIS2", "40000"}}, "spec-long.fits");
  const std::string what = expect_read_throws<fits_error>(path, "past the end");
  EXPECT_NE(what.find("40000 rows"), std::string::npos) << what;
}

TEST(hostile_spec, fifo_is_refused_without_blocking) {
  temp_dir dir;
  const auto fifo = dir / "spec-fifo.fits";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0) << std::strerror(errno);
  auto result = std::async(std::launch::async, [&] {
    try {
      (void)read_sdss_spectrum(fifo);
      return std::string("no exception");
    } catch (const io_error& e) {
      return std::string(e.what());
    } catch (const std::exception& e) {
      return std::string("wrong type: ") + e.what();
    }
  });
  if (result.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    // Blocked in open(): a writer that comes and goes releases it with EOF, so the test ends.
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) ::close(fd);
    FAIL() << "reading a FIFO blocked: " << result.get();
  }
  const std::string what = result.get();
  EXPECT_NE(what.find(fifo.string()), std::string::npos) << what;
  EXPECT_NE(what.find("FIFO"), std::string::npos) << what;
  EXPECT_NE(what.find("only regular files"), std::string::npos) << what;
}

TEST(hostile_spec, devices_and_directories_are_refused) {
  expect_read_throws<io_error>("/dev/zero", "character device");
  temp_dir dir;
  fs::create_directories(dir / "spec-dir.fits");
  expect_read_throws<io_error>(dir / "spec-dir.fits", "a directory");
}

// Writes `bytes` zero bytes of payload after `prefix`, gzip-compressed at level 1.
void write_gzip(const fs::path& path, const std::string& prefix, size_t zeros) {
  gzFile gz = gzopen(path.c_str(), "wb1");
  ASSERT_NE(gz, nullptr);
  if (!prefix.empty()) {
    ASSERT_EQ(gzwrite(gz, prefix.data(), unsigned(prefix.size())), int(prefix.size()));
  }
  std::vector<char> block(1 << 20, 0);
  for (size_t left = zeros; left > 0;) {
    const size_t n = std::min(left, block.size());
    ASSERT_EQ(gzwrite(gz, block.data(), unsigned(n)), int(n));
    left -= n;
  }
  ASSERT_EQ(gzclose(gz), Z_OK);
}

void forge_isize(const fs::path& path, uint32_t isize) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-4, std::ios::end);
  const unsigned char b[4] = {uint8_t(isize), uint8_t(isize >> 8), uint8_t(isize >> 16), uint8_t(isize >> 24)};
  f.write(reinterpret_cast<const char*>(b), 4);
}

TEST(hostile_spec, gzip_spec_file_reads_like_the_original) {
  temp_dir dir;
  const auto real = test::real_spectrum("6717-56397-0534");
  const auto gz = dir / "spec-6717-56397-0534.fits.gz";
  write_gzip(gz, slurp(real), 0);
  const sdss_spectrum a = read_sdss_spectrum(real), b = read_sdss_spectrum(gz);
  test::expect_same_meta(a.meta, b.meta);
  ASSERT_EQ(a.data.npix(), b.data.npix());
  EXPECT_EQ(std::memcmp(a.data.flux.data(), b.data.flux.data(), a.data.npix() * 4), 0);
  EXPECT_EQ(std::memcmp(a.data.or_mask.data(), b.data.or_mask.data(), a.data.npix() * 4), 0);
}

TEST(hostile_spec, gzip_bombs_are_refused_within_the_limit) {
  temp_dir dir;
  const std::string head = slurp(test::real_spectrum("3655-55240-0002"));
  const size_t zeros = max_spec_file_bytes + (size_t(16) << 20);  // 80 MiB: past the limit
  // Honest trailer: refused before anything is decompressed.
  const auto honest = dir / "spec-bomb-honest.fits.gz";
  write_gzip(honest, head, zeros);
  EXPECT_LT(fs::file_size(honest), size_t(1) << 20);  // a small file on disk
  expect_read_throws<data_error>(honest, "gzip trailer says");
  // Lying trailer (ISIZE of a normal file): the streaming cap stops it.
  const auto liar = dir / "spec-bomb-liar.fits.gz";
  fs::copy_file(honest, liar);
  forge_isize(liar, uint32_t(head.size()));
  const long before = peak_rss_kib();
  expect_read_throws<data_error>(liar, "decompresses to more than");
  EXPECT_LT(peak_rss_kib() - before, long(2 * max_spec_file_bytes / 1024) + 32 * 1024);  // vector growth
  // Under any name: CFITSIO sniffs content, not suffixes.
  const auto plain_name = dir / "spec-bomb.fits";
  fs::copy_file(liar, plain_name);
  expect_read_throws<data_error>(plain_name, "decompresses to more than");
}

TEST(hostile_spec, truncated_gzip_and_other_compressions_are_refused) {
  temp_dir dir;
  const auto gz = dir / "spec-cut.fits.gz";
  write_gzip(gz, slurp(test::real_spectrum("3655-55240-0002")), 0);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  expect_read_throws<data_error>(gz, "gzip");
  const auto bz = dir / "spec-x.fits.bz2";
  std::ofstream(bz, std::ios::binary) << "BZh91AY&SY" << std::string(100, '\1');
  expect_read_throws<data_error>(bz, "bzip2-compressed");
}

TEST(hostile_spec, sniff_compression_by_magic) {
  temp_dir dir;
  const auto gz = dir / "x";
  write_gzip(gz, "hello", 0);
  EXPECT_EQ(sniff_compression(gz).kind, compression::gzip);
  EXPECT_EQ(sniff_compression(test::real_spectrum("3655-55240-0002")).kind, compression::none);
  EXPECT_EQ(sniff_compression(dir / "missing").kind, compression::none);
}

}  // namespace
}  // namespace specmill
