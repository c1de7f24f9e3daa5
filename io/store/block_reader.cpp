// block_reader: opens and validates one block file, reads rectangles and whole spectra.
#include "io/store/block_file.hpp"
#include "io/store/block_hdf5.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <cerrno>
#include <cmath>
#include <cstring>

namespace specmill {

namespace {

bool has_attr(hid_t obj, const char* name) {
  return h5::check(H5Aexists(obj, name), std::string("H5Aexists ") + name) > 0;
}

// Reads a scalar numeric attribute converted to T; data_error when missing or not a number.
template <class T>
T read_num_attr(hid_t obj, const char* name, hid_t mem_type, H5T_class_t want) {
  SPECMILL_DATA_CHECK(has_attr(obj, name), std::string("block file: missing attribute ") + name);
  h5::attribute a(h5::check(H5Aopen(obj, name, H5P_DEFAULT), std::string("H5Aopen ") + name));
  h5::datatype t(h5::check(H5Aget_type(a.get()), "H5Aget_type"));
  h5::dataspace s(h5::check(H5Aget_space(a.get()), "H5Aget_space"));
  SPECMILL_DATA_CHECK(H5Tget_class(t.get()) == want && H5Sget_simple_extent_npoints(s.get()) == 1,
                      std::string("block file: attribute ") + name + " has the wrong type");
  T v{};
  h5::check(H5Aread(a.get(), mem_type, &v), std::string("H5Aread ") + name);
  return v;
}

std::string read_string_attr(hid_t obj, const char* name) {
  SPECMILL_DATA_CHECK(has_attr(obj, name), std::string("block file: missing attribute ") + name);
  h5::attribute a(h5::check(H5Aopen(obj, name, H5P_DEFAULT), std::string("H5Aopen ") + name));
  h5::datatype t(h5::check(H5Aget_type(a.get()), "H5Aget_type"));
  SPECMILL_DATA_CHECK(H5Tget_class(t.get()) == H5T_STRING && !H5Tis_variable_str(t.get()),
                      std::string("block file: attribute ") + name + " is not a fixed-length string");
  const size_t n = H5Tget_size(t.get());
  SPECMILL_DATA_CHECK(n > 0 && n < 4096, std::string("block file: attribute ") + name + " has a bad size");
  std::string v(n, '\0');
  h5::check(H5Aread(a.get(), t.get(), v.data()), std::string("H5Aread ") + name);
  v.resize(std::strlen(v.c_str()));
  return v;
}

// Opens a 2-D column dataset and checks its type class, element size and dims.
h5::dataset open_column(hid_t file, const char* name, bool is_int, hsize_t rows, hsize_t cols,
                        hid_t dapl) {
  SPECMILL_DATA_CHECK(h5::check(H5Lexists(file, name, H5P_DEFAULT), "H5Lexists") > 0,
                      std::string("block file: missing dataset ") + name);
  h5::dataset ds(h5::check(H5Dopen2(file, name, dapl), std::string("H5Dopen ") + name));
  h5::datatype t(h5::check(H5Dget_type(ds.get()), "H5Dget_type"));
  SPECMILL_DATA_CHECK(H5Tget_class(t.get()) == (is_int ? H5T_INTEGER : H5T_FLOAT) && H5Tget_size(t.get()) == 4,
                      std::string("block file: dataset ") + name + " has the wrong type");
  h5::dataspace s(h5::check(H5Dget_space(ds.get()), "H5Dget_space"));
  hsize_t dims[2] = {0, 0};
  SPECMILL_DATA_CHECK(H5Sget_simple_extent_ndims(s.get()) == 2, std::string("block file: dataset ") + name + " is not 2-D");
  H5Sget_simple_extent_dims(s.get(), dims, nullptr);
  SPECMILL_DATA_CHECK(dims[0] == rows && dims[1] == cols,
                      std::string("block file: dataset ") + name + " does not match n_spectra x n_pixels");
  return ds;
}

// Fills dst[j] = lattice loglam of block column pix0 + j, for j in [from, to).
void fill_lattice(float* dst, const native_grid& grid, int32_t block_start, size_t pix0, size_t from, size_t to) {
  for (size_t j = from; j < to; ++j) dst[j] = lattice_loglam(block_start + int32_t(pix0 + j), grid);
}

// One band of chunks (chunk_rows x the whole block width) of a 4-byte column, from `flux`'s
// layout (the writer gives every column the same one). Measured in bench_block_read: caching
// whole chunks beats HDF5's direct partial-chunk reads (one pread per chunk row) for every
// pattern, and a band is what a forward scan over rows needs so that no chunk is read twice.
size_t band_cache_bytes(hid_t file, size_t n_pixels) {
  h5::dataset ds(h5::check(H5Dopen2(file, "flux", H5P_DEFAULT), "H5Dopen flux"));
  h5::plist dcpl(h5::check(H5Dget_create_plist(ds.get()), "H5Dget_create_plist"));
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return 0;
  hsize_t chunk[2] = {1, 1};
  SPECMILL_DATA_CHECK(H5Pget_chunk(dcpl.get(), 2, chunk) == 2, "block file: flux chunks are not 2-D");
  return size_t(chunk[0]) * n_pixels * 4;
}

// File offset of a contiguous, unfiltered dataset stored as little-endian 4-byte elements of
// its column's kind, or -1 when rows are not at fixed offsets (chunked) or need conversion.
int64_t direct_offset(hid_t ds, bool is_int) {
  h5::plist dcpl(h5::check(H5Dget_create_plist(ds), "H5Dget_create_plist"));
  if (H5Pget_layout(dcpl.get()) != H5D_CONTIGUOUS || H5Pget_nfilters(dcpl.get()) != 0) return -1;
  h5::datatype t(h5::check(H5Dget_type(ds), "H5Dget_type"));
  if (H5Tequal(t.get(), is_int ? H5T_STD_I32LE : H5T_IEEE_F32LE) <= 0) return -1;
  const haddr_t off = H5Dget_offset(ds);
  return off == HADDR_UNDEF ? -1 : int64_t(off);
}

}  // namespace

static_assert(std::is_same_v<hid_t, int64_t>, "block_file.hpp passes HDF5 ids as int64_t");

struct block_reader::hdf5_handles {
  h5::file file;
  h5::dataset columns[n_columns];  // indexed by column; loglam only when stored
};

block_reader::~block_reader() {
  if (map_) ::munmap(map_, map_bytes_);
  if (fd_ >= 0) ::close(fd_);
}

block_reader::block_reader(const std::filesystem::path& path, size_t chunk_cache_bytes)
    : path_(path), h5_(std::make_unique<hdf5_handles>()) {
  h5::silence_errors();
  const std::string where = " (" + path.string() + ")";
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) h5::check(is_hdf5, "cannot open block file" + where);
  SPECMILL_DATA_CHECK(is_hdf5 > 0, "not an HDF5 file" + where);
  h5_->file = h5::file(h5::check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen" + where));
  const hid_t f = h5_->file.get();

  SPECMILL_DATA_CHECK(has_attr(f, "specmill_format") &&
                          read_string_attr(f, "specmill_format") == block_format_name,
                      "not a specmill block file" + where);
  const auto version = read_num_attr<int32_t>(f, "format_version", H5T_NATIVE_INT32, H5T_INTEGER);
  SPECMILL_DATA_CHECK(version == block_format_version,
                      "unsupported block format_version " + std::to_string(version) + where);
  if (has_attr(f, block_grid_attribute)) {
    const std::string text = read_string_attr(f, block_grid_attribute);
    try {
      grid_ = parse_native_grid(text);
    } catch (const invalid_argument& e) {
      throw data_error(std::string("block native_grid: ") + e.what() + where);
    }
    SPECMILL_DATA_CHECK(grid_.is_lattice(), "block native_grid '" + text + "' is not a lattice" + where);
  }  // else: written before the attribute, on the SDSS lattice (grid_'s default)
  SPECMILL_DATA_CHECK(read_string_attr(f, "grid_type") == (grid_.is_log_lattice() ? "log-linear" : "linear"),
                      "unsupported grid_type" + where);
  block_id_ = read_num_attr<int64_t>(f, "block_id", H5T_NATIVE_INT64, H5T_INTEGER);
  lattice_start_ = read_num_attr<int32_t>(f, "lattice_start", H5T_NATIVE_INT32, H5T_INTEGER);
  const auto grid_step = read_num_attr<double>(f, "grid_step", H5T_NATIVE_DOUBLE, H5T_FLOAT);
  const auto grid_start = read_num_attr<double>(f, "grid_start", H5T_NATIVE_DOUBLE, H5T_FLOAT);
  SPECMILL_DATA_CHECK(grid_step == grid_.step && grid_start == grid_.coordinate(lattice_start_),
                      "block grid_start/grid_step do not match the lattice " + to_string(grid_) + where);
  const auto n_spectra = read_num_attr<int64_t>(f, "n_spectra", H5T_NATIVE_INT64, H5T_INTEGER);
  const auto n_pixels = read_num_attr<int64_t>(f, "n_pixels", H5T_NATIVE_INT64, H5T_INTEGER);
  SPECMILL_DATA_CHECK(n_spectra > 0 && n_pixels > 0 && n_spectra < (int64_t(1) << 32) && n_pixels < (int64_t(1) << 31),
                      "block n_spectra/n_pixels out of range" + where);
  n_pixels_ = size_t(n_pixels);

  // meta: one compound row per spectrum, converted by name to the native record.
  {
    SPECMILL_DATA_CHECK(h5::check(H5Lexists(f, "meta", H5P_DEFAULT), "H5Lexists") > 0, "block file: missing meta" + where);
    h5::dataset ds(h5::check(H5Dopen2(f, "meta", H5P_DEFAULT), "H5Dopen meta" + where));
    h5::dataspace s(h5::check(H5Dget_space(ds.get()), "H5Dget_space meta"));
    SPECMILL_DATA_CHECK(H5Sget_simple_extent_ndims(s.get()) == 1 && H5Sget_simple_extent_npoints(s.get()) == n_spectra,
                        "block meta does not have n_spectra rows" + where);
    h5::datatype ftype(h5::check(H5Dget_type(ds.get()), "H5Dget_type meta"));
    SPECMILL_DATA_CHECK(H5Tget_class(ftype.get()) == H5T_COMPOUND && H5Tget_nmembers(ftype.get()) == 7,
                        "block meta has the wrong type" + where);
    std::vector<detail::meta_record> meta(static_cast<size_t>(n_spectra));
    h5::datatype mtype = detail::meta_memory_type();
    h5::check(H5Dread(ds.get(), mtype.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, meta.data()), "H5Dread meta" + where);
    rows_.reserve(meta.size());
    for (const auto& m : meta) {
      const int64_t off = int64_t(m.lattice_start) - lattice_start_;
      SPECMILL_DATA_CHECK(m.npix > 0 && off >= 0 && off + m.npix <= n_pixels,
                          "block meta row " + std::to_string(rows_.size()) + " lies outside the block" + where);
      rows_.push_back({m.specobjid, m.plate, m.mjd, m.fiberid, m.lattice_start, m.npix, m.loglam_exact != 0});
    }
  }

  h5::plist dapl(h5::check(H5Pcreate(H5P_DATASET_ACCESS), "H5Pcreate"));
  if (chunk_cache_bytes == auto_chunk_cache) chunk_cache_bytes = band_cache_bytes(f, n_pixels_);
  // 12421 slots (prime): a sparse hash even for a band of 256-pixel chunks. w0 = 1: a chunk
  // read in full is evicted first, the forward-moving patterns never come back to it.
  h5::check(H5Pset_chunk_cache(dapl.get(), 12421, chunk_cache_bytes, 1.0), "H5Pset_chunk_cache");
  for (int c = 0; c < n_columns; ++c) {
    const auto col = column(c);
    if (col == column::loglam) continue;
    h5_->columns[c] = open_column(f, column_names[c].data(), column_is_int(col), hsize_t(n_spectra),
                              hsize_t(n_pixels), dapl.get());
  }
  // A second, plain descriptor for pread: HDF5's own is private to it. Only opened when some
  // column can use it; file size is checked so a truncated block fails here, not mid-read.
  for (int c = 0; c < n_columns; ++c)
    if (h5_->columns[c] && column(c) != column::loglam) direct_offset_[c] = direct_offset(h5_->columns[c].get(), column_is_int(column(c)));
  if (std::any_of(std::begin(direct_offset_), std::end(direct_offset_), [](int64_t o) { return o >= 0; })) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw io_error("cannot open " + path.string() + ": " + std::strerror(errno));
    const off_t size = ::lseek(fd_, 0, SEEK_END);
    const int64_t bytes = int64_t(n_spectra) * n_pixels * 4;
    for (int64_t o : direct_offset_)
      SPECMILL_DATA_CHECK(o < 0 || o + bytes <= int64_t(size), "block file is truncated" + where);
    // Mapped read-only: a row span is then a memcpy, with no system call per row (measured
    // 1.5-2x faster than pread for cutouts of ~1000 pixels). Blocks are immutable once renamed
    // into place, so the mapping cannot be cut short under us; pread remains the fallback.
    void* m = ::mmap(nullptr, size_t(size), PROT_READ, MAP_SHARED, fd_, 0);
    if (m != MAP_FAILED) {
      map_ = m;
      map_bytes_ = size_t(size);
    }
  }
  extras_ = detail::open_block_extras(f, rows_.size(), n_pixels_, where);
  const bool any_inexact = std::any_of(rows_.begin(), rows_.end(), [](const auto& r) { return !r.loglam_exact; });
  if (any_inexact || h5::check(H5Lexists(f, "loglam", H5P_DEFAULT), "H5Lexists") > 0) {
    const int c = int(column::loglam);
    h5_->columns[c] = open_column(f, "loglam", false, hsize_t(n_spectra), hsize_t(n_pixels), dapl.get());
  }
}

int64_t block_reader::dataset_of(column c) const {
  const int i = int(c);
  SPECMILL_EXPECTS(i >= 0 && i < n_columns, "block_reader: bad column");
  return h5_->columns[i].get();
}

void block_reader::read_selection(column c, int64_t file_space, size_t nrows, size_t npix, void* dst) const {
  const hsize_t mdims[2] = {nrows, npix};
  h5::dataspace mem(h5::check(H5Screate_simple(2, mdims, nullptr), "H5Screate_simple"));
  const hid_t mtype = column_is_int(c) ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT;
  h5::check(H5Dread(dataset_of(c), mtype, mem.get(), file_space, H5P_DEFAULT, dst),
            "H5Dread " + std::string(column_names[int(c)]) + " (" + path_.string() + ")");
}

// Turns the rectangle just read from the stored loglam dataset (or nothing, when none is
// stored) into lattice values everywhere except inside the coverage of inexact rows.
void block_reader::patch_loglam(std::span<const uint32_t> rows, size_t row0, size_t nrows,
                                size_t pix0, size_t npix, float* dst) const {
  for (size_t i = 0; i < nrows; ++i) {
    const block_row_meta& r = rows_[rows.empty() ? row0 + i : rows[i]];
    float* out = dst + i * npix;
    if (r.loglam_exact) {
      fill_lattice(out, grid_, lattice_start_, pix0, 0, npix);
      continue;
    }
    const int64_t lo = int64_t(r.lattice_start - lattice_start_) - int64_t(pix0);
    const int64_t hi = lo + r.npix;
    fill_lattice(out, grid_, lattice_start_, pix0, 0, size_t(std::clamp<int64_t>(lo, 0, int64_t(npix))));
    fill_lattice(out, grid_, lattice_start_, pix0, size_t(std::clamp<int64_t>(hi, 0, int64_t(npix))), npix);
  }
}

void block_reader::read(column c, size_t row0, size_t nrows, size_t pix0, size_t npix, void* dst) const {
  h5::silence_errors();
  SPECMILL_EXPECTS(int(c) >= 0 && int(c) < n_columns, "block_reader::read: bad column");
  SPECMILL_EXPECTS(row0 <= n_spectra() && nrows <= n_spectra() - row0, "block_reader::read: rows out of range");
  SPECMILL_EXPECTS(pix0 <= n_pixels_ && npix <= n_pixels_ - pix0, "block_reader::read: pixels out of range");
  SPECMILL_EXPECTS(dst != nullptr || nrows * npix == 0, "block_reader::read: null destination");
  if (nrows == 0 || npix == 0) return;
  if (c == column::loglam && !h5_->columns[int(c)]) {
    patch_loglam({}, row0, nrows, pix0, npix, static_cast<float*>(dst));
    return;
  }
  h5::dataspace space(h5::check(H5Dget_space(dataset_of(c)), "H5Dget_space"));
  const hsize_t start[2] = {row0, pix0}, count[2] = {nrows, npix};
  h5::check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
  read_selection(c, space.get(), nrows, npix, dst);
  if (c == column::loglam) patch_loglam({}, row0, nrows, pix0, npix, static_cast<float*>(dst));
}

void block_reader::read_rows(column c, std::span<const uint32_t> rows, size_t pix0, size_t npix, void* dst) const {
  h5::silence_errors();
  SPECMILL_EXPECTS(int(c) >= 0 && int(c) < n_columns, "block_reader::read_rows: bad column");
  SPECMILL_EXPECTS(pix0 <= n_pixels_ && npix <= n_pixels_ - pix0, "block_reader::read_rows: pixels out of range");
  for (size_t i = 0; i < rows.size(); ++i) {
    SPECMILL_EXPECTS(rows[i] < n_spectra(), "block_reader::read_rows: row out of range");
    SPECMILL_EXPECTS(i == 0 || rows[i] > rows[i - 1], "block_reader::read_rows: rows must be strictly ascending");
  }
  SPECMILL_EXPECTS(dst != nullptr || rows.size() * npix == 0, "block_reader::read_rows: null destination");
  if (rows.empty() || npix == 0) return;
  if (c == column::loglam && !h5_->columns[int(c)]) {
    patch_loglam(rows, 0, rows.size(), pix0, npix, static_cast<float*>(dst));
    return;
  }
  // One H5Dread per run of consecutive rows, not one read of a union of hyperslabs: HDF5 1.10
  // maps a non-rectangular file selection onto the memory buffer element by element (about
  // 35x slower here; see docs/store-format.md, "read_rows").
  h5::dataspace space(h5::check(H5Dget_space(dataset_of(c)), "H5Dget_space"));
  const size_t elem = 4;
  for (size_t i = 0; i < rows.size();) {
    size_t j = i + 1;
    while (j < rows.size() && rows[j] == rows[j - 1] + 1) ++j;
    const hsize_t start[2] = {rows[i], pix0}, count[2] = {j - i, npix};
    h5::check(H5Sselect_hyperslab(space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr), "H5Sselect_hyperslab");
    read_selection(c, space.get(), j - i, npix, static_cast<char*>(dst) + i * npix * elem);
    i = j;
  }
  if (c == column::loglam) patch_loglam(rows, 0, rows.size(), pix0, npix, static_cast<float*>(dst));
}

void block_reader::read_row_span(column c, size_t row, size_t pix0, size_t npix, void* dst) const {
  SPECMILL_EXPECTS(int(c) >= 0 && int(c) < n_columns, "block_reader::read_row_span: bad column");
  if (!direct(c)) {
    read(c, row, 1, pix0, npix, dst);
    return;
  }
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::read_row_span: row out of range");
  SPECMILL_EXPECTS(pix0 <= n_pixels_ && npix <= n_pixels_ - pix0, "block_reader::read_row_span: pixels out of range");
  auto* out = static_cast<char*>(dst);
  size_t left = npix * 4;
  off_t at = off_t(direct_offset_[int(c)] + int64_t((row * n_pixels_ + pix0) * 4));
  if (map_) {
    std::memcpy(out, static_cast<const char*>(map_) + at, left);
    return;
  }
  while (left > 0) {
    const ssize_t got = ::pread(fd_, out, left, at);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) throw io_error("cannot read " + path_.string() + ": " + std::strerror(errno));
    SPECMILL_DATA_CHECK(got > 0, "block file ends early: " + path_.string());
    out += got, left -= size_t(got), at += got;
  }
}

void block_reader::read_row_span(column c, size_t row, size_t pix0, size_t npix, void* dst, std::mutex& hdf5) const {
  if (direct(c)) {
    read_row_span(c, row, pix0, npix, dst);  // a memcpy from the mapping (or a pread): no HDF5
    return;
  }
  std::lock_guard lock(hdf5);
  read_row_span(c, row, pix0, npix, dst);
}

const void* block_reader::mapped_row_span(column c, size_t row, size_t pix0, size_t npix) const {
  SPECMILL_EXPECTS(int(c) >= 0 && int(c) < n_columns, "block_reader::mapped_row_span: bad column");
  if (!direct(c) || !map_) return nullptr;
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::mapped_row_span: row out of range");
  SPECMILL_EXPECTS(pix0 <= n_pixels_ && npix <= n_pixels_ - pix0, "block_reader::mapped_row_span: pixels out of range");
  const int64_t at = direct_offset_[int(c)] + int64_t((row * n_pixels_ + pix0) * 4);
  if (at % 4 != 0) return nullptr;  // floats and int32s are read through typed pointers
  return static_cast<const char*>(map_) + at;
}

coadd block_reader::read_spectrum(size_t row) const {
  SPECMILL_EXPECTS(row < n_spectra(), "block_reader::read_spectrum: row out of range");
  const block_row_meta& r = rows_[row];
  const size_t n = size_t(r.npix), off = size_t(r.lattice_start - lattice_start_);
  coadd out;
  out.lattice_start = r.lattice_start;
  out.loglam_exact = r.loglam_exact;
  auto get = [&](column c, auto& v) {
    v.resize(n);
    read(c, row, 1, off, n, v.data());
  };
  get(column::flux, out.flux);
  get(column::ivar, out.ivar);
  get(column::and_mask, out.and_mask);
  get(column::or_mask, out.or_mask);
  get(column::wdisp, out.wdisp);
  get(column::sky, out.sky);
  get(column::model, out.model);
  get(column::loglam, out.loglam);
  return out;
}

}  // namespace specmill
