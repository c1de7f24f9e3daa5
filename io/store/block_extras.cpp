// Group `extra` of the block files (io/store/block_extras.hpp, docs/store-format.md): the
// builder's side (add with extras, accepts, the write) and the reader's (open, row reads).
// Every dataset is written one row at a time from the builder's own vectors, so the write
// needs no padded copy of these large arrays (a DESI row's resolution alone is 342 KB).
#include "io/store/block_hdf5.hpp"

#include <algorithm>
#include <cstring>
#include <string>

namespace specmill {
namespace {

constexpr char group_name[] = "extra";

std::string camera_group(char name) { return std::string("camera_") + name; }

// [dims...] dataset of `type`, contiguous and allocated at creation, fill value 0.
h5::dataset create(hid_t parent, const char* name, hid_t type, std::initializer_list<hsize_t> dims) {
  const std::vector<hsize_t> d(dims);
  h5::dataspace space(h5::check(H5Screate_simple(int(d.size()), d.data(), nullptr), "H5Screate_simple"));
  h5::plist dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  h5::check(H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS), "H5Pset_layout");
  h5::check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  const uint64_t zero = 0;
  h5::check(H5Pset_fill_value(dcpl.get(), type, &zero), "H5Pset_fill_value");
  return h5::dataset(h5::check(H5Dcreate2(parent, name, type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
                               std::string("H5Dcreate extra ") + name));
}

// Writes (or reads) `count` elements at `start` of a dataset from (into) a packed buffer.
void transfer(hid_t ds, hid_t mem_type, std::initializer_list<hsize_t> start, std::initializer_list<hsize_t> count,
              void* buf, bool write, const std::string& what) {
  h5::dataspace file_space(h5::check(H5Dget_space(ds), "H5Dget_space"));
  const std::vector<hsize_t> s(start), c(count);
  h5::check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, s.data(), nullptr, c.data(), nullptr),
            "H5Sselect_hyperslab");
  hsize_t n = 1;
  for (hsize_t k : c) n *= k;
  h5::dataspace mem(h5::check(H5Screate_simple(1, &n, nullptr), "H5Screate_simple"));
  if (n == 0) return;
  if (write)
    h5::check(H5Dwrite(ds, mem_type, mem.get(), file_space.get(), H5P_DEFAULT, buf), "H5Dwrite " + what);
  else
    h5::check(H5Dread(ds, mem_type, mem.get(), file_space.get(), H5P_DEFAULT, buf), "H5Dread " + what);
}

void put(hid_t ds, hid_t mem_type, std::initializer_list<hsize_t> start, std::initializer_list<hsize_t> count,
         const void* buf, const std::string& what) {
  transfer(ds, mem_type, start, count, const_cast<void*>(buf), true, what);
}

bool same_layout(const camera_arrays& a, const camera_arrays& b) {
  return a.name == b.name && a.lattice_start == b.lattice_start && a.npix() == b.npix() &&
         a.wavelength == b.wavelength && a.resolution.size() == b.resolution.size();
}

}  // namespace

namespace detail {

void check_extras(const sdss_spectrum& s, const spectrum_extras& x) {
  const size_t n = s.data.npix();
  const std::string who = "block_builder: spectrum " + std::to_string(s.meta.specobjid);
  SPECMILL_EXPECTS(x.resolution.size() % n == 0, who + ": resolution is not a whole number of diagonals");
  for (const auto& c : x.cameras) {
    SPECMILL_EXPECTS(c.npix() > 0 && c.ivar.size() == c.npix() && c.mask.size() == c.npix() &&
                         c.wavelength.size() == c.npix() && c.resolution.size() % c.npix() == 0,
                     who + ": camera " + std::string(1, c.name) + " has arrays of unequal length");
    for (const auto& d : x.cameras)
      SPECMILL_EXPECTS(&c == &d || c.name != d.name, who + ": camera " + std::string(1, c.name) + " twice");
  }
}

}  // namespace detail

bool block_builder::accepts(const spectrum_extras& x) const {
  if (rows_.empty()) return true;
  if (extras_.empty()) return x.empty();
  const spectrum_extras& first = extras_.front();
  if ((x.resolution.empty() != first.resolution.empty()) || x.cameras.size() != first.cameras.size()) return false;
  for (size_t c = 0; c < x.cameras.size(); ++c)
    if (!same_layout(x.cameras[c], first.cameras[c])) return false;
  return true;
}

namespace detail {

void write_block_extras(hid_t file, const std::vector<block_row_meta>& rows,
                        const std::vector<spectrum_extras>& extras, int32_t block_lattice_start, size_t n_pixels) {
  if (extras.empty() || extras.front().empty()) return;
  const size_t n = rows.size();
  h5::group g(h5::check(H5Gcreate2(file, group_name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate extra"));
  const spectrum_extras& first = extras.front();
  if (!first.resolution.empty()) {
    const hsize_t diagonals = first.resolution.size() / size_t(rows.front().npix);
    h5::dataset ds = create(g.get(), "resolution", H5T_IEEE_F32LE, {n, diagonals, n_pixels});
    for (size_t r = 0; r < n; ++r)
      put(ds.get(), H5T_NATIVE_FLOAT, {r, 0, hsize_t(rows[r].lattice_start - block_lattice_start)},
          {1, diagonals, hsize_t(rows[r].npix)}, extras[r].resolution.data(), "extra/resolution");
    h5::check(ds.close(), "H5Dclose extra/resolution");
  }
  for (size_t c = 0; c < first.cameras.size(); ++c) {
    const camera_arrays& cam = first.cameras[c];
    const std::string name = camera_group(cam.name);
    h5::group cg(h5::check(H5Gcreate2(g.get(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           "H5Gcreate extra/" + name));
    {
      h5::dataspace scalar(h5::check(H5Screate(H5S_SCALAR), "H5Screate"));
      h5::attribute a(h5::check(H5Acreate2(cg.get(), "lattice_start", H5T_STD_I32LE, scalar.get(), H5P_DEFAULT,
                                           H5P_DEFAULT), "H5Acreate lattice_start"));
      h5::check(H5Awrite(a.get(), H5T_NATIVE_INT32, &cam.lattice_start), "H5Awrite lattice_start");
    }
    const hsize_t npix = cam.npix();
    h5::dataset wave = create(cg.get(), "wavelength", H5T_IEEE_F64LE, {npix});
    put(wave.get(), H5T_NATIVE_DOUBLE, {0}, {npix}, cam.wavelength.data(), name + "/wavelength");
    h5::check(wave.close(), "H5Dclose wavelength");
    auto rows_of = [&](const char* what, hid_t ftype, hid_t mtype, auto member, hsize_t per_row_diagonals) {
      h5::dataset ds = per_row_diagonals ? create(cg.get(), what, ftype, {n, per_row_diagonals, npix})
                                         : create(cg.get(), what, ftype, {n, npix});
      for (size_t r = 0; r < n; ++r) {
        const auto& v = extras[r].cameras[c].*member;
        if (per_row_diagonals)
          put(ds.get(), mtype, {r, 0, 0}, {1, per_row_diagonals, npix}, v.data(), name + "/" + what);
        else
          put(ds.get(), mtype, {r, 0}, {1, npix}, v.data(), name + "/" + what);
      }
      h5::check(ds.close(), std::string("H5Dclose ") + what);
    };
    rows_of("flux", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &camera_arrays::flux, 0);
    rows_of("ivar", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &camera_arrays::ivar, 0);
    rows_of("mask", H5T_STD_U32LE, H5T_NATIVE_UINT32, &camera_arrays::mask, 0);
    if (!cam.resolution.empty())
      rows_of("resolution", H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, &camera_arrays::resolution, cam.resolution.size() / npix);
  }
}

namespace {

struct dataset_shape {
  H5T_class_t type_class;
  size_t type_size;
  std::vector<hsize_t> dims;
};

dataset_shape shape_of(hid_t ds) {
  h5::datatype t(h5::check(H5Dget_type(ds), "H5Dget_type"));
  h5::dataspace s(h5::check(H5Dget_space(ds), "H5Dget_space"));
  const int nd = H5Sget_simple_extent_ndims(s.get());
  std::vector<hsize_t> dims(size_t(std::max(nd, 0)));
  if (nd > 0) H5Sget_simple_extent_dims(s.get(), dims.data(), nullptr);
  return {H5Tget_class(t.get()), H5Tget_size(t.get()), dims};
}

h5::dataset open_checked(hid_t parent, const std::string& path, H5T_class_t cls, size_t size,
                         const std::vector<hsize_t>& dims, const std::string& where) {
  SPECMILL_DATA_CHECK(h5::check(H5Lexists(parent, path.c_str(), H5P_DEFAULT), "H5Lexists") > 0,
                      "block file: missing dataset extra/" + path + where);
  h5::dataset ds(h5::check(H5Dopen2(parent, path.c_str(), H5P_DEFAULT), "H5Dopen extra/" + path + where));
  const dataset_shape s = shape_of(ds.get());
  SPECMILL_DATA_CHECK(s.type_class == cls && s.type_size == size && s.dims == dims,
                      "block file: dataset extra/" + path + " has the wrong type or shape" + where);
  return ds;
}

// Diagonals of a [n][D][width] dataset, checked against n and width.
hsize_t diagonals_of(hid_t ds, size_t n, size_t width, const std::string& what, const std::string& where) {
  const dataset_shape s = shape_of(ds);
  SPECMILL_DATA_CHECK(s.type_class == H5T_FLOAT && s.type_size == 4 && s.dims.size() == 3 && s.dims[0] == n &&
                          s.dims[1] >= 1 && s.dims[1] <= 1000 && s.dims[2] == width,
                      "block file: dataset extra/" + what + " is not float32 [n_spectra][diagonals][pixels]" + where);
  return s.dims[1];
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* out) {
  static_cast<std::vector<std::string>*>(out)->emplace_back(name);
  return 0;
}

}  // namespace

std::shared_ptr<const block_extra_datasets> open_block_extras(hid_t file, size_t n_spectra, size_t n_pixels,
                                                              const std::string& where) {
  if (h5::check(H5Lexists(file, group_name, H5P_DEFAULT), "H5Lexists extra") <= 0) return nullptr;
  auto x = std::make_shared<block_extra_datasets>();
  h5::group g(h5::check(H5Gopen2(file, group_name, H5P_DEFAULT), "H5Gopen extra" + where));
  std::vector<std::string> names;
  h5::check(H5Literate(g.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names), "H5Literate extra");
  for (const std::string& name : names) {
    if (name == "resolution") {
      x->resolution = h5::dataset(h5::check(H5Dopen2(g.get(), "resolution", H5P_DEFAULT), "H5Dopen extra/resolution"));
      x->resolution_diagonals = int32_t(diagonals_of(x->resolution.get(), n_spectra, n_pixels, name, where));
      continue;
    }
    SPECMILL_DATA_CHECK(name.size() == 8 && name.rfind("camera_", 0) == 0,
                        "block file: unknown member extra/" + name + where);
    h5::group cg(h5::check(H5Gopen2(g.get(), name.c_str(), H5P_DEFAULT), "H5Gopen extra/" + name + where));
    block_camera cam;
    cam.name = name.back();
    SPECMILL_DATA_CHECK(H5Aexists(cg.get(), "lattice_start") > 0,
                        "block file: extra/" + name + " has no lattice_start" + where);
    {
      h5::attribute a(h5::check(H5Aopen(cg.get(), "lattice_start", H5P_DEFAULT), "H5Aopen lattice_start"));
      h5::check(H5Aread(a.get(), H5T_NATIVE_INT32, &cam.lattice_start), "H5Aread lattice_start");
    }
    h5::dataset wave(h5::check(H5Dopen2(cg.get(), "wavelength", H5P_DEFAULT), "H5Dopen extra/" + name + "/wavelength"));
    const dataset_shape ws = shape_of(wave.get());
    SPECMILL_DATA_CHECK(ws.type_class == H5T_FLOAT && ws.type_size == 8 && ws.dims.size() == 1 && ws.dims[0] > 0,
                        "block file: extra/" + name + "/wavelength is not float64 [pixels]" + where);
    cam.npix = size_t(ws.dims[0]);
    cam.wavelength.resize(cam.npix);
    h5::check(H5Dread(wave.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, cam.wavelength.data()),
              "H5Dread wavelength");
    const std::vector<hsize_t> rows = {n_spectra, cam.npix};
    block_extra_datasets::camera_datasets d;
    d.flux = open_checked(cg.get(), "flux", H5T_FLOAT, 4, rows, where);
    d.ivar = open_checked(cg.get(), "ivar", H5T_FLOAT, 4, rows, where);
    d.mask = open_checked(cg.get(), "mask", H5T_INTEGER, 4, rows, where);
    if (h5::check(H5Lexists(cg.get(), "resolution", H5P_DEFAULT), "H5Lexists") > 0) {
      d.resolution = h5::dataset(h5::check(H5Dopen2(cg.get(), "resolution", H5P_DEFAULT), "H5Dopen resolution"));
      cam.resolution_diagonals = int32_t(diagonals_of(d.resolution.get(), n_spectra, cam.npix, name + "/resolution", where));
    }
    x->cameras.push_back(std::move(cam));
    x->camera_data.push_back(std::move(d));
  }
  return x;
}

}  // namespace detail

int32_t block_reader::resolution_diagonals() const { return extras_ ? extras_->resolution_diagonals : 0; }

const std::vector<block_camera>& block_reader::cameras() const {
  static const std::vector<block_camera> none;
  return extras_ ? extras_->cameras : none;
}

const block_camera* block_reader::camera(char name) const {
  for (const auto& c : cameras())
    if (c.name == name) return &c;
  return nullptr;
}

std::vector<float> block_reader::read_resolution(size_t row) const {
  SPECMILL_EXPECTS(resolution_diagonals() > 0, "block " + path_.string() + " stores no resolution");
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::read_resolution: row out of range");
  std::vector<float> out(size_t(resolution_diagonals()) * size_t(rows_[row].npix));
  read_resolution(row, out);
  return out;
}

void block_reader::read_resolution(size_t row, std::span<float> dst) const {
  h5::silence_errors();
  SPECMILL_EXPECTS(resolution_diagonals() > 0, "block " + path_.string() + " stores no resolution");
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::read_resolution: row out of range");
  const block_row_meta& r = rows_[row];
  const hsize_t d = hsize_t(resolution_diagonals());
  SPECMILL_EXPECTS(dst.size() == d * size_t(r.npix), "block_reader::read_resolution: the destination holds " +
                                                         std::to_string(dst.size()) + " values, the row's resolution " +
                                                         std::to_string(d * size_t(r.npix)));
  transfer(extras_->resolution.get(), H5T_NATIVE_FLOAT, {row, 0, hsize_t(r.lattice_start - lattice_start_)},
           {1, d, hsize_t(r.npix)}, dst.data(), false, "extra/resolution (" + path_.string() + ")");
}

camera_arrays block_reader::read_camera(size_t row, char name, bool with_resolution) const {
  h5::silence_errors();
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::read_camera: row out of range");
  const block_camera* cam = camera(name);
  SPECMILL_EXPECTS(cam != nullptr, "block " + path_.string() + " stores no camera " + std::string(1, name));
  const auto& d = extras_->camera_data[size_t(cam - extras_->cameras.data())];
  SPECMILL_EXPECTS(!with_resolution || cam->resolution_diagonals > 0,
                   "block " + path_.string() + " stores no resolution of camera " + std::string(1, name));
  camera_arrays out;
  out.name = name;
  out.lattice_start = cam->lattice_start;
  out.wavelength = cam->wavelength;
  const hsize_t n = cam->npix;
  const std::string where = " (" + path_.string() + ")";
  out.flux.resize(n);
  out.ivar.resize(n);
  out.mask.resize(n);
  transfer(d.flux.get(), H5T_NATIVE_FLOAT, {row, 0}, {1, n}, out.flux.data(), false, "camera flux" + where);
  transfer(d.ivar.get(), H5T_NATIVE_FLOAT, {row, 0}, {1, n}, out.ivar.data(), false, "camera ivar" + where);
  transfer(d.mask.get(), H5T_NATIVE_UINT32, {row, 0}, {1, n}, out.mask.data(), false, "camera mask" + where);
  if (with_resolution) {
    const hsize_t k = hsize_t(cam->resolution_diagonals);
    out.resolution.resize(k * n);
    transfer(d.resolution.get(), H5T_NATIVE_FLOAT, {row, 0, 0}, {1, k, n}, out.resolution.data(), false,
             "camera resolution" + where);
  }
  return out;
}

}  // namespace specmill
