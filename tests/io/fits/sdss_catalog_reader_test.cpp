// sdss_catalog_reader on the real spAll subset (README §4) and its cross-check with the
// spec files' HDU 2 (README §3.1).
#include "io/fits/sdss_catalog_reader.hpp"

#include <gtest/gtest.h>

#include <set>

#include "core/specobjid.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/sdss_spec_reader.hpp"

namespace specmill {
namespace {

using test::real_catalog;
using test::real_spectrum;
using test::same_bits;

TEST(sdss_catalog_reader, row_count_and_contents) {
  sdss_catalog_reader catalog(real_catalog());
  ASSERT_EQ(catalog.rows(), 93u);
  const auto rows = catalog.read(0, catalog.rows());
  ASSERT_EQ(rows.size(), 93u);
  std::set<std::pair<int32_t, int32_t>> plate_mjd;
  for (const spec_meta& m : rows) {
    EXPECT_EQ(m.run2d, "v5_13_0");
    // The reader checks this too; an independent restatement guards the check itself.
    EXPECT_EQ(m.specobjid, pack_specobjid({m.plate, m.mjd, m.fiberid, 1300}));
    EXPECT_FALSE(m.class_name.empty());
    plate_mjd.insert({m.plate, m.mjd});
  }
  const std::set<std::pair<int32_t, int32_t>> expected = {
      {3655, 55240}, {3657, 55244}, {9367, 57758}, {10656, 58163}};
  EXPECT_EQ(plate_mjd, expected);
}

TEST(sdss_catalog_reader, matches_the_spec_files) {
  struct ref {
    const char* stem;
    int32_t plate, fiberid;
    uint64_t specobjid;
  };
  const ref refs[] = {{"3655-55240-0002", 3655, 2, 4115164797179547648ull},
                      {"3657-55244-0552", 3657, 552, 4117567779909160960ull},
                      {"9367-57758-0538", 9367, 538, 10546452441867767808ull},
                      {"10656-58163-0366", 10656, 366, 11997690149582688256ull}};
  sdss_catalog_reader catalog(real_catalog());
  const auto rows = catalog.read(0, catalog.rows());
  for (const ref& r : refs) {
    SCOPED_TRACE(r.stem);
    int found = 0;
    for (const spec_meta& m : rows) {
      if (m.plate != r.plate || m.fiberid != r.fiberid) continue;
      ++found;
      // SPECOBJID is signed K without TZERO in this file: the reader must reinterpret it.
      EXPECT_EQ(m.specobjid, r.specobjid);
      const spec_meta spec = read_sdss_spectrum(real_spectrum(r.stem)).meta;
      EXPECT_TRUE(same_bits(m.z, spec.z)) << m.z << " vs " << spec.z;
      EXPECT_EQ(m.specobjid, spec.specobjid);
      EXPECT_EQ(m.mjd, spec.mjd);
      EXPECT_EQ(m.class_name, spec.class_name);
      EXPECT_EQ(m.thing_id, spec.thing_id);
      EXPECT_EQ(m.plug_ra, spec.plug_ra);
    }
    EXPECT_EQ(found, 1);
  }
}

TEST(sdss_catalog_reader, chunked_reads_equal_one_full_read) {
  sdss_catalog_reader catalog(real_catalog());
  const auto all = catalog.read(0, catalog.rows());
  for (size_t chunk : {1u, 7u, 10u, 93u}) {
    SCOPED_TRACE(chunk);
    std::vector<spec_meta> pieces;
    for (size_t first = 0; first < catalog.rows(); first += chunk) {
      auto part = catalog.read(first, std::min(chunk, catalog.rows() - first));
      EXPECT_LE(part.size(), chunk);
      pieces.insert(pieces.end(), part.begin(), part.end());
    }
    ASSERT_EQ(pieces.size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) test::expect_same_meta(pieces[i], all[i]);
  }
  // Out-of-order access works too (the reader keeps no cursor).
  const auto last = catalog.read(92, 1);
  test::expect_same_meta(last[0], all[92]);
  const auto first = catalog.read(0, 1);
  test::expect_same_meta(first[0], all[0]);
}

TEST(sdss_catalog_reader, reader_is_movable) {
  sdss_catalog_reader a(real_catalog());
  sdss_catalog_reader b = std::move(a);
  EXPECT_EQ(b.rows(), 93u);
  EXPECT_EQ(b.read(5, 3).size(), 3u);
}

}  // namespace
}  // namespace specmill
