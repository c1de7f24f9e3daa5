#pragma once
// A plain HDF5 file of named arrays for `get --format hdf5`: each dataset is created with its
// full shape up front and filled along its first dimension as windows of results arrive, so
// nothing is held in memory. Types follow npy_dtype (little-endian, as numpy and h5py expect).
// The file is written to path + ".tmp" and renamed by close(); a writer destroyed before a
// successful close() removes the unfinished file.
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "io/store/hdf5_handle.hpp"
#include "io/formats/npy.hpp"

namespace specmill {

class h5_output {
 public:
  explicit h5_output(const std::filesystem::path& path);
  ~h5_output();
  h5_output(const h5_output&) = delete;
  h5_output& operator=(const h5_output&) = delete;

  void create(const std::string& name, npy_dtype type, std::vector<uint64_t> dims);
  // Rows [row0, row0 + nrows) along the first dimension (all of the others) from data.
  void write(const std::string& name, uint64_t row0, uint64_t nrows, const void* data);
  void attribute(const std::string& name, std::string_view value);  // on the root group
  void close();

 private:
  struct dataset_info {
    h5::dataset ds;
    npy_dtype type;
    std::vector<uint64_t> dims;
  };
  std::filesystem::path path_, tmp_;
  h5::file file_;
  std::map<std::string, dataset_info> datasets_;
  bool closed_ = false;
};

}  // namespace specmill
