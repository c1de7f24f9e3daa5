// hdf5: the npz arrays as datasets of a plain HDF5 file, metadata as root attributes
// (io/formats/table_sink.hpp). Each column's dataset is created with its full shape up front
// and filled along its first dimension as windows arrive, so nothing is held in memory. HDF5
// writes a file by name: the sink writes a staged file that finish() renames into place or
// copies into a stream (byte_output.hpp). Objects carry no timestamps, so the same result gives
// the same bytes. Types are little-endian, as numpy and h5py expect.
#include <map>

#include "core/error.hpp"
#include "io/formats/byte_output.hpp"
#include "io/formats/sink_detail.hpp"
#include "io/formats/table_sink.hpp"
#include "io/store/hdf5_handle.hpp"

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
  throw invalid_argument("hdf5 output: unknown type");
}

// A file of named datasets, written by rows along the first dimension.
class h5_writer {
 public:
  explicit h5_writer(const std::filesystem::path& path) : path_(path) {
    h5::silence_errors();
    file_ = h5::file(h5::check(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                               "cannot create " + path.string()));
    dcpl_ = h5::plist(h5::check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
    h5::check(H5Pset_obj_track_times(dcpl_.get(), false), "H5Pset_obj_track_times");
  }

  void create(const std::string& name, npy_dtype type, std::vector<uint64_t> dims) {
    SPECMILL_EXPECTS(!datasets_.count(name), "hdf5 output: dataset " + name + " twice");
    std::vector<hsize_t> d(dims.begin(), dims.end());
    h5::dataspace space(h5::check(H5Screate_simple(int(d.size()), d.data(), nullptr), "H5Screate_simple"));
    h5::dataset ds(h5::check(H5Dcreate2(file_.get(), name.c_str(), file_type_of(type), space.get(), H5P_DEFAULT,
                                        dcpl_.get(), H5P_DEFAULT),
                             "H5Dcreate " + name + " in " + path_.string()));
    datasets_.emplace(name, dataset_info{std::move(ds), type, std::move(dims), 0});
  }

  // The next nrows rows along the first dimension (all of the others) from data.
  void append(const std::string& name, uint64_t nrows, const void* data) {
    auto& info = datasets_.at(name);
    const uint64_t row0 = info.next;
    SPECMILL_EXPECTS(!info.dims.empty() && nrows <= info.dims[0] - row0, "hdf5 output: rows out of range for " + name);
    info.next += nrows;
    if (nrows == 0) return;
    std::vector<hsize_t> start(info.dims.size(), 0), count(info.dims.begin(), info.dims.end());
    start[0] = row0;
    count[0] = nrows;
    h5::dataspace file_space(h5::check(H5Dget_space(info.ds.get()), "H5Dget_space"));
    h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
              "H5Sselect_hyperslab");
    h5::dataspace mem(h5::check(H5Screate_simple(int(count.size()), count.data(), nullptr), "H5Screate_simple"));
    h5::check(H5Dwrite(info.ds.get(), file_type_of(info.type), mem.get(), file_space.get(), H5P_DEFAULT, data),
              "H5Dwrite " + name + " in " + path_.string());
  }

  template <class T>
  void write(const std::string& name, npy_dtype type, const std::vector<T>& v) {
    create(name, type, {v.size()});
    append(name, v.size(), v.data());
  }

  void attribute(const std::string& name, std::string_view value) {  // on the root group
    h5::datatype t(h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    h5::check(H5Tset_size(t.get(), std::max<size_t>(1, value.size())), "H5Tset_size");
    h5::dataspace s(h5::check(H5Screate(H5S_SCALAR), "H5Screate"));
    h5::attribute a(h5::check(H5Acreate2(file_.get(), name.c_str(), t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT),
                              "H5Acreate " + name));
    std::string v(value);
    v.resize(std::max<size_t>(1, v.size()), '\0');
    h5::check(H5Awrite(a.get(), t.get(), v.data()), "H5Awrite " + name);
  }

  void close() {
    datasets_.clear();
    dcpl_.reset();
    h5::check(file_.close(), "closing " + path_.string());
  }

 private:
  struct dataset_info {
    h5::dataset ds;
    npy_dtype type;
    std::vector<uint64_t> dims;
    uint64_t next = 0;  // rows written
  };
  std::filesystem::path path_;
  h5::file file_;
  h5::plist dcpl_;
  std::map<std::string, dataset_info> datasets_;
};

class hdf5_sink final : public table_sink {
 public:
  hdf5_sink(table_schema s, output_target target)
      : table_sink(s.layout, s.rows(), s.columns.size()),
        s_(std::move(s)), staged_(std::move(target)), h5_(staged_.path()) {
    for (const auto& c : s_.columns) {
      switch (s_.layout) {
        case table_layout::ragged: h5_.create(c.name, c.type, {uint64_t(s_.offsets.back())}); break;
        case table_layout::dense: h5_.create(c.name, c.type, {s_.rows(), uint64_t(s_.width)}); break;
        case table_layout::table: h5_.create(c.name, c.type, {s_.n_rows}); break;
      }
    }
  }

  // One path for every layout: the arrays are written as the schema laid them out.
  void append_ragged(const table_window& w) override { append_rows(w); }
  void append_dense(const table_window& w) override { append_rows(w); }
  void append_table(const table_window& w) override { append_rows(w); }

  void append_rows(const table_window& w) {
    // Ragged columns are 1-D over pixels; dense and table ones have a row per row.
    const uint64_t n = s_.layout == table_layout::ragged ? s_.elements(w.row0, w.nrows) : w.nrows;
    for (size_t k = 0; k < s_.columns.size(); ++k) h5_.append(s_.columns[k].name, n, w.columns[k]);
  }

  void finish() override {
    check_complete();
    switch (s_.layout) {
      case table_layout::ragged:
        h5_.write("offsets", npy_dtype::i8, s_.offsets);
        h5_.write("specobjid", npy_dtype::u8, s_.specobjid);
        h5_.write("found", npy_dtype::b1, s_.found);
        break;
      case table_layout::dense:
        h5_.write("loglam", npy_dtype::f8, s_.loglam);
        h5_.write("wavelength", npy_dtype::f8, s_.wavelength);
        h5_.write("specobjid", npy_dtype::u8, s_.specobjid);
        h5_.write("found", npy_dtype::b1, s_.found);
        break;
      case table_layout::table: break;
    }
    for (const auto& item : s_.metadata) h5_.attribute(item.key, formats_detail::metadata_text(item));
    h5_.close();
    staged_.commit();
  }

 private:
  table_schema s_;
  staged_file staged_;
  h5_writer h5_;
};

}  // namespace

std::unique_ptr<table_sink> begin_hdf5(table_schema schema, output_target target) {
  return std::make_unique<hdf5_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
