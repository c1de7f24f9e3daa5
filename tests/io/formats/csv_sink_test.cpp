// The csv sink: a line per pixel (or row), numbers in shortest round-trip text, to a file and
// to a stream (the same bytes); read back bit for bit.
#include <gtest/gtest.h>

#include <charconv>

#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::parse_csv;

std::string file_and_stream(const table_data& d) {
  temp_dir dir;
  const std::string file = write_file(output_format::csv, d, dir / "out.csv");
  EXPECT_EQ(file, write_stream(output_format::csv, d));
  expect_only(dir.path(), {"out.csv"});
  return file;
}

template <class T>
T parse(const std::string& s) {
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(r.ec == std::errc() && r.ptr == s.data() + s.size()) << s;
  return v;
}

template <class T>
bool same_bits(T a, T b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

TEST(CsvSink, RaggedLinePerPixelBitExact) {
  const table_data d = ragged_case();
  const auto rows = parse_csv(file_and_stream(d));
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"specobjid", "pixel", "flux", "and_mask"}));
  const auto flux = d.column<float>(0);
  const auto mask = d.column<int32_t>(1);
  size_t line = 1;
  for (size_t i = 0; i < d.schema.rows(); ++i) {
    for (int64_t p = d.schema.offsets[i]; p < d.schema.offsets[i + 1]; ++p, ++line) {
      EXPECT_EQ(rows[line][0], std::to_string(d.schema.specobjid[i]));
      EXPECT_EQ(rows[line][1], std::to_string(p - d.schema.offsets[i]));
      EXPECT_TRUE(same_bits(parse<float>(rows[line][2]), flux[size_t(p)])) << rows[line][2];
      EXPECT_EQ(parse<int32_t>(rows[line][3]), mask[size_t(p)]);
    }
  }
}

TEST(CsvSink, DenseLinePerPixelWithWavelength) {
  const table_data d = dense_case();
  const auto rows = parse_csv(file_and_stream(d));
  ASSERT_EQ(rows.size(), 1u + 3 * 4);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"specobjid", "pixel", "wavelength", "flux", "ivar", "and_mask"}));
  const auto ivar = d.column<float>(1);
  for (size_t r = 0; r < 3; ++r) {
    for (size_t p = 0; p < 4; ++p) {
      const auto& row = rows[1 + r * 4 + p];
      EXPECT_EQ(row[0], std::to_string(d.schema.specobjid[r]));
      EXPECT_EQ(row[1], std::to_string(p));
      EXPECT_EQ(parse<double>(row[2]), d.schema.wavelength[p]);
      EXPECT_TRUE(same_bits(parse<float>(row[4]), ivar[r * 4 + p]));
    }
  }
}

TEST(CsvSink, TableWithMetadataComments) {
  const table_data d = table_case();
  std::vector<std::string> comments;
  const auto rows = parse_csv(file_and_stream(d), &comments);
  EXPECT_EQ(comments, (std::vector<std::string>{"# specmill: test", "# method: median", "# sigma: 3.0", "# n_used: 10",
                                                "# tiles: 2"}));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"wavelength", "flux", "n"}));
  const auto w = d.column<double>(0);
  for (size_t r = 0; r < 5; ++r) EXPECT_EQ(parse<double>(rows[1 + r][0]), w[r]);
}

TEST(CsvSink, ZeroRowsIsTheHeaderAlone) {
  EXPECT_EQ(file_and_stream(ragged_case(0)), "specobjid,pixel,flux,and_mask\n");
  EXPECT_EQ(file_and_stream(dense_case(0)), "specobjid,pixel,wavelength,flux,ivar,and_mask\n");
}

TEST(CsvSink, AbandonedLeavesNoFile) {
  expect_abandon_leaves_nothing(output_format::csv, ragged_case());
  expect_abandon_keeps_older_file(output_format::csv, table_case());
}

TEST(CsvSink, StreamErrorsPropagate) { expect_stream_error_propagates(output_format::csv, dense_case()); }

}  // namespace
}  // namespace specmill::test
