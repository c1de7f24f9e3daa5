#pragma once
// The store's immutable HDF5 block files (blocks/blk-<8-digit id>.h5): up to
// default_block_spectra spectra on one common log-lambda lattice, one 2-D dataset per column.
// The format is specified in docs/store-format.md; this header is its only reader and writer.
// It does not include hdf5.h: HDF5's handles live in the .cpp files (io/store/block_hdf5.hpp).
#include "core/spectrum.hpp"
#include "io/store/block_extras.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace specmill {

inline constexpr char block_format_name[] = "specmill-block";
inline constexpr int32_t block_format_version = 1;
// Root attribute holding the block's native grid as text ("log10:1e-4", "linear:0.8"). Optional
// within format_version 1: absent means the SDSS lattice, which every older block is on. A
// block on another grid also writes grid_type "linear" or a grid_step other than 1e-4, which
// readers from before the attribute refuse, so they never misread one (docs/store-format.md).
inline constexpr char block_grid_attribute[] = "native_grid";

// Chunk shape and compression of the 2-D column datasets; both chunk dimensions are clamped to
// the dataset's. The defaults were chosen by bench_block_read (docs/store-format.md): one chunk
// per row (8192 is wider than any SDSS/BOSS block), because spectra are read whole and a cold
// random read of one spectrum then fetches 1.25x its bytes from disk instead of 18x with
// 16 x 1024 chunks. No compression: deflate saves 2.3x on disk but reads 15-20x slower.
//
// contiguous (the default since compute engine I): no chunking at all when deflate is off. Rows
// are then at fixed file offsets, so block_reader can read a row's pixel span with one pread
// straight into its destination (read_row_span), thread-safely and without HDF5's per-call
// overhead; HDF5 reads of the same data cost the same as with 1-row chunks. chunk_rows and
// chunk_pixels apply only when contiguous is false or deflate is on (filters need chunks).
struct block_layout {
  uint32_t chunk_rows = 1;
  uint32_t chunk_pixels = 8192;
  int deflate = 0;  // 0 = off; 1..9 = shuffle + deflate at that level
  bool contiguous = true;
};

// Spectra per block: ~147 MB files, ~150 MB of builder memory per ingest worker, and opening
// costs ~0.6 ms (< 1 us per spectrum of a whole-block read); 4096 opens in 0.7-0.9 ms but
// needs ~600 MB per builder for no read gain. See docs/store-format.md.
inline constexpr size_t default_block_spectra = 1024;

// One row of the block's `meta` compound dataset.
struct block_row_meta {
  uint64_t specobjid = 0;
  int32_t plate = 0;
  int32_t mjd = 0;
  int32_t fiberid = 0;
  int32_t lattice_start = 0;  // lattice index of the spectrum's own pixel 0
  int32_t npix = 0;
  bool loglam_exact = true;
};

// "blocks/blk-00000042.h5" for id 42, relative to the store root.
std::filesystem::path block_relative_path(int64_t block_id);

// Collects spectra for one block, then writes it atomically.
class block_builder {
 public:
  // `grid`: the native grid the spectra's lattice_start and pixels are on, written as the
  // block's `native_grid` attribute. Lattices only (invalid_argument for an explicit grid: its
  // wavelength array has no place in the format yet).
  explicit block_builder(const native_grid& grid = sdss_native_grid);
  const native_grid& grid() const { return grid_; }

  // Throws invalid_argument for an empty spectrum or columns of unequal length, data_error
  // when loglam_exact is set but loglam is not the lattice (loglam may be empty then).
  void add(const sdss_spectrum& s);
  void add(sdss_spectrum&& s);  // moves the column vectors, no copy
  // With optional arrays (group `extra`): invalid_argument unless accepts(x) and the resolution
  // holds a whole number of diagonals of the row's npix (each camera's of its npix).
  void add(sdss_spectrum&& s, spectrum_extras&& x);
  // True when a row with these extras can join the block: it is empty, or x carries the same
  // kinds of arrays as the rows already held (same diagonals, cameras, starts, widths and
  // wavelengths). A caller with differing rows writes the block first.
  bool accepts(const spectrum_extras& x) const;

  size_t size() const { return rows_.size(); }
  size_t pixel_bytes() const;  // bytes of pixel data held (vector capacities)

  // Writes path+".tmp", closes it, fsyncs it, renames it to `path` (atomic replace) and fsyncs
  // the directory. An existing `path` is untouched until the rename; on failure the .tmp is
  // removed. Peak extra memory: one padded column (size() * n_pixels * 4 bytes).
  void write(const std::filesystem::path& path, int64_t block_id, const block_layout& = {}) const;
  void clear();

 private:
  native_grid grid_;
  std::vector<block_row_meta> rows_;
  std::vector<coadd> data_;
  std::vector<spectrum_extras> extras_;  // one per row, or empty when no row has any
};

struct block_extra_datasets;  // the open datasets of group `extra` (io/store/block_hdf5.hpp)

// Read-only view of one block file. Opening reads the attributes and `meta` and checks the
// shapes (data_error on a foreign or damaged file, hdf5_error when HDF5 cannot read it).
// Not thread-safe per object; open one reader per thread (opening is cheap).
class block_reader {
 public:
  // chunk_cache_bytes: HDF5 chunk cache per column dataset. auto_chunk_cache (the default)
  // sizes it to one band of chunks, chunk_rows x n_pixels x 4 bytes (one ~20 KB row chunk for
  // the default layout); docs/store-format.md ("Reading") has the measurements.
  static constexpr size_t auto_chunk_cache = SIZE_MAX;
  explicit block_reader(const std::filesystem::path& path, size_t chunk_cache_bytes = auto_chunk_cache);
  ~block_reader();
  block_reader(const block_reader&) = delete;
  block_reader& operator=(const block_reader&) = delete;

  int64_t block_id() const { return block_id_; }
  size_t n_spectra() const { return rows_.size(); }
  int32_t lattice_start() const { return lattice_start_; }
  size_t n_pixels() const { return n_pixels_; }
  // The block's `native_grid` attribute; a block written before it existed is on the SDSS
  // lattice (the only grid there was), so it reads as sdss_native_grid.
  const native_grid& grid() const { return grid_; }
  const std::vector<block_row_meta>& rows() const { return rows_; }
  const std::filesystem::path& path() const { return path_; }

  // Rows [row0, row0+nrows) x block columns [pix0, pix0+npix) of one column into dst,
  // row-major [nrows][npix]: float for float columns, int32_t for the masks. column::loglam
  // gives the lattice value of each block column; rows with loglam_exact == false get their
  // stored loglam inside their own coverage instead.
  void read(column c, size_t row0, size_t nrows, size_t pix0, size_t npix, void* dst) const;
  // The same for a strictly ascending list of rows, packed into dst in list order. One H5Dread
  // per run of consecutive rows (measured 20-35x faster in HDF5 1.10 than one H5Dread of a
  // union of hyperslabs; see docs/store-format.md).
  void read_rows(column c, std::span<const uint32_t> rows, size_t pix0, size_t npix,
                 void* dst) const;
  // One spectrum exactly as ingested: its own npix pixels of every column, loglam rebuilt
  // bit-exactly from the lattice (or taken from the stored loglam dataset).
  coadd read_spectrum(size_t row) const;

  // Direct reads: true when column c is stored contiguous, unfiltered, little-endian 4-byte
  // (blocks written with the default layout), false for chunked blocks and for loglam.
  bool direct(column c) const { return direct_offset_[int(c)] >= 0; }
  // Row `row`, block columns [pix0, pix0+npix) of column c into dst (npix elements). With
  // direct(c) this is one memcpy from the mapped file (or one pread) and is THREAD-SAFE (any number of threads
  // on one reader); otherwise it is read() and carries read()'s thread restrictions.
  void read_row_span(column c, size_t row, size_t pix0, size_t npix, void* dst) const;
  // The same, THREAD-SAFE for every column: direct(c) spans are read as above, without a lock;
  // the rest go through HDF5 holding `hdf5`, which every thread reading any block through HDF5
  // at the same time must share (HDF5 takes one caller at a time).
  void read_row_span(column c, size_t row, size_t pix0, size_t npix, void* dst, std::mutex& hdf5) const;
  // The same span read in place: a pointer into the read-only mapping of the file (valid while
  // the reader lives; thread-safe), so a caller that only reads the values needs no copy. Null
  // when the column is not direct(c), the file is not mapped, or the data is not 4-byte aligned
  // in it: read_row_span then.
  const void* mapped_row_span(column c, size_t row, size_t pix0, size_t npix) const;

  // The optional group `extra` (io/store/block_extras.hpp), checked at open (data_error when
  // its shapes disagree with the block). resolution_diagonals(): 0 when the block stores no
  // resolution of its rows. cameras(): the stored camera spectra, empty when none.
  int32_t resolution_diagonals() const;
  const std::vector<block_camera>& cameras() const;
  const block_camera* camera(char name) const;  // null when not stored
  // The row's resolution on its own pixels, [diagonals][npix] (invalid_argument when none is
  // stored). Not thread-safe, like read().
  std::vector<float> read_resolution(size_t row) const;
  // The same straight into dst, which must hold exactly [diagonals][npix] (invalid_argument
  // otherwise).
  void read_resolution(size_t row, std::span<float> dst) const;
  // One camera of a row exactly as ingested (invalid_argument when not stored; the camera's
  // resolution only with with_resolution, and then invalid_argument when it is not stored).
  camera_arrays read_camera(size_t row, char name, bool with_resolution = false) const;

 private:
  struct hdf5_handles;  // the HDF5 file and its column datasets (io/store/block_reader.cpp)
  // file_space and the result of dataset_of are HDF5 ids (hid_t, a 64-bit integer).
  void read_selection(column c, int64_t file_space, size_t nrows, size_t npix, void* dst) const;
  void patch_loglam(std::span<const uint32_t> rows, size_t row0, size_t nrows, size_t pix0,
                    size_t npix, float* dst) const;
  int64_t dataset_of(column c) const;

  std::filesystem::path path_;
  std::unique_ptr<hdf5_handles> h5_;  // file, then datasets indexed by column (loglam only when stored)
  int fd_ = -1;                     // second descriptor for direct reads (-1: none)
  void* map_ = nullptr;             // the whole file mapped read-only for direct reads
  size_t map_bytes_ = 0;
  int64_t direct_offset_[n_columns] = {-1, -1, -1, -1, -1, -1, -1, -1};
  std::vector<block_row_meta> rows_;
  int64_t block_id_ = 0;
  int32_t lattice_start_ = 0;
  size_t n_pixels_ = 0;
  native_grid grid_ = sdss_native_grid;
  std::shared_ptr<const block_extra_datasets> extras_;  // null: no group `extra`
};

}  // namespace specmill
