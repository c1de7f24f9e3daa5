// The npz sink: every layout to a file and to a stream, read back by walking the ZIP records
// (CRC-32 checked) and parsing each member's .npy header.
#include <gtest/gtest.h>

#include "io/formats/npy.hpp"
#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::member;
using test_support::npz_member;
using test_support::parse_npz;

std::vector<std::string> names(const std::vector<npz_member>& z) {
  std::vector<std::string> out;
  for (const auto& m : z) out.push_back(m.name);
  return out;
}

// The same members, headers and data; only the framing (data descriptors) may differ.
void expect_same_members(const std::vector<npz_member>& a, const std::vector<npz_member>& b) {
  ASSERT_EQ(names(a), names(b));
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].array.descr, b[i].array.descr) << a[i].name;
    EXPECT_EQ(a[i].array.shape, b[i].array.shape) << a[i].name;
    EXPECT_EQ(a[i].array.data, b[i].array.data) << a[i].name;
  }
}

// A file is filled in place (CRC in each local header); a stream carries data descriptors.
// Both hold the same members.
std::vector<npz_member> file_and_stream(const table_data& d) {
  temp_dir dir;
  const auto file = parse_npz(write_file(output_format::npz, d, dir / "out.npz"));
  size_t chunks = 0;
  const auto stream = parse_npz(write_stream(output_format::npz, d, &chunks));
  EXPECT_GE(chunks, 1u);
  for (const auto& m : file) EXPECT_FALSE(m.data_descriptor) << m.name;
  for (const auto& m : stream) EXPECT_TRUE(m.data_descriptor) << m.name;
  expect_same_members(file, stream);
  expect_only(dir.path(), {"out.npz"});
  return file;
}

TEST(NpzSink, RaggedColumnsThenIndex) {
  const table_data d = ragged_case();
  const auto z = file_and_stream(d);
  EXPECT_EQ(names(z), (std::vector<std::string>{"flux", "and_mask", "offsets", "specobjid", "found"}));
  EXPECT_EQ(member(z, "flux").descr, "'<f4'");
  EXPECT_EQ(member(z, "flux").shape, std::vector<uint64_t>{10});
  EXPECT_EQ(member(z, "flux").data, d.columns[0]);
  EXPECT_EQ(member(z, "and_mask").descr, "'<i4'");
  EXPECT_EQ(member(z, "and_mask").data, d.columns[1]);
  EXPECT_EQ(member(z, "offsets").values<int64_t>(), d.schema.offsets);
  EXPECT_EQ(member(z, "specobjid").values<uint64_t>(), d.schema.specobjid);
  EXPECT_EQ(member(z, "found").descr, "'|b1'");
  EXPECT_EQ(member(z, "found").values<uint8_t>(), d.schema.found);
}

TEST(NpzSink, DenseColumnsThenGrid) {
  const table_data d = dense_case();
  const auto z = file_and_stream(d);
  EXPECT_EQ(names(z), (std::vector<std::string>{"flux", "ivar", "and_mask", "loglam", "wavelength", "specobjid", "found"}));
  for (size_t k = 0; k < 3; ++k) {
    EXPECT_EQ(z[k].array.shape, (std::vector<uint64_t>{3, 4}));
    EXPECT_EQ(z[k].array.data, d.columns[k]);
  }
  EXPECT_EQ(member(z, "loglam").values<double>(), d.schema.loglam);
  EXPECT_EQ(member(z, "wavelength").values<double>(), d.schema.wavelength);
  EXPECT_EQ(member(z, "found").values<uint8_t>(), d.schema.found);
}

TEST(NpzSink, TableWithMetadataAsJson) {
  const table_data d = table_case();
  const auto z = file_and_stream(d);
  EXPECT_EQ(names(z), (std::vector<std::string>{"wavelength", "flux", "n", "metadata"}));
  EXPECT_EQ(member(z, "wavelength").descr, "'<f8'");
  EXPECT_EQ(member(z, "wavelength").data, d.columns[0]);
  EXPECT_EQ(member(z, "n").data, d.columns[2]);
  EXPECT_EQ(member(z, "metadata").descr, "'|u1'");
  EXPECT_EQ(member(z, "metadata").data, R"({"specmill":"test","method":"median","sigma":3.0,"n_used":10,"tiles":2})");
}

TEST(NpzSink, FileBytesAreTheSequentialWritersBytes) {
  // The members declared up front and filled a window at a time land where npz_writer puts
  // them one after the other: the file is byte for byte what `get` wrote before the sinks.
  temp_dir dir;
  const table_data d = ragged_case();
  const std::string sink_bytes = write_file(output_format::npz, d, dir / "sink.npz");
  npz_writer w(dir / "sequential.npz");
  w.write_array<float>("flux", d.column<float>(0));
  w.write_array<int32_t>("and_mask", d.column<int32_t>(1));
  w.write_array<int64_t>("offsets", d.schema.offsets);
  w.write_array<uint64_t>("specobjid", d.schema.specobjid);
  w.begin_array("found", npy_dtype::b1, {d.schema.found.size()});
  w.append(d.schema.found.data(), d.schema.found.size());
  w.end_array();
  w.close();
  EXPECT_EQ(sink_bytes, test_support::read_bytes(dir / "sequential.npz"));
}

TEST(NpzSink, ZeroRows) {
  for (const table_data& d : {ragged_case(0), dense_case(0), table_case(0)}) {
    const auto z = file_and_stream(d);
    EXPECT_EQ(z.front().array.shape.front(), 0u);
    EXPECT_TRUE(z.front().array.data.empty());
  }
  EXPECT_EQ(member(file_and_stream(ragged_case(0)), "offsets").values<int64_t>(), std::vector<int64_t>{0});
  EXPECT_EQ(file_and_stream(dense_case(0)).front().array.shape, (std::vector<uint64_t>{0, 4}));
}

TEST(NpzSink, AbandonedLeavesNoFile) {
  expect_abandon_leaves_nothing(output_format::npz, ragged_case());
  expect_abandon_leaves_nothing(output_format::npz, dense_case());
  expect_abandon_keeps_older_file(output_format::npz, dense_case());
}

TEST(NpzSink, StreamErrorsPropagate) { expect_stream_error_propagates(output_format::npz, ragged_case()); }

TEST(NpzSink, WindowsOutOfOrderOrIncompleteAreInvalid) {
  temp_dir dir;
  const table_data d = dense_case();
  auto sink = begin_table(output_format::npz, d.schema, output_target(dir / "x.npz"));
  std::vector<const void*> ptrs{d.columns[0].data(), d.columns[1].data(), d.columns[2].data()};
  EXPECT_THROW(sink->append({1, 1, ptrs, {}, {}}), invalid_argument);  // row 0 comes first
  sink->append({0, 1, ptrs, {}, {}});
  EXPECT_THROW(sink->finish(), invalid_argument);  // rows 1 and 2 never came
  sink.reset();
  expect_only(dir.path(), {});
}

// Column passes (the REST reply's npz): all of column 0, then column 1, ... The stream's bytes
// are exactly those of windows of every column (which spool all but the first column), in any
// window sizes; a file, another format or a single column asks for no passes.
std::string stream_by_passes(const table_data& d, std::vector<size_t> window_rows) {
  std::string bytes;
  auto sink = begin_table(output_format::npz, d.schema,
                          output_target("(test stream)", [&](const char* p, size_t n) { bytes.append(p, n); }));
  EXPECT_TRUE(sink->column_passes());
  const table_schema& s = d.schema;
  for (size_t k = 0; k < d.columns.size(); ++k) {
    size_t row = 0, w = 0;
    while (row < s.rows()) {
      const size_t n = std::min<size_t>(window_rows[std::min(w++, window_rows.size() - 1)], s.rows() - row);
      const void* const one[] = {d.columns[k].data() + s.elements(0, row) * npy_itemsize(s.columns[k].type)};
      sink->append_column(k, {row, n, one, {}, {}});
      row += n;
    }
  }
  sink->finish();
  return bytes;
}

TEST(NpzSink, ColumnPassesGiveTheStreamsBytes) {
  for (const table_data& d : {dense_case(), dense_case(5, 3), ragged_case(), dense_case(0)}) {
    const std::string windows = write_stream(output_format::npz, d);
    EXPECT_EQ(stream_by_passes(d, {1}), windows);
    EXPECT_EQ(stream_by_passes(d, {2, 3}), windows);
    EXPECT_FALSE(windows.empty());
  }
}

TEST(NpzSink, ColumnPassesOnlyWhereTheyAvoidASpool) {
  temp_dir dir;
  const table_data d = dense_case();
  EXPECT_FALSE(begin_table(output_format::npz, d.schema, output_target(dir / "x.npz"))->column_passes());
  const auto stream = [](const char*, size_t) {};
  for (output_format f : {output_format::npy, output_format::csv, output_format::fits, output_format::hdf5})
    EXPECT_FALSE(begin_table(f, d.schema, output_target("(s)", stream))->column_passes()) << to_string(f);
  table_data one = d;
  one.schema.columns.resize(1);
  one.columns.resize(1);
  EXPECT_FALSE(begin_table(output_format::npz, one.schema, output_target("(s)", stream))->column_passes());
  // A file sink refuses passes; a stream sink refuses columns out of order and mixing the ways.
  auto file = begin_table(output_format::npz, d.schema, output_target(dir / "y.npz"));
  const void* const col0[] = {d.columns[0].data()};
  EXPECT_THROW(file->append_column(0, {0, 1, col0, {}, {}}), invalid_argument);
  auto s = begin_table(output_format::npz, d.schema, output_target("(s)", stream));
  const void* const col1[] = {d.columns[1].data()};
  EXPECT_THROW(s->append_column(1, {0, 1, col1, {}, {}}), invalid_argument);  // column 0 comes first
  s->append_column(0, {0, 1, col0, {}, {}});
  EXPECT_THROW(s->append_column(1, {0, 1, col1, {}, {}}), invalid_argument);  // column 0 is not complete
  std::vector<const void*> all{d.columns[0].data(), d.columns[1].data(), d.columns[2].data()};
  EXPECT_THROW(s->append({1, 1, all, {}, {}}), invalid_argument);  // windows of every column after passes
  const void* const rest0[] = {d.columns[0].data() + npy_itemsize(d.schema.columns[0].type) * d.schema.elements(0, 1)};
  s->append_column(0, {1, 2, rest0, {}, {}});
  EXPECT_THROW(s->finish(), invalid_argument);  // columns 1 and 2 never came
}

}  // namespace
}  // namespace specmill::test
