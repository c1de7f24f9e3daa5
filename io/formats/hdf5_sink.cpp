// hdf5: the npz arrays as datasets of a plain HDF5 file, metadata as root attributes
// (io/formats/table_sink.hpp). Each column's dataset is created with its full shape up front
// and filled along its first dimension as windows arrive, so nothing is held in memory. HDF5
// writes a file by name: the sink writes a staged file that finish() renames into place or
// copies into a stream (byte_output.hpp). Objects carry no timestamps, so the same result gives
// the same bytes. Types are little-endian, as numpy and h5py expect.
#include <cstring>
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
    create_typed(name, file_type_of(type), h5::datatype{}, std::move(dims));
  }

  // A fixed-length string dataset of `width` bytes an element, NUL-padded (h5py reads |S<width>).
  void create_text(const std::string& name, size_t width, std::vector<uint64_t> dims) {
    h5::datatype t(h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    h5::check(H5Tset_size(t.get(), width), "H5Tset_size");
    h5::check(H5Tset_strpad(t.get(), H5T_STR_NULLPAD), "H5Tset_strpad");
    const hid_t id = t.get();
    create_typed(name, id, std::move(t), std::move(dims));
  }

  // A group at the root, without timestamps like the datasets.
  void create_group(const std::string& name) {
    h5::plist gcpl(h5::check(H5Pcreate(H5P_GROUP_CREATE), "H5Pcreate"));
    h5::check(H5Pset_obj_track_times(gcpl.get(), false), "H5Pset_obj_track_times");
    h5::group g(h5::check(H5Gcreate2(file_.get(), name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                          "H5Gcreate " + name + " in " + path_.string()));
  }

  // type: the file type, also the memory type (little-endian host); `owned` keeps a built one.
  void create_typed(const std::string& name, hid_t type, h5::datatype owned, std::vector<uint64_t> dims) {
    SPECMILL_EXPECTS(!datasets_.count(name), "hdf5 output: dataset " + name + " twice");
    std::vector<hsize_t> d(dims.begin(), dims.end());
    h5::dataspace space(h5::check(H5Screate_simple(int(d.size()), d.data(), nullptr), "H5Screate_simple"));
    h5::dataset ds(h5::check(H5Dcreate2(file_.get(), name.c_str(), type, space.get(), H5P_DEFAULT,
                                        dcpl_.get(), H5P_DEFAULT),
                             "H5Dcreate " + name + " in " + path_.string()));
    datasets_.emplace(name, dataset_info{std::move(ds), type, std::move(owned), std::move(dims), 0});
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
    h5::check(H5Dwrite(info.ds.get(), info.type, mem.get(), file_space.get(), H5P_DEFAULT, data),
              "H5Dwrite " + name + " in " + path_.string());
  }

  template <class T>
  void write(const std::string& name, npy_dtype type, const std::vector<T>& v) {
    create(name, type, {v.size()});
    append(name, v.size(), v.data());
  }

  void attribute(const std::string& name, std::string_view value) { attribute(file_.get(), name, value); }
  // On the dataset `dataset` (created before).
  void dataset_attribute(const std::string& dataset, const std::string& name, std::string_view value) {
    attribute(datasets_.at(dataset).ds.get(), name, value);
  }

  void attribute(hid_t on, const std::string& name, std::string_view value) {
    h5::datatype t(h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
    h5::check(H5Tset_size(t.get(), std::max<size_t>(1, value.size())), "H5Tset_size");
    h5::dataspace s(h5::check(H5Screate(H5S_SCALAR), "H5Screate"));
    h5::attribute a(h5::check(H5Acreate2(on, name.c_str(), t.get(), s.get(), H5P_DEFAULT, H5P_DEFAULT),
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
    hid_t type;           // file and memory type
    h5::datatype owned;   // a built type (text), else empty
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
    if (!s_.meta.empty()) create_meta();
    watch_schema(s_);
  }

  // One path for every layout: the arrays are written as the schema laid them out.
  void append_ragged(const table_window& w) override { append_rows(w); }
  void append_dense(const table_window& w) override { append_rows(w); }
  void append_table(const table_window& w) override { append_rows(w); }

  void append_rows(const table_window& w) {
    // Ragged columns are 1-D over pixels; dense and table ones have a row per row.
    const uint64_t n = s_.layout == table_layout::ragged ? s_.elements(w.row0, w.nrows) : w.nrows;
    for (size_t k = 0; k < s_.columns.size(); ++k) h5_.append(s_.columns[k].name, n, w.columns[k]);
    if (!s_.meta.empty()) append_meta(w.meta);
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
  // Group `meta`: one dataset per catalog column over the found rows, each with its unit (an
  // empty string for none) as attribute `units`, so h5py reads f["meta/z"] and its .attrs.
  void create_meta() {
    uint64_t found = 0;
    for (uint8_t f : s_.found) found += f ? 1 : 0;
    h5_.create_group("meta");
    for (const auto& c : s_.meta.columns) {
      const std::string name = "meta/" + c.name;
      switch (c.type) {
        case meta_type::i4: h5_.create(name, npy_dtype::i4, {found}); break;
        case meta_type::i8: h5_.create(name, npy_dtype::i8, {found}); break;
        case meta_type::u8: h5_.create(name, npy_dtype::u8, {found}); break;
        case meta_type::f8: h5_.create(name, npy_dtype::f8, {found}); break;
        case meta_type::text: h5_.create_text(name, c.width, {found}); break;
      }
      h5_.dataset_attribute(name, "units", c.unit);
    }
  }

  // The window's records taken apart column by column (HDF5 writes each dataset contiguous).
  void append_meta(const meta_window& m) {
    const size_t rec = s_.meta.record_bytes();
    const auto* records = static_cast<const char*>(m.records);
    for (size_t k = 0; k < s_.meta.columns.size(); ++k) {
      const size_t size = s_.meta.size(k), at = s_.meta.offset(k);
      column_.resize(m.rows * size);
      for (size_t r = 0; r < m.rows; ++r) std::memcpy(column_.data() + r * size, records + r * rec + at, size);
      h5_.append("meta/" + s_.meta.columns[k].name, m.rows, column_.data());
    }
  }

  table_schema s_;
  staged_file staged_;
  h5_writer h5_;
  std::vector<char> column_;  // append_meta's one column of a window
};

}  // namespace

std::unique_ptr<table_sink> begin_hdf5(table_schema schema, output_target target) {
  return std::make_unique<hdf5_sink>(std::move(schema), std::move(target));
}

}  // namespace specmill
