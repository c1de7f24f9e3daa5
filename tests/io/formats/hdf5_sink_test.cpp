// The hdf5 sink: the npz arrays as datasets, metadata as attributes, to a file and to a stream
// (the same bytes: a stream gets the staged file, and objects carry no timestamps), read back
// through io/store's HDF5 handles.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::h5_attribute;
using test_support::h5_names;
using test_support::h5_read;
using test_support::h5_values;

fs::path file_and_stream(const table_data& d, const temp_dir& dir) {
  const fs::path p = dir / "out.h5";
  const std::string file = write_file(output_format::hdf5, d, p);
  EXPECT_EQ(file, write_stream(output_format::hdf5, d));
  expect_only(dir.path(), {"out.h5"});
  return p;
}

TEST(Hdf5Sink, RaggedDatasetsAndContext) {
  temp_dir dir;
  const table_data d = ragged_case();
  const fs::path p = file_and_stream(d, dir);
  auto sorted = std::vector<std::string>{"and_mask", "flux", "found", "offsets", "specobjid"};
  EXPECT_EQ(h5_names(p), sorted);
  const auto flux = h5_read(p, "flux", H5T_NATIVE_FLOAT);
  EXPECT_EQ(flux.dims, std::vector<uint64_t>{10});
  EXPECT_EQ(flux.data, d.columns[0]);
  EXPECT_EQ(h5_read(p, "and_mask", H5T_NATIVE_INT32).data, d.columns[1]);
  EXPECT_EQ(h5_values<int64_t>(h5_read(p, "offsets", H5T_NATIVE_INT64)), d.schema.offsets);
  EXPECT_EQ(h5_values<uint64_t>(h5_read(p, "specobjid", H5T_NATIVE_UINT64)), d.schema.specobjid);
  EXPECT_EQ(h5_values<uint8_t>(h5_read(p, "found", H5T_NATIVE_UINT8)), d.schema.found);
  EXPECT_EQ(h5_attribute(p, "context"), "sdss_dr16");
}

TEST(Hdf5Sink, DenseDatasetsGridAndAttributes) {
  temp_dir dir;
  const table_data d = dense_case();
  const fs::path p = file_and_stream(d, dir);
  for (size_t k = 0; k < 3; ++k) {
    const auto ds = h5_read(p, d.schema.columns[k].name, k == 2 ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT);
    EXPECT_EQ(ds.dims, (std::vector<uint64_t>{3, 4}));
    EXPECT_EQ(ds.data, d.columns[k]);
  }
  EXPECT_EQ(h5_values<double>(h5_read(p, "loglam", H5T_NATIVE_DOUBLE)), d.schema.loglam);
  EXPECT_EQ(h5_values<double>(h5_read(p, "wavelength", H5T_NATIVE_DOUBLE)), d.schema.wavelength);
  EXPECT_EQ(h5_attribute(p, "grid"), "lattice 35500+4 (loglam = index * 1e-4)");
  EXPECT_EQ(h5_attribute(p, "context"), "sdss_dr16");
}

TEST(Hdf5Sink, SameResultSameBytes) {
  // No object timestamps: written a second later, the file is the same.
  temp_dir dir;
  const table_data d = dense_case();
  const std::string a = write_file(output_format::hdf5, d, dir / "a.h5");
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  EXPECT_EQ(a, write_file(output_format::hdf5, d, dir / "b.h5"));
}

TEST(Hdf5Sink, ZeroRows) {
  temp_dir dir;
  const fs::path p = file_and_stream(dense_case(0), dir);
  EXPECT_EQ(h5_read(p, "flux", H5T_NATIVE_FLOAT).dims, (std::vector<uint64_t>{0, 4}));
  fs::remove(p);
  const fs::path q = file_and_stream(ragged_case(0), dir);
  EXPECT_EQ(h5_read(q, "flux", H5T_NATIVE_FLOAT).dims, std::vector<uint64_t>{0});
  EXPECT_EQ(h5_values<int64_t>(h5_read(q, "offsets", H5T_NATIVE_INT64)), std::vector<int64_t>{0});
}

TEST(Hdf5Sink, AbandonedLeavesNoFile) {
  expect_abandon_leaves_nothing(output_format::hdf5, ragged_case());
  expect_abandon_keeps_older_file(output_format::hdf5, dense_case());
}

TEST(Hdf5Sink, StreamErrorsPropagateAndTheStagedFileGoes) {
  temp_dir tmp;
  scoped_tmpdir in(tmp.path());
  expect_stream_error_propagates(output_format::hdf5, ragged_case());
  expect_only(tmp.path(), {});
}

}  // namespace
}  // namespace specmill::test
