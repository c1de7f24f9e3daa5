#pragma once
// Readers for what io/formats writes, for the sink and engine tests: .npy by parsing its header,
// .npz by walking the ZIP records (CRC-32 checked), csv lines, FITS tables through io/fits
// (fits_file plus CFITSIO reads), HDF5 datasets through io/store's HDF5 handles.
#include <zlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "io/fits/fits_native.hpp"
#include "io/store/hdf5_handle.hpp"

namespace specmill::test_support {

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + p.string());
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// ------------------------------------------------------------------ npy
struct npy_array {
  std::string descr;            // as in the header: "'<f4'" or "[('flux', '<f4'), ...]"
  std::vector<uint64_t> shape;
  std::string data;             // the raw elements

  // Fields of a structured dtype, in order: name and type ("<f4").
  std::vector<std::pair<std::string, std::string>> fields() const {
    std::vector<std::pair<std::string, std::string>> out;
    size_t at = 0;
    while ((at = descr.find("('", at)) != std::string::npos) {
      const size_t name_end = descr.find('\'', at + 2);
      const size_t type_start = descr.find('\'', name_end + 1) + 1;
      const size_t type_end = descr.find('\'', type_start);
      out.emplace_back(descr.substr(at + 2, name_end - at - 2), descr.substr(type_start, type_end - type_start));
      at = type_end;
    }
    return out;
  }
  static size_t itemsize(const std::string& type) { return std::stoul(type.substr(2)); }

  // A plain array's elements.
  template <class T>
  std::vector<T> values() const {
    if (data.size() % sizeof(T)) throw std::runtime_error("npy data is not a whole number of elements");
    std::vector<T> v(data.size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), data.data(), data.size());
    return v;
  }
  // One field of a structured array.
  template <class T>
  std::vector<T> field(const std::string& name) const {
    size_t offset = 0, record = 0, at = SIZE_MAX;
    for (const auto& [n, t] : fields()) {
      if (n == name) at = record;
      record += itemsize(t);
    }
    if (at == SIZE_MAX) throw std::runtime_error("no field " + name);
    std::vector<T> v(data.size() / record);
    for (size_t i = 0; i < v.size(); ++i, offset += record) std::memcpy(&v[i], data.data() + offset + at, sizeof(T));
    return v;
  }
};

inline npy_array parse_npy(std::string_view b) {
  if (b.size() < 10 || b.substr(0, 6) != std::string_view("\x93NUMPY", 6)) throw std::runtime_error("not npy");
  const int major = uint8_t(b[6]);
  size_t header_len = 0, prefix = 0;
  if (major == 1) {
    header_len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8;
    prefix = 10;
  } else {
    header_len = uint8_t(b[8]) | size_t(uint8_t(b[9])) << 8 | size_t(uint8_t(b[10])) << 16 | size_t(uint8_t(b[11])) << 24;
    prefix = 12;
  }
  if ((prefix + header_len) % 64 != 0) throw std::runtime_error("npy header not padded to 64");
  const std::string dict(b.substr(prefix, header_len));
  if (dict.back() != '\n' || dict.find("'fortran_order': False") == std::string::npos) throw std::runtime_error("npy header");
  npy_array a;
  const size_t d0 = dict.find("'descr': ") + 9, d1 = dict.find(", 'fortran_order'");
  a.descr = dict.substr(d0, d1 - d0);
  const size_t s0 = dict.find("'shape': (") + 10, s1 = dict.find(')', s0);
  std::stringstream shape(dict.substr(s0, s1 - s0));
  for (std::string dim; std::getline(shape, dim, ',');)
    if (dim.find_first_not_of(' ') != std::string::npos) a.shape.push_back(std::stoull(dim));
  a.data = std::string(b.substr(prefix + header_len));
  return a;
}

// ------------------------------------------------------------------ npz
struct npz_member {
  std::string name;  // without .npy
  npy_array array;
  bool data_descriptor = false;  // the streamed form: CRC and sizes after the data
};

inline uint64_t le(std::string_view b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | uint8_t(b.at(at + size_t(i)));
  return v;
}

// Members in archive order (from the central directory), each checked against its CRC-32.
inline std::vector<npz_member> parse_npz(std::string_view b) {
  const size_t eocd = b.rfind(std::string_view("PK\x05\x06", 4));
  if (eocd == std::string_view::npos) throw std::runtime_error("no end of central directory");
  uint64_t n = le(b, eocd + 10, 2), cd = le(b, eocd + 16, 4);
  if (cd == 0xFFFFFFFF || n == 0xFFFF) {  // zip64: the locator before the end record
    const uint64_t record = le(b, eocd - 20 + 8, 8);
    n = le(b, record + 32, 8);
    cd = le(b, record + 48, 8);
  }
  std::vector<npz_member> out;
  size_t at = cd;
  for (uint64_t i = 0; i < n; ++i) {
    if (le(b, at, 4) != 0x02014b50) throw std::runtime_error("bad central entry");
    const uint32_t crc = uint32_t(le(b, at + 16, 4));
    uint64_t size = le(b, at + 20, 4), offset = le(b, at + 42, 4);
    const size_t name_len = le(b, at + 28, 2), extra_len = le(b, at + 30, 2), comment_len = le(b, at + 32, 2);
    const std::string name(b.substr(at + 46, name_len));
    size_t x = at + 46 + name_len;  // zip64 extra: sizes, then the offset, where they overflowed
    if (extra_len && le(b, x, 2) == 1) {
      size_t f = x + 4;
      if (size == 0xFFFFFFFF) size = le(b, f, 8), f += 16;
      if (offset == 0xFFFFFFFF) offset = le(b, f, 8);
    }
    if (le(b, offset, 4) != 0x04034b50) throw std::runtime_error("bad local header");
    const uint16_t flags = uint16_t(le(b, offset + 6, 2));
    const size_t data = offset + 30 + le(b, offset + 26, 2) + le(b, offset + 28, 2);
    const std::string_view bytes = b.substr(data, size);
    if (uint32_t(crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size())) != crc)
      throw std::runtime_error("CRC-32 mismatch in " + name);
    if (!(flags & 8) && uint32_t(le(b, offset + 14, 4)) != crc) throw std::runtime_error("local CRC of " + name);
    out.push_back({name.substr(0, name.size() - 4), parse_npy(bytes), (flags & 8) != 0});
    at += 46 + name_len + extra_len + comment_len;
  }
  return out;
}

inline const npy_array& member(const std::vector<npz_member>& z, const std::string& name) {
  for (const auto& m : z)
    if (m.name == name) return m.array;
  throw std::runtime_error("no npz member " + name);
}

// ------------------------------------------------------------------ csv
inline std::vector<std::vector<std::string>> parse_csv(const std::string& text, std::vector<std::string>* comments = nullptr) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("#")) {
      if (comments) comments->push_back(line);
      continue;
    }
    std::vector<std::string> cells;
    std::stringstream ls(line);
    for (std::string cell; std::getline(ls, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

// ------------------------------------------------------------------ FITS
// Elements [0, n) of column `col` in row `row` (1-based); T float, double, int, long long,
// unsigned long long or char (logical).
template <class T>
std::vector<T> fits_values(fits_file& f, int col, long long row, long long n) {
  int type = 0;
  if constexpr (std::is_same_v<T, float>) type = TFLOAT;
  else if constexpr (std::is_same_v<T, double>) type = TDOUBLE;
  else if constexpr (std::is_same_v<T, int>) type = TINT;
  else if constexpr (std::is_same_v<T, unsigned long long>) type = TULONGLONG;
  else if constexpr (std::is_same_v<T, char>) type = TLOGICAL;
  std::vector<T> v(size_t(std::max<long long>(n, 1)));
  int status = 0, anynul = 0;
  if (n > 0) fits_read_col(native(f), type, col, row, 1, n, nullptr, v.data(), &anynul, &status);
  f.check(status, "test read");
  v.resize(size_t(n));
  return v;
}

// Elements in a variable-length column's row.
inline long long fits_vla_length(fits_file& f, int col, long long row) {
  LONGLONG length = 0, offset = 0;
  int status = 0;
  fits_read_descriptll(native(f), col, row, &length, &offset, &status);
  f.check(status, "test descriptor");
  return length;
}

// ------------------------------------------------------------------ HDF5
struct h5_dataset {
  std::vector<uint64_t> dims;
  std::string data;  // native-order elements as read with `memory_type`
};

inline h5_dataset h5_read(const std::filesystem::path& file, const std::string& name, hid_t memory_type) {
  h5::silence_errors();
  h5::file f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"));
  h5::dataset ds(h5::check(H5Dopen2(f.get(), name.c_str(), H5P_DEFAULT), "H5Dopen " + name));
  h5::dataspace sp(h5::check(H5Dget_space(ds.get()), "H5Dget_space"));
  const int nd = H5Sget_simple_extent_ndims(sp.get());
  std::vector<hsize_t> dims(size_t(std::max(nd, 0)));
  H5Sget_simple_extent_dims(sp.get(), dims.data(), nullptr);
  h5_dataset out;
  uint64_t count = 1;
  for (hsize_t d : dims) out.dims.push_back(d), count *= d;
  out.data.resize(count * H5Tget_size(memory_type));
  if (count) h5::check(H5Dread(ds.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data.data()), "H5Dread " + name);
  return out;
}

template <class T>
std::vector<T> h5_values(const h5_dataset& d) {
  std::vector<T> v(d.data.size() / sizeof(T));
  if (!v.empty()) std::memcpy(v.data(), d.data.data(), d.data.size());
  return v;
}

inline std::vector<std::string> h5_names(const std::filesystem::path& file) {
  h5::file f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"));
  std::vector<std::string> names;
  H5Literate(
      f.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr,
      [](hid_t, const char* name, const H5L_info_t*, void* out) -> herr_t {
        static_cast<std::vector<std::string>*>(out)->push_back(name);
        return 0;
      },
      &names);
  return names;
}

inline std::string h5_attribute(const std::filesystem::path& file, const std::string& name) {
  h5::file f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"));
  h5::attribute a(h5::check(H5Aopen(f.get(), name.c_str(), H5P_DEFAULT), "H5Aopen " + name));
  h5::datatype t(h5::check(H5Aget_type(a.get()), "H5Aget_type"));
  std::string v(H5Tget_size(t.get()), '\0');
  h5::check(H5Aread(a.get(), t.get(), v.data()), "H5Aread");
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v;
}

}  // namespace specmill::test_support
