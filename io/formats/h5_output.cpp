#include "io/formats/h5_output.hpp"

#include <system_error>

#include "core/error.hpp"

namespace specmill {
namespace {

hid_t file_type_of(npy_dtype t) {
  switch (t) {
    case npy_dtype::f4: return H5T_IEEE_F32LE;
    case npy_dtype::f8: return H5T_IEEE_F64LE;
    case npy_dtype::i2: return H5T_STD_I16LE;
    case npy_dtype::i4: return H5T_STD_I32LE;
    case npy_dtype::i8: return H5T_STD_I64LE;
    case npy_dtype::u1:
    case npy_dtype::b1: return H5T_STD_U8LE;
    case npy_dtype::u8: return H5T_STD_U64LE;
  }
  throw invalid_argument("h5_output: unknown type");
}

}  // namespace

h5_output::h5_output(const std::filesystem::path& path) : path_(path), tmp_(path.string() + ".tmp") {
  h5::silence_errors();
  file_ = h5::file(h5::check(H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                             "cannot create " + tmp_.string()));
}

h5_output::~h5_output() {
  if (closed_) return;
  datasets_.clear();
  file_.reset();
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
}

void h5_output::create(const std::string& name, npy_dtype type, std::vector<uint64_t> dims) {
  SPECMILL_EXPECTS(!closed_ && !datasets_.count(name), "h5_output: dataset " + name + " exists or file closed");
  std::vector<hsize_t> d(dims.begin(), dims.end());
  h5::dataspace space(h5::check(H5Screate_simple(int(d.size()), d.data(), nullptr), "H5Screate_simple"));
  h5::dataset ds(h5::check(H5Dcreate2(file_.get(), name.c_str(), file_type_of(type), space.get(), H5P_DEFAULT,
                                      H5P_DEFAULT, H5P_DEFAULT),
                           "H5Dcreate " + name + " in " + tmp_.string()));
  datasets_.emplace(name, dataset_info{std::move(ds), type, std::move(dims)});
}

void h5_output::write(const std::string& name, uint64_t row0, uint64_t nrows, const void* data) {
  auto it = datasets_.find(name);
  SPECMILL_EXPECTS(it != datasets_.end() && !closed_, "h5_output: no dataset " + name);
  auto& info = it->second;
  SPECMILL_EXPECTS(!info.dims.empty() && row0 <= info.dims[0] && nrows <= info.dims[0] - row0,
                   "h5_output: rows out of range for " + name);
  if (nrows == 0) return;
  std::vector<hsize_t> start(info.dims.size(), 0), count(info.dims.begin(), info.dims.end());
  start[0] = row0;
  count[0] = nrows;
  h5::dataspace file_space(h5::check(H5Dget_space(info.ds.get()), "H5Dget_space"));
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
  h5::dataspace mem(h5::check(H5Screate_simple(int(count.size()), count.data(), nullptr), "H5Screate_simple"));
  h5::check(H5Dwrite(info.ds.get(), file_type_of(info.type), mem.get(), file_space.get(), H5P_DEFAULT, data),
            "H5Dwrite " + name + " in " + tmp_.string());
}

void h5_output::attribute(const std::string& name, std::string_view value) {
  h5::datatype t(h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
  h5::check(H5Tset_size(t.get(), std::max<size_t>(1, value.size())), "H5Tset_size");
  h5::dataspace s(h5::check(H5Screate(H5S_SCALAR), "H5Screate"));
  h5::attribute a(h5::check(H5Acreate2(file_.get(), name.c_str(), t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT),
                            "H5Acreate " + name));
  std::string v(value);
  v.resize(std::max<size_t>(1, v.size()), '\0');
  h5::check(H5Awrite(a.get(), t.get(), v.data()), "H5Awrite " + name);
}

void h5_output::close() {
  SPECMILL_EXPECTS(!closed_, "h5_output: closed twice");
  datasets_.clear();
  h5::check(file_.close(), "closing " + tmp_.string());
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw io_error("cannot rename " + tmp_.string() + " to " + path_.string() + ": " + ec.message());
  closed_ = true;
}

}  // namespace specmill
