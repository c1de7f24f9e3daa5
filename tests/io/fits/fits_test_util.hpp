#pragma once
#include "common/temp_dir.hpp"
// Helpers shared by the tests/io FITS tests: paths to the real SDSS files, a self-removing
// temporary directory, and a CFITSIO-checked "edit a copy of a real file" step.
#include <fitsio.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstdint>
#include <filesystem>
#include <string>
#include <type_traits>

#include "core/error.hpp"
#include "io/fits/fits_native.hpp"
#include "io/fits/sdss_spec_reader.hpp"
#include "core/spectrum.hpp"

namespace specmill::test {

inline std::filesystem::path shared_data() { return SPECMILL_SHARED_DATA; }
inline std::filesystem::path real_spectrum(const std::string& stem) {
  return shared_data() / "spectra" / ("spec-" + stem + ".fits");
}
inline std::filesystem::path real_catalog() { return shared_data() / "catalogs" / "spAll-plate3655.fits"; }

// The shared temp_dir, plus copies of the real spectra.
class temp_dir : public test_support::temp_dir {
 public:
  // Copies a real spectrum into this directory and returns the copy's path.
  std::filesystem::path copy_of(const std::string& stem) const {
    auto to = path() / ("spec-" + stem + ".fits");
    std::filesystem::copy_file(real_spectrum(stem), to, std::filesystem::copy_options::overwrite_existing);
    return to;
  }
};

// Throws (fails the test) on a CFITSIO error while preparing test input.
inline void ok(int status, const fits_file& f, const char* what) { f.check(status, what); }

inline bool same_bits(float a, float b) { return std::bit_cast<uint32_t>(a) == std::bit_cast<uint32_t>(b); }

// Field-by-field equality, floats compared bit for bit.
inline void expect_same_meta(const spec_meta& a, const spec_meta& b) {
  EXPECT_EQ(a.specobjid, b.specobjid);
  EXPECT_EQ(a.plate, b.plate);
  EXPECT_EQ(a.mjd, b.mjd);
  EXPECT_EQ(a.fiberid, b.fiberid);
  EXPECT_EQ(a.run2d, b.run2d);
  EXPECT_EQ(a.plug_ra, b.plug_ra);
  EXPECT_EQ(a.plug_dec, b.plug_dec);
  EXPECT_TRUE(same_bits(a.z, b.z));
  EXPECT_TRUE(same_bits(a.z_err, b.z_err));
  EXPECT_EQ(a.zwarning, b.zwarning);
  EXPECT_EQ(a.class_name, b.class_name);
  EXPECT_EQ(a.subclass, b.subclass);
  EXPECT_TRUE(same_bits(a.sn_median_all, b.sn_median_all));
  EXPECT_EQ(a.specprimary, b.specprimary);
  for (int k = 0; k < 5; ++k) EXPECT_TRUE(same_bits(a.spectroflux[k], b.spectroflux[k])) << k;
  EXPECT_TRUE(same_bits(a.wavemin, b.wavemin));
  EXPECT_TRUE(same_bits(a.wavemax, b.wavemax));
  EXPECT_EQ(a.programname, b.programname);
  EXPECT_EQ(a.objtype, b.objtype);
  EXPECT_EQ(a.thing_id, b.thing_id);
}

// Asserts that reading `file` throws exactly E (not a sibling type) naming the file, and that
// the message contains `needle`; returns the message.
template <class E>
std::string expect_read_throws(const std::filesystem::path& file, const std::string& needle = "") {
  try {
    (void)read_sdss_spectrum(file);
    ADD_FAILURE() << "no exception for " << file;
  } catch (const E& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find(file.string()), std::string::npos) << what;
    EXPECT_NE(what.find(needle), std::string::npos) << "'" << needle << "' not in: " << what;
    if constexpr (std::is_same_v<E, data_error>) {
      EXPECT_EQ(dynamic_cast<const io_error*>(&e), nullptr);
    }
    return what;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type for " << file << ": " << e.what();
  }
  return {};
}

}  // namespace specmill::test
