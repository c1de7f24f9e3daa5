// block_builder: collects spectra and writes one block file atomically.
#include "io/store/block_file.hpp"
#include "io/store/block_check.hpp"
#include "io/store/block_hdf5.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace specmill {

namespace detail {

h5::datatype meta_memory_type() {
  h5::datatype t(h5::check(H5Tcreate(H5T_COMPOUND, sizeof(meta_record)), "H5Tcreate meta"));
  auto field = [&](const char* name, size_t off, hid_t type) {
    h5::check(H5Tinsert(t.get(), name, off, type), std::string("H5Tinsert ") + name);
  };
  field("specobjid", offsetof(meta_record, specobjid), H5T_NATIVE_UINT64);
  field("plate", offsetof(meta_record, plate), H5T_NATIVE_INT32);
  field("mjd", offsetof(meta_record, mjd), H5T_NATIVE_INT32);
  field("fiberid", offsetof(meta_record, fiberid), H5T_NATIVE_INT32);
  field("lattice_start", offsetof(meta_record, lattice_start), H5T_NATIVE_INT32);
  field("npix", offsetof(meta_record, npix), H5T_NATIVE_INT32);
  field("loglam_exact", offsetof(meta_record, loglam_exact), H5T_NATIVE_UINT8);
  return t;
}

h5::datatype meta_file_type() {
  // Explicit little-endian standard types, packed: identical on every machine, plain for h5py.
  h5::datatype t(h5::check(H5Tcreate(H5T_COMPOUND, 8 + 5 * 4 + 1), "H5Tcreate meta"));
  size_t off = 0;
  auto field = [&](const char* name, hid_t type) {
    h5::check(H5Tinsert(t.get(), name, off, type), std::string("H5Tinsert ") + name);
    off += H5Tget_size(type);
  };
  field("specobjid", H5T_STD_U64LE);
  field("plate", H5T_STD_I32LE);
  field("mjd", H5T_STD_I32LE);
  field("fiberid", H5T_STD_I32LE);
  field("lattice_start", H5T_STD_I32LE);
  field("npix", H5T_STD_I32LE);
  field("loglam_exact", H5T_STD_U8LE);
  return t;
}

}  // namespace detail

std::filesystem::path block_relative_path(int64_t block_id) {
  SPECMILL_EXPECTS(block_id >= 0 && block_id <= 99'999'999, "block id out of range: " + std::to_string(block_id));
  char name[32];
  std::snprintf(name, sizeof name, "blk-%08lld.h5", static_cast<long long>(block_id));
  return std::filesystem::path("blocks") / name;
}

namespace {

void check_spectrum(const sdss_spectrum& s, const native_grid& grid) {
  const coadd& c = s.data;
  const size_t n = c.npix();
  SPECMILL_EXPECTS(n > 0, "block_builder: spectrum " + std::to_string(s.meta.specobjid) + " has no pixels");
  SPECMILL_EXPECTS(n <= size_t(std::numeric_limits<int32_t>::max()), "block_builder: spectrum too long");
  const bool same = c.ivar.size() == n && c.wdisp.size() == n && c.sky.size() == n &&
                    c.model.size() == n && c.and_mask.size() == n && c.or_mask.size() == n &&
                    (c.loglam.size() == n || (c.loglam.empty() && c.loglam_exact));
  SPECMILL_EXPECTS(same, "block_builder: spectrum " + std::to_string(s.meta.specobjid) +
                             " has columns of unequal length");
  SPECMILL_EXPECTS(int64_t(c.lattice_start) + int64_t(n) <= std::numeric_limits<int32_t>::max(),
                   "block_builder: lattice range overflows int32");
  if (c.loglam_exact) {
    // The store drops loglam for exact rows; a wrong flag would silently lose data.
    for (size_t i = 0; i < c.loglam.size(); ++i) {
      SPECMILL_DATA_CHECK(c.loglam[i] == lattice_loglam(c.lattice_start + int32_t(i), grid),
                          "block_builder: spectrum " + std::to_string(s.meta.specobjid) +
                              " is flagged loglam_exact but pixel " + std::to_string(i) +
                              " is off the lattice");
    }
  }
}

block_row_meta row_meta(const sdss_spectrum& s) {
  return {s.meta.specobjid, s.meta.plate, s.meta.mjd, s.meta.fiberid, s.data.lattice_start,
          int32_t(s.data.npix()), s.data.loglam_exact};
}

template <class T>
size_t bytes_of(const std::vector<T>& v) { return v.capacity() * sizeof(T); }

// Removes the temporary file unless the write got as far as the rename.
struct tmp_guard {
  std::filesystem::path path;
  bool armed = true;
  ~tmp_guard() {
    if (armed) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

void fsync_path(const std::filesystem::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) SPECMILL_FAIL_IO("open " + p.string() + " for fsync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) SPECMILL_FAIL_IO("fsync " + p.string() + ": " + std::strerror(err));
}

// Starts the disk write of the columns written so far while the next one is packed, so that the
// fsync after H5Fclose waits for less (it waited ~0.14 s a block for ~130 MB, with the writer
// idle). What is durable when is unchanged: only that fsync, before the rename, makes the block
// durable; this only starts writeback early, and an error here shows in that fsync.
void start_writeback(hid_t file) {
#ifdef __linux__
  // The handle is an int* (a file descriptor) under the sec2 driver only, the default this
  // writer uses; under any other driver nothing is started early.
  const hid_t fapl = H5Fget_access_plist(file);
  if (fapl < 0) return;
  const bool sec2 = H5Pget_driver(fapl) == H5FD_SEC2;
  H5Pclose(fapl);
  void* handle = nullptr;
  if (!sec2 || H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  (void)::sync_file_range(*static_cast<int*>(handle), 0, 0, SYNC_FILE_RANGE_WRITE);
#else
  (void)file;
#endif
}

void write_attr(hid_t obj, const char* name, hid_t file_type, hid_t mem_type, const void* value) {
  h5::dataspace space(h5::check(H5Screate(H5S_SCALAR), "H5Screate"));
  h5::attribute a(h5::check(H5Acreate2(obj, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                            std::string("H5Acreate ") + name));
  h5::check(H5Awrite(a.get(), mem_type, value), std::string("H5Awrite ") + name);
}

void write_string_attr(hid_t obj, const char* name, const std::string& value) {
  // Fixed-length, NUL-terminated ASCII: h5py reads it as bytes, h5dump prints it plainly.
  h5::datatype t(h5::check(H5Tcopy(H5T_C_S1), "H5Tcopy"));
  h5::check(H5Tset_size(t.get(), value.size() + 1), "H5Tset_size");
  h5::check(H5Tset_strpad(t.get(), H5T_STR_NULLTERM), "H5Tset_strpad");
  h5::check(H5Tset_cset(t.get(), H5T_CSET_ASCII), "H5Tset_cset");
  write_attr(obj, name, t.get(), t.get(), value.c_str());
}

struct block_geometry {
  int32_t lattice_start;
  size_t n_pixels;
};

block_geometry geometry_of(const std::vector<block_row_meta>& rows) {
  int64_t lo = std::numeric_limits<int64_t>::max(), hi = std::numeric_limits<int64_t>::min();
  for (const auto& r : rows) {
    lo = std::min<int64_t>(lo, r.lattice_start);
    hi = std::max<int64_t>(hi, int64_t(r.lattice_start) + r.npix);
  }
  return {int32_t(lo), size_t(hi - lo)};
}

// Creates one [n_spectra, n_pixels] column dataset with the layout's chunking and filters.
h5::dataset create_column(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                          size_t n_spectra, size_t n_pixels, const block_layout& layout) {
  const hsize_t dims[2] = {n_spectra, n_pixels};
  h5::dataspace space(h5::check(H5Screate_simple(2, dims, nullptr), "H5Screate_simple"));
  h5::plist dcpl(h5::check(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate"));
  if (layout.contiguous && layout.deflate == 0) {
    h5::check(H5Pset_layout(dcpl.get(), H5D_CONTIGUOUS), "H5Pset_layout");
    // Allocated at creation, so the dataset has its file offset even before the write.
    h5::check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_EARLY), "H5Pset_alloc_time");
  } else {
    const hsize_t chunk[2] = {std::clamp<hsize_t>(layout.chunk_rows, 1, dims[0]),
                              std::clamp<hsize_t>(layout.chunk_pixels, 1, dims[1])};
    h5::check(H5Pset_chunk(dcpl.get(), 2, chunk), "H5Pset_chunk");
  }
  const uint32_t zero = 0;  // 0 is all-zero bits for float32 and int32 alike
  h5::check(H5Pset_fill_value(dcpl.get(), mem_type, &zero), "H5Pset_fill_value");
  if (layout.deflate > 0) {
    h5::check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle");
    h5::check(H5Pset_deflate(dcpl.get(), unsigned(layout.deflate)), "H5Pset_deflate");
  }
  return h5::dataset(h5::check(
      H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      std::string("H5Dcreate ") + name));
}

}  // namespace

// Exact rows do not keep loglam: the lattice rebuilds it, and the builder holds 1/8 less.
block_builder::block_builder(const native_grid& grid) : grid_(grid) {
  SPECMILL_EXPECTS(grid.is_lattice(), "block_builder: blocks hold lattice grids only, not " + to_string(grid));
}

void check_block_spectrum(const sdss_spectrum& s, const native_grid& grid) { check_spectrum(s, grid); }

void block_builder::add(const sdss_spectrum& s) {
  check_spectrum(s, grid_);
  SPECMILL_EXPECTS(extras_.empty(), "block_builder: the block's rows carry extra arrays; add this one with its own");
  const coadd& c = s.data;
  coadd kept;
  kept.lattice_start = c.lattice_start;
  kept.loglam_exact = c.loglam_exact;
  kept.nonfinite_pixels = c.nonfinite_pixels;
  kept.flux = c.flux;
  kept.ivar = c.ivar;
  kept.wdisp = c.wdisp;
  kept.sky = c.sky;
  kept.model = c.model;
  kept.and_mask = c.and_mask;
  kept.or_mask = c.or_mask;
  if (!c.loglam_exact) kept.loglam = c.loglam;
  rows_.push_back(row_meta(s));
  data_.push_back(std::move(kept));
}

void block_builder::add(sdss_spectrum&& s) {
  check_spectrum(s, grid_);
  SPECMILL_EXPECTS(extras_.empty(), "block_builder: the block's rows carry extra arrays; add this one with its own");
  rows_.push_back(row_meta(s));
  data_.push_back(std::move(s.data));
  if (data_.back().loglam_exact) data_.back().loglam = {};
}

void block_builder::add(sdss_spectrum&& s, spectrum_extras&& x) {
  if (x.empty() && extras_.empty()) return add(std::move(s));
  check_spectrum(s, grid_);
  detail::check_extras(s, x);
  SPECMILL_EXPECTS(accepts(x), "block_builder: spectrum " + std::to_string(s.meta.specobjid) +
                                   " carries other extra arrays than the block's rows");
  if (!rows_.empty() && !x.resolution.empty()) {
    const size_t diagonals = extras_.front().resolution.size() / size_t(rows_.front().npix);
    SPECMILL_EXPECTS(x.resolution.size() == diagonals * s.data.npix(), "block_builder: resolution diagonals differ");
  }
  rows_.push_back(row_meta(s));
  data_.push_back(std::move(s.data));
  if (data_.back().loglam_exact) data_.back().loglam = {};
  extras_.push_back(std::move(x));
}

size_t block_builder::pixel_bytes() const {
  size_t n = 0;
  for (const spectrum_extras& x : extras_) {
    n += bytes_of(x.resolution);
    for (const camera_arrays& c : x.cameras)
      n += bytes_of(c.wavelength) + bytes_of(c.flux) + bytes_of(c.ivar) + bytes_of(c.mask) + bytes_of(c.resolution);
  }
  for (const coadd& c : data_) {
    n += bytes_of(c.flux) + bytes_of(c.loglam) + bytes_of(c.ivar) + bytes_of(c.wdisp) +
         bytes_of(c.sky) + bytes_of(c.model) + bytes_of(c.and_mask) + bytes_of(c.or_mask);
  }
  return n;
}

void block_builder::clear() {
  rows_.clear();
  data_.clear();
  extras_.clear();
}

void block_builder::write(const std::filesystem::path& path, int64_t block_id,
                          const block_layout& layout) const {
  h5::silence_errors();
  SPECMILL_EXPECTS(!rows_.empty(), "block_builder::write: no spectra");
  SPECMILL_EXPECTS(layout.chunk_rows > 0 && layout.chunk_pixels > 0, "block_layout: zero chunk dimension");
  SPECMILL_EXPECTS(layout.deflate >= 0 && layout.deflate <= 9, "block_layout: deflate must be 0..9");
  const block_geometry g = geometry_of(rows_);
  const size_t n = rows_.size();
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  tmp_guard guard{tmp};

  {
    h5::file file(h5::check(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                            "H5Fcreate " + tmp.string()));
    const hid_t root = file.get();
    write_string_attr(root, "specmill_format", block_format_name);
    write_attr(root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT32, &block_format_version);
    write_attr(root, "block_id", H5T_STD_I64LE, H5T_NATIVE_INT64, &block_id);
    write_string_attr(root, "grid_type", grid_.is_log_lattice() ? "log-linear" : "linear");
    const double grid_start = grid_.coordinate(g.lattice_start);
    write_attr(root, "grid_start", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &grid_start);
    write_attr(root, "grid_step", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &grid_.step);
    write_string_attr(root, block_grid_attribute, to_string(grid_));
    write_attr(root, "lattice_start", H5T_STD_I32LE, H5T_NATIVE_INT32, &g.lattice_start);
    const int64_t n_spectra = int64_t(n), n_pixels = int64_t(g.n_pixels);
    write_attr(root, "n_spectra", H5T_STD_I64LE, H5T_NATIVE_INT64, &n_spectra);
    write_attr(root, "n_pixels", H5T_STD_I64LE, H5T_NATIVE_INT64, &n_pixels);

    // One padded column at a time: the only large allocation of the write.
    std::vector<uint32_t> padded(n * g.n_pixels);
    auto write_column = [&](const char* name, bool is_int, auto member) {
      // Each row: zeros, the spectrum's pixels, zeros. Only the padding is zeroed (a fill of the
      // whole column first wrote ~140 MB a block twice).
      for (size_t r = 0; r < n; ++r) {
        const auto& src = data_[r].*member;
        const size_t off = size_t(rows_[r].lattice_start - g.lattice_start);
        uint32_t* row = &padded[r * g.n_pixels];
        uint32_t* dst = row + off;
        size_t filled = 0;
        if (!src.empty()) {
          std::memcpy(dst, src.data(), src.size() * 4);
          filled = src.size();
        } else if (std::strcmp(name, "loglam") == 0) {  // an exact row: loglam was not kept
          for (int32_t i = 0; i < rows_[r].npix; ++i)
            dst[i] = std::bit_cast<uint32_t>(lattice_loglam(rows_[r].lattice_start + i, grid_));
          filled = size_t(rows_[r].npix);
        }
        std::fill(row, dst, 0u);
        std::fill(dst + filled, row + g.n_pixels, 0u);
      }
      const hid_t ftype = is_int ? H5T_STD_I32LE : H5T_IEEE_F32LE;
      const hid_t mtype = is_int ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
      h5::dataset ds = create_column(root, name, ftype, mtype, n, g.n_pixels, layout);
      h5::check(H5Dwrite(ds.get(), mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, padded.data()),
                std::string("H5Dwrite ") + name);
      h5::check(ds.close(), std::string("H5Dclose ") + name);
      start_writeback(root);
    };
    write_column("flux", false, &coadd::flux);
    write_column("ivar", false, &coadd::ivar);
    write_column("and_mask", true, &coadd::and_mask);
    write_column("or_mask", true, &coadd::or_mask);
    write_column("wdisp", false, &coadd::wdisp);
    write_column("sky", false, &coadd::sky);
    write_column("model", false, &coadd::model);
    if (std::any_of(rows_.begin(), rows_.end(), [](const auto& r) { return !r.loglam_exact; })) {
      write_column("loglam", false, &coadd::loglam);
    }
    padded = {};
    detail::write_block_extras(root, rows_, extras_, g.lattice_start, g.n_pixels);

    std::vector<detail::meta_record> meta(n);
    for (size_t r = 0; r < n; ++r) {
      const auto& m = rows_[r];
      meta[r] = {m.specobjid, m.plate, m.mjd, m.fiberid, m.lattice_start, m.npix, uint8_t(m.loglam_exact)};
    }
    const hsize_t dims[1] = {n};
    h5::dataspace space(h5::check(H5Screate_simple(1, dims, nullptr), "H5Screate_simple"));
    h5::datatype ftype = detail::meta_file_type(), mtype = detail::meta_memory_type();
    h5::dataset ds(h5::check(H5Dcreate2(root, "meta", ftype.get(), space.get(), H5P_DEFAULT,
                                        H5P_DEFAULT, H5P_DEFAULT),
                             "H5Dcreate meta"));
    h5::check(H5Dwrite(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, meta.data()), "H5Dwrite meta");
    h5::check(ds.close(), "H5Dclose meta");
    h5::check(H5Fflush(root, H5F_SCOPE_GLOBAL), "H5Fflush " + tmp.string());
    h5::check(file.close(), "H5Fclose " + tmp.string());
  }
  // fsync after H5Fclose, through a fresh descriptor: closing still writes the superblock's
  // final end-of-file address, which must be on disk before the rename makes the file visible.
  fsync_path(tmp, O_RDONLY);
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) SPECMILL_FAIL_IO("rename " + tmp.string() + " -> " + path.string() + ": " + ec.message());
  guard.armed = false;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace specmill
