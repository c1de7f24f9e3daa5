// The native-grid attribute of block files: written for every block, read back, and absent in
// blocks from before it (those read as the SDSS lattice).
#include <hdf5.h>

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstring>
#include <random>

#include "common/temp_dir.hpp"
#include "core/error.hpp"
#include "io/store/block_file.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;

// A spectrum on `grid` with loglam exactly the grid's (what a reader of that survey gives).
sdss_spectrum spectrum_on(const native_grid& grid, uint64_t id, int32_t lattice_start, size_t npix) {
  std::mt19937 rng{uint32_t(id)};
  std::uniform_real_distribution<float> u(-1.0f, 5.0f);
  sdss_spectrum s;
  s.meta.specobjid = id;
  s.meta.plate = 1;
  s.meta.mjd = 60000;
  s.meta.fiberid = int32_t(id);
  coadd& c = s.data;
  c.lattice_start = lattice_start;
  for (auto* v : {&c.flux, &c.ivar, &c.wdisp, &c.sky, &c.model}) {
    v->resize(npix);
    for (auto& x : *v) x = u(rng);
  }
  c.and_mask.assign(npix, 0);
  c.or_mask.assign(npix, 0);
  for (size_t i = 0; i < npix; ++i) c.loglam.push_back(lattice_loglam(lattice_start + int32_t(i), grid));
  return s;
}

std::string string_attr(const fs::path& p, const char* name) {
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  hid_t t = H5Aget_type(a);
  std::string s(H5Tget_size(t), '\0');
  H5Aread(a, t, s.data());
  H5Tclose(t);
  H5Aclose(a);
  H5Fclose(f);
  s.resize(std::strlen(s.c_str()));
  return s;
}

double double_attr(const fs::path& p, const char* name) {
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  double v = NAN;
  H5Aread(a, H5T_NATIVE_DOUBLE, &v);
  H5Aclose(a);
  H5Fclose(f);
  return v;
}

void set_string_attr(const fs::path& p, const char* name, const std::string& value) {
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (H5Aexists(f, name) > 0) H5Adelete(f, name);
  hid_t t = H5Tcopy(H5T_C_S1);
  H5Tset_size(t, value.size() + 1);
  hid_t s = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(f, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, t, value.c_str());
  H5Aclose(a);
  H5Sclose(s);
  H5Tclose(t);
  H5Fclose(f);
}

void delete_attr(const fs::path& p, const char* name) {
  hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  ASSERT_GE(H5Adelete(f, name), 0);
  H5Fclose(f);
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

fs::path write(const test_support::temp_dir& dir, const native_grid& grid, const std::vector<sdss_spectrum>& specs) {
  block_builder b(grid);
  for (const auto& s : specs) b.add(s);
  const fs::path p = dir / "blk-00000001.h5";
  b.write(p, 1);
  return p;
}

TEST(BlockGrid, SdssBlocksCarryTheAttribute) {
  test_support::temp_dir dir;
  const fs::path p = write(dir, sdss_native_grid, {spectrum_on(sdss_native_grid, 5, 35800, 40)});
  EXPECT_EQ(string_attr(p, block_grid_attribute), "log10:1e-4");
  EXPECT_EQ(string_attr(p, "grid_type"), "log-linear");
  EXPECT_EQ(double_attr(p, "grid_step"), 1e-4);
  EXPECT_EQ(double_attr(p, "grid_start"), 35800 * 1e-4);
  EXPECT_TRUE(same_grid(block_reader(p).grid(), sdss_native_grid));
}

// A DESI-like block: linear 0.8 A lattice from 3600 A (index 4500). Every column comes back bit
// for bit, loglam is log10 of the linear wavelengths, and the attributes describe the lattice.
TEST(BlockGrid, LinearGridRoundTrip) {
  test_support::temp_dir dir;
  const native_grid desi = linear_lattice(0.8);
  const std::vector<sdss_spectrum> specs{spectrum_on(desi, 1, 4500, 33), spectrum_on(desi, 2, 4510, 31),
                                         spectrum_on(desi, 3, 4490, 32)};
  const fs::path p = write(dir, desi, specs);
  EXPECT_EQ(string_attr(p, block_grid_attribute), "linear:0.8");
  EXPECT_EQ(string_attr(p, "grid_type"), "linear");
  EXPECT_EQ(double_attr(p, "grid_step"), 0.8);
  EXPECT_EQ(double_attr(p, "grid_start"), 4490 * 0.8);

  const block_reader r(p);
  EXPECT_TRUE(same_grid(r.grid(), desi));
  EXPECT_EQ(r.lattice_start(), 4490);
  for (size_t i = 0; i < specs.size(); ++i) {
    const coadd got = r.read_spectrum(i);
    EXPECT_EQ(got.lattice_start, specs[i].data.lattice_start);
    EXPECT_TRUE(same_bits(got.flux, specs[i].data.flux));
    EXPECT_TRUE(same_bits(got.ivar, specs[i].data.ivar));
    EXPECT_TRUE(same_bits(got.loglam, specs[i].data.loglam));
  }
  // The loglam column of the whole block, against float64 log10(index * 0.8) rounded to float.
  std::vector<float> loglam(r.n_pixels());
  r.read(column::loglam, 0, 1, 0, r.n_pixels(), loglam.data());
  for (size_t j = 0; j < loglam.size(); ++j) {
    const double want = std::log10(double(4490 + int64_t(j)) * 0.8);
    EXPECT_NEAR(loglam[j], want, 1e-6 * want) << j;
    EXPECT_EQ(loglam[j], float(want)) << j;
  }
}

// A block written before the attribute existed (the attribute removed from a fresh one): it is
// on the SDSS lattice and reads exactly as before.
TEST(BlockGrid, OldBlockWithoutAttributeReadsAsSdss) {
  test_support::temp_dir dir;
  const std::vector<sdss_spectrum> specs{spectrum_on(sdss_native_grid, 7, 36000, 50)};
  const fs::path p = write(dir, sdss_native_grid, specs);
  delete_attr(p, block_grid_attribute);
  const block_reader r(p);
  EXPECT_TRUE(same_grid(r.grid(), sdss_native_grid));
  const coadd got = r.read_spectrum(0);
  EXPECT_TRUE(same_bits(got.flux, specs[0].data.flux));
  EXPECT_TRUE(same_bits(got.loglam, specs[0].data.loglam));
}

TEST(BlockGrid, InconsistentOrBadAttributesAreDataErrors) {
  test_support::temp_dir dir;
  const fs::path p = write(dir, sdss_native_grid, {spectrum_on(sdss_native_grid, 7, 36000, 50)});
  set_string_attr(p, block_grid_attribute, "linear:0.8");  // grid_type still says log-linear
  EXPECT_THROW(block_reader{p}, data_error);
  set_string_attr(p, block_grid_attribute, "log10:2e-4");  // grid_step still 1e-4
  EXPECT_THROW(block_reader{p}, data_error);
  set_string_attr(p, block_grid_attribute, "log10:abc");
  EXPECT_THROW(block_reader{p}, data_error);
  set_string_attr(p, block_grid_attribute, "explicit");
  EXPECT_THROW(block_reader{p}, data_error);
  set_string_attr(p, block_grid_attribute, "log10:1e-4");  // the same lattice spelled otherwise
  EXPECT_TRUE(same_grid(block_reader(p).grid(), sdss_native_grid));
}

TEST(BlockGrid, BuilderChecksTheGrid) {
  const std::vector<double> w{3600, 3601};
  EXPECT_THROW(block_builder{explicit_grid(w.data(), 2)}, invalid_argument);
  // loglam_exact on the SDSS lattice is off the linear one: refused, not silently rewritten.
  block_builder b(linear_lattice(0.8));
  EXPECT_THROW(b.add(spectrum_on(sdss_native_grid, 1, 4500, 10)), data_error);
  EXPECT_NO_THROW(b.add(spectrum_on(linear_lattice(0.8), 1, 4500, 10)));
}

}  // namespace
}  // namespace specmill
