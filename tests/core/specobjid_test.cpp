#include "core/specobjid.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

using namespace specmill;

TEST(Specobjid, Run2dCodes) {
  EXPECT_EQ(run2d_code("26"), 26);
  EXPECT_EQ(run2d_code("103"), 103);
  EXPECT_EQ(run2d_code(" 104 "), 104);
  EXPECT_EQ(run2d_code("v5_13_0"), 1300);
  EXPECT_EQ(run2d_code("v5_13_2"), 1302);
  EXPECT_EQ(run2d_code("v5_10_0"), 1000);
  EXPECT_EQ(run2d_code("v5_7_2"), 702);
  EXPECT_EQ(run2d_code("v6_0_4"), 10004);
  for (int32_t code : {26, 103, 104, 1300, 1302, 702, 10004}) EXPECT_EQ(run2d_code(run2d_name(code)), code);
  for (const char* bad : {"", "v5", "v5_13", "x5_13_0", "v4_1_1", "v5_100_0", "v5_1_1_1", "abc", "-1"})
    EXPECT_THROW(run2d_code(bad), invalid_argument) << bad;
}

// The ten real files of shared/data (README table 3.1): the packing rebuilds every SPECOBJID.
TEST(Specobjid, PacksTheRealIds) {
  struct row { int plate, mjd, fiber; const char* run2d; uint64_t id; };
  const row rows[] = {
      {266, 51602, 13, "26", 299492975510054912ull},
      {332, 52367, 639, "26", 373974455765985280ull},
      {1325, 52762, 133, "26", 1491853981666797568ull},
      {3586, 55181, 500, "v5_10_0", 4037614591814901760ull},
      {3655, 55240, 2, "v5_13_0", 4115164797179547648ull},
      {3657, 55244, 552, "v5_13_0", 4117567779909160960ull},
      {9367, 57758, 538, "v5_13_0", 10546452441867767808ull},
      {10656, 58163, 366, "v5_13_0", 11997690149582688256ull},
      {6717, 56397, 534, "v5_13_2", 7562816566389397504ull},
      {7339, 57544, 733, "v5_13_2", 8263181028392458240ull},
  };
  for (const auto& r : rows) {
    const spec_key k{r.plate, r.mjd, r.fiber, run2d_code(r.run2d)};
    EXPECT_EQ(pack_specobjid(k), r.id) << r.plate;
    EXPECT_EQ(unpack_specobjid(r.id), k);
  }
}

TEST(Specobjid, RejectsOutOfRangeFields) {
  EXPECT_THROW(pack_specobjid({16384, 55000, 1, 26}), invalid_argument);
  EXPECT_THROW(pack_specobjid({100, 49999, 1, 26}), invalid_argument);
  EXPECT_THROW(pack_specobjid({100, 55000, 4096, 26}), invalid_argument);
  EXPECT_THROW(pack_specobjid({100, 55000, 1, 1 << 14}), invalid_argument);
  EXPECT_NO_THROW(pack_specobjid({16383, 50000 + 16383, 4095, (1 << 14) - 1}));
}

TEST(Specobjid, ParsesUnsignedAndSignedText) {
  EXPECT_EQ(parse_specobjid("10546452441867767808"), 10546452441867767808ull);
  // spAll's signed K column: -7900291631841783808 is the same 64 bits as 10546452441867767808.
  EXPECT_EQ(parse_specobjid("-7900291631841783808"), 10546452441867767808ull);
  EXPECT_EQ(parse_specobjid("    299492975510054912"), 299492975510054912ull);
  EXPECT_EQ(parse_specobjid("18446744073709551615"), UINT64_MAX);
  for (const char* bad : {"", " ", "12x", "18446744073709551616", "1.5", "abc", "--1"})
    EXPECT_FALSE(parse_specobjid(bad).has_value()) << bad;
}
