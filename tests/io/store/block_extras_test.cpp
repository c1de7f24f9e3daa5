// The optional group `extra` of block files (io/store/block_extras.hpp): rows with resolution
// and camera arrays round-trip bit for bit (rows of different widths too: the resolution sits at
// each row's own columns), blocks without it read as before, mixed rows are refused, and a
// damaged shape is a data_error at open.
#include <hdf5.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "common/temp_dir.hpp"
#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "io/store/block_file.hpp"

namespace specmill {
namespace {

const native_grid grid = desi_native_grid;

sdss_spectrum spectrum(uint64_t id, int32_t start, size_t npix) {
  std::mt19937 rng{uint32_t(id)};
  std::uniform_real_distribution<float> u(-1.f, 5.f);
  sdss_spectrum s;
  s.meta.specobjid = id;
  coadd& c = s.data;
  c.lattice_start = start;
  for (auto* v : {&c.flux, &c.ivar, &c.wdisp, &c.sky, &c.model}) {
    v->resize(npix);
    for (auto& x : *v) x = u(rng);
  }
  c.and_mask.assign(npix, 0);
  c.or_mask.assign(npix, 0);
  return s;
}

spectrum_extras extras(uint64_t id, size_t npix, bool cameras, bool resolution) {
  std::mt19937 rng{uint32_t(id * 7 + 1)};
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  spectrum_extras x;
  if (resolution) {
    x.resolution.resize(11 * npix);
    for (auto& v : x.resolution) v = u(rng);
  }
  if (!cameras) return x;
  for (auto [name, start, n] : {std::tuple{'b', 100, 33}, std::tuple{'r', 120, 31}}) {
    camera_arrays c;
    c.name = name;
    c.lattice_start = start;
    for (int i = 0; i < n; ++i) c.wavelength.push_back(0.8 * (start + i));
    c.flux.resize(size_t(n));
    c.ivar.resize(size_t(n));
    c.mask.resize(size_t(n));
    for (int i = 0; i < n; ++i) c.flux[i] = u(rng), c.ivar[i] = u(rng) + 1, c.mask[i] = i % 5 == 0 ? 0x80000001u : 0u;
    if (resolution) {
      c.resolution.resize(11 * size_t(n));
      for (auto& v : c.resolution) v = u(rng);
    }
    x.cameras.push_back(std::move(c));
  }
  return x;
}

TEST(BlockExtras, RoundTripBitExact) {
  test_support::temp_dir dir;
  block_builder b(grid);
  const std::vector<std::pair<int32_t, size_t>> rows = {{100, 51}, {100, 51}, {103, 40}};
  std::vector<spectrum_extras> want;
  for (size_t r = 0; r < rows.size(); ++r) {
    want.push_back(extras(r + 1, rows[r].second, true, true));
    spectrum_extras copy = want.back();
    ASSERT_TRUE(b.accepts(copy));
    b.add(spectrum(r + 1, rows[r].first, rows[r].second), std::move(copy));
  }
  const auto path = dir.path() / "blk.h5";
  b.write(path, 1);
  const block_reader rd(path);
  EXPECT_EQ(rd.resolution_diagonals(), 11);
  ASSERT_EQ(rd.cameras().size(), 2u);
  for (size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(rd.read_resolution(r), want[r].resolution) << r;
    std::vector<float> into(want[r].resolution.size() + 1, -1.f);  // the in-place form: the same values
    rd.read_resolution(r, std::span<float>(into.data(), into.size() - 1));
    EXPECT_TRUE(std::equal(want[r].resolution.begin(), want[r].resolution.end(), into.begin())) << r;
    EXPECT_EQ(into.back(), -1.f) << r << ": nothing written past the row";
    EXPECT_THROW(rd.read_resolution(r, std::span<float>(into)), invalid_argument) << r;
    for (const auto& c : want[r].cameras) {
      const camera_arrays got = rd.read_camera(r, c.name, true);
      EXPECT_EQ(got.lattice_start, c.lattice_start);
      EXPECT_EQ(got.wavelength, c.wavelength);
      EXPECT_EQ(got.flux, c.flux);
      EXPECT_EQ(got.ivar, c.ivar);
      EXPECT_EQ(got.mask, c.mask);
      EXPECT_EQ(got.resolution, c.resolution);
    }
  }
  EXPECT_EQ(rd.camera('z'), nullptr);
  EXPECT_THROW(rd.read_camera(0, 'z'), invalid_argument);
}

TEST(BlockExtras, AbsentMeansNone) {
  test_support::temp_dir dir;
  block_builder b(grid);
  b.add(spectrum(1, 100, 20));
  b.write(dir.path() / "blk.h5", 1);
  const block_reader rd(dir.path() / "blk.h5");
  EXPECT_EQ(rd.resolution_diagonals(), 0);
  EXPECT_TRUE(rd.cameras().empty());
  EXPECT_THROW(rd.read_resolution(0), invalid_argument);
  std::vector<float> into(20);
  EXPECT_THROW(rd.read_resolution(0, into), invalid_argument);
}

TEST(BlockExtras, MixedRowsRefused) {
  block_builder b(grid);
  b.add(spectrum(1, 100, 51), extras(1, 51, true, false));
  EXPECT_FALSE(b.accepts(extras(2, 51, true, true)));
  EXPECT_FALSE(b.accepts({}));
  EXPECT_THROW(b.add(spectrum(2, 100, 51)), invalid_argument);
  spectrum_extras other = extras(3, 51, true, false);
  other.cameras[1].lattice_start += 1;
  EXPECT_FALSE(b.accepts(other));
  EXPECT_TRUE(b.accepts(extras(4, 51, true, false)));
  spectrum_extras short_res;
  short_res.resolution.resize(50);
  block_builder c(grid);
  EXPECT_THROW(c.add(spectrum(5, 100, 51), std::move(short_res)), invalid_argument);
}

TEST(BlockExtras, WrongShapeIsDataError) {
  test_support::temp_dir dir;
  block_builder b(grid);
  b.add(spectrum(1, 100, 51), extras(1, 51, false, true));
  const auto path = dir.path() / "blk.h5";
  b.write(path, 1);
  {  // replace extra/resolution by one of the wrong width
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    H5Ldelete(f, "extra/resolution", H5P_DEFAULT);
    const hsize_t dims[3] = {1, 11, 50};
    hid_t s = H5Screate_simple(3, dims, nullptr);
    hid_t d = H5Dcreate2(f, "extra/resolution", H5T_IEEE_F32LE, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(d);
    H5Sclose(s);
    H5Fclose(f);
  }
  EXPECT_THROW(block_reader{path}, data_error);
}

}  // namespace
}  // namespace specmill
