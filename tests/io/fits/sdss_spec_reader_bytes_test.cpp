// read_sdss_spectrum(file, bytes), ingest's one-read route: for every file, good or damaged, the
// same spectrum (field by field, floats bit for bit) or the same error (type and words) as
// read_sdss_spectrum(file). The good files are also read by the in-memory route alone, so that
// an equality cannot come from the fallback to the path.
#include <zlib.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <string>
#include <typeinfo>
#include <vector>

#include "common/spec_patch.hpp"
#include "core/specobjid.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/sdss_spec_writer.hpp"

namespace specmill {
namespace {

using test::temp_dir;

std::vector<unsigned char> bytes_of(const std::filesystem::path& p) {
  const std::string s = test_support::slurp(p);
  return std::vector<unsigned char>(s.begin(), s.end());
}

void write_bytes(const std::filesystem::path& p, const void* data, size_t n) {
  std::ofstream(p, std::ios::binary).write(static_cast<const char*>(data), std::streamsize(n));
}

template <class T>
void expect_same_bits(const std::vector<T>& a, const std::vector<T>& b, const char* what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * sizeof(T)), 0) << what;
}

void expect_same_spectrum(const sdss_spectrum& a, const sdss_spectrum& b) {
  test::expect_same_meta(a.meta, b.meta);
  EXPECT_EQ(a.data.lattice_start, b.data.lattice_start);
  EXPECT_EQ(a.data.loglam_exact, b.data.loglam_exact);
  EXPECT_EQ(a.data.nonfinite_pixels, b.data.nonfinite_pixels);
  expect_same_bits(a.data.flux, b.data.flux, "flux");
  expect_same_bits(a.data.loglam, b.data.loglam, "loglam");
  expect_same_bits(a.data.ivar, b.data.ivar, "ivar");
  expect_same_bits(a.data.wdisp, b.data.wdisp, "wdisp");
  expect_same_bits(a.data.sky, b.data.sky, "sky");
  expect_same_bits(a.data.model, b.data.model, "model");
  expect_same_bits(a.data.and_mask, b.data.and_mask, "and_mask");
  expect_same_bits(a.data.or_mask, b.data.or_mask, "or_mask");
}

// Both routes on a file that reads: the same spectrum, and the in-memory route alone too.
void expect_same_read(const std::filesystem::path& file) {
  SCOPED_TRACE(file.string());
  const auto bytes = bytes_of(file);
  const sdss_spectrum by_path = read_sdss_spectrum(file);
  expect_same_spectrum(by_path, read_sdss_spectrum(file, bytes));
  expect_same_spectrum(by_path, read_sdss_spectrum(bytes.data(), bytes.size(), file));
}

// Both routes on a file that does not read: the same exception type and message.
void expect_same_error(const std::filesystem::path& file) {
  SCOPED_TRACE(file.string());
  const auto bytes = bytes_of(file);
  std::string path_type, path_what;
  try {
    (void)read_sdss_spectrum(file);
    FAIL() << "the path route reads it";
  } catch (const std::exception& e) {
    path_type = typeid(e).name();
    path_what = e.what();
  }
  try {
    (void)read_sdss_spectrum(file, bytes);
    ADD_FAILURE() << "the bytes route reads it";
  } catch (const std::exception& e) {
    EXPECT_EQ(typeid(e).name(), path_type);
    EXPECT_EQ(e.what(), path_what);
  }
}

sdss_spectrum synthetic(const char* run2d, int32_t plate, int npix, uint64_t seed) {
  sdss_spectrum s;
  s.meta.plate = plate;
  s.meta.mjd = 55000 + int32_t(seed);
  s.meta.fiberid = 1 + int32_t(seed % 900);
  s.meta.run2d = run2d;
  s.meta.specobjid = pack_specobjid({s.meta.plate, s.meta.mjd, s.meta.fiberid, run2d_code(run2d)});
  s.meta.plug_ra = 150.25 + double(seed);
  s.meta.plug_dec = -2.5;
  s.meta.z = 0.125f * float(seed);
  s.meta.class_name = "GALAXY";
  s.meta.subclass = "STARFORMING";
  s.meta.spectroflux = {1.f, 2.f, 3.f, 4.f, 5.f};
  s.meta.programname = "boss";
  s.meta.thing_id = int64_t(seed) * 1000;
  coadd& c = s.data;
  c.lattice_start = 35500 + int32_t(seed);
  const size_t n = size_t(npix);
  for (auto* v : {&c.flux, &c.loglam, &c.ivar, &c.wdisp, &c.sky, &c.model}) v->resize(n);
  c.and_mask.resize(n);
  c.or_mask.resize(n);
  for (size_t i = 0; i < n; ++i) {
    c.loglam[i] = lattice_loglam(c.lattice_start + int32_t(i));
    c.flux[i] = std::sin(float(i + seed)) * 10.f;
    c.ivar[i] = float(i % 7) * 0.5f;
    c.wdisp[i] = 1.1f;
    c.sky[i] = float(i) * 0.01f;
    c.model[i] = c.flux[i] * 0.9f;
    c.and_mask[i] = int32_t(i % 5);
    c.or_mask[i] = int32_t(i % 3) << 4;
  }
  return s;
}

TEST(sdss_spec_reader_bytes, every_real_file_reads_the_same_by_both_routes) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(test::shared_data() / "spectra")) {
    if (e.path().extension() != ".fits") continue;
    expect_same_read(e.path());
    ++n;
  }
  EXPECT_EQ(n, 10);
}

TEST(sdss_spec_reader_bytes, synthetic_files_of_both_eras_read_the_same_by_both_routes) {
  temp_dir dir;
  uint64_t seed = 1;
  for (const char* run2d : {"26", "104", "v5_13_0", "v5_7_2"}) {
    for (int npix : {1, 31, 32, 33, 4600}) {
      const auto file = dir.path() / ("spec-" + std::to_string(seed) + ".fits");
      sdss_spectrum s = synthetic(run2d, run2d[0] == 'v' ? 9000 : 300, npix, seed++);
      if (npix > 2) s.data.flux[1] = std::numeric_limits<float>::quiet_NaN();  // the repaired-pixel path
      write_sdss_spec_lite(file, s);
      expect_same_read(file);
    }
  }
}

TEST(sdss_spec_reader_bytes, damaged_files_give_the_path_routes_error) {
  temp_dir dir;
  const auto full = test::real_spectrum("0332-52367-0639");  // exposure HDUs after HDU 2
  const auto lite = test::real_spectrum("3655-55240-0002");
  const auto full_bytes = bytes_of(full), lite_bytes = bytes_of(lite);
  const auto cut = [&](const std::vector<unsigned char>& from, size_t n, const char* name) {
    const auto p = dir.path() / name;
    write_bytes(p, from.data(), n);
    return p;
  };
  // HDUs 0-2 intact, the size no whole number of records: the path route's own truncation check.
  expect_same_error(cut(full_bytes, full_bytes.size() - 1000, "spec-cut-exposures.fits"));
  expect_same_error(cut(lite_bytes, lite_bytes.size() - 1, "spec-cut-one.fits"));
  // Cut on a record boundary inside HDU 1's rows, HDU 1's header and HDU 2's header.
  expect_same_error(cut(lite_bytes, 2880 * 20, "spec-cut-rows.fits"));
  expect_same_error(cut(lite_bytes, 2880 * 2, "spec-cut-header.fits"));
  expect_same_error(cut(lite_bytes, 2880 * 60 + 1234, "spec-cut-odd.fits"));
  // Whole records, HDU 2's header cut: the in-memory route words this otherwise by itself.
  int64_t hdu2 = 0;
  {
    fits_file f = fits_file::open_read(lite);
    f.move_to(2);
    hdu2 = f.hdu_address().header_start;
  }
  expect_same_error(cut(lite_bytes, size_t(hdu2) + 2880, "spec-cut-hdu2.fits"));
  expect_same_error(cut(lite_bytes, size_t(hdu2), "spec-no-hdu2.fits"));
  // A byte more than whole records, garbage, text, nothing.
  {
    auto more = lite_bytes;
    more.push_back('x');
    expect_same_error(cut(more, more.size(), "spec-one-more.fits"));
  }
  std::vector<unsigned char> garbage(2880 * 20);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<unsigned char>(i * 2654435761u >> 13);
  expect_same_error(cut(garbage, garbage.size(), "spec-garbage.fits"));
  const std::string text = "not a FITS file\n";
  expect_same_error(cut(std::vector<unsigned char>(text.begin(), text.end()), text.size(), "spec-text.fits"));
  expect_same_error(cut(garbage, 0, "spec-empty.fits"));
  // A damaged lattice (a loglam overwritten inside HDU 1's rows): a data_error from both.
  {
    auto bad = lite_bytes;
    fits_file f = fits_file::open_read(lite);
    f.move_to(1);
    const auto at = size_t(f.hdu_address().data_start) + size_t(f.row_bytes()) * 300;
    std::memset(bad.data() + at, 0x7f, size_t(f.row_bytes()));
    expect_same_error(cut(bad, bad.size(), "spec-bad-row.fits"));
  }
}

TEST(sdss_spec_reader_bytes, compressed_files_take_the_path_route) {
  temp_dir dir;
  const auto real = test::real_spectrum("6717-56397-0534");
  const auto gz = dir.path() / "spec-6717-56397-0534.fits.gz";
  {
    const std::string s = test_support::slurp(real);
    gzFile out = gzopen(gz.c_str(), "wb1");
    ASSERT_NE(out, nullptr);
    ASSERT_EQ(gzwrite(out, s.data(), unsigned(s.size())), int(s.size()));
    ASSERT_EQ(gzclose(out), Z_OK);
  }
  const auto bytes = bytes_of(gz);
  expect_same_spectrum(read_sdss_spectrum(real), read_sdss_spectrum(gz, bytes));
  // bzip2's magic, padded to whole records: refused by the path route in its words.
  std::vector<unsigned char> bz(2880, ' ');
  std::memcpy(bz.data(), "BZh9", 4);
  const auto bzf = dir.path() / "spec-bz.fits";
  write_bytes(bzf, bz.data(), bz.size());
  expect_same_error(bzf);
}

}  // namespace
}  // namespace specmill
