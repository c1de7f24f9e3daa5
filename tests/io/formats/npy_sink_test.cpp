// The npy sink: one array per output, plain or structured, to a file and to a stream (the same
// bytes), read back by parsing the .npy header.
#include <gtest/gtest.h>

#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::npy_array;
using test_support::parse_npy;

npy_array file_and_stream(const table_data& d) {
  temp_dir dir;
  const std::string file = write_file(output_format::npy, d, dir / "out.npy");
  EXPECT_EQ(file, write_stream(output_format::npy, d));
  expect_only(dir.path(), {"out.npy"});
  return parse_npy(file);
}

TEST(NpySink, RaggedIsOneStructuredArrayOverAllPixels) {
  const table_data d = ragged_case();
  const npy_array a = file_and_stream(d);
  EXPECT_EQ(a.descr, "[('flux', '<f4'), ('and_mask', '<i4'), ]");
  EXPECT_EQ(a.shape, std::vector<uint64_t>{10});
  const auto flux = a.field<float>("flux");
  EXPECT_EQ(std::memcmp(flux.data(), d.columns[0].data(), d.columns[0].size()), 0);
  EXPECT_EQ(a.field<int32_t>("and_mask"), d.column<int32_t>(1));
}

TEST(NpySink, DenseSeveralColumnsStructuredOneColumnPlain) {
  const table_data d = dense_case();
  const npy_array a = file_and_stream(d);
  EXPECT_EQ(a.descr, "[('flux', '<f4'), ('ivar', '<f4'), ('and_mask', '<i4'), ]");
  EXPECT_EQ(a.shape, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(a.field<int32_t>("and_mask"), d.column<int32_t>(2));

  table_data one = dense_case();
  one.schema.columns.resize(1);
  one.columns.resize(1);
  const npy_array b = file_and_stream(one);
  EXPECT_EQ(b.descr, "'<f4'");
  EXPECT_EQ(b.shape, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(b.data, one.columns[0]);
}

TEST(NpySink, OneDimensionalForASingleRow) {
  table_data d = dense_case(1, 5);
  d.schema.columns.resize(1);
  d.columns.resize(1);
  d.schema.one_dimensional = true;
  const npy_array a = file_and_stream(d);
  EXPECT_EQ(a.shape, std::vector<uint64_t>{5});
  EXPECT_EQ(a.data, d.columns[0]);
  table_data two = dense_case(2, 5);  // one_dimensional is for one row only
  two.schema.one_dimensional = true;
  EXPECT_EQ(file_and_stream(two).shape, (std::vector<uint64_t>{2, 5}));
}

TEST(NpySink, TableOfMixedTypes) {
  const table_data d = table_case();
  const npy_array a = file_and_stream(d);
  EXPECT_EQ(a.descr, "[('wavelength', '<f8'), ('flux', '<f4'), ('n', '<i4'), ]");
  EXPECT_EQ(a.field<double>("wavelength"), d.column<double>(0));
  EXPECT_EQ(a.field<int32_t>("n"), d.column<int32_t>(2));
}

TEST(NpySink, ZeroRows) {
  EXPECT_EQ(file_and_stream(ragged_case(0)).shape, std::vector<uint64_t>{0});
  EXPECT_EQ(file_and_stream(dense_case(0)).shape, (std::vector<uint64_t>{0, 4}));
  EXPECT_TRUE(file_and_stream(dense_case(0)).data.empty());
}

TEST(NpySink, AbandonedLeavesNoFile) {
  expect_abandon_leaves_nothing(output_format::npy, ragged_case());
  expect_abandon_keeps_older_file(output_format::npy, dense_case());
}

TEST(NpySink, StreamErrorsPropagate) { expect_stream_error_propagates(output_format::npy, dense_case()); }

}  // namespace
}  // namespace specmill::test
