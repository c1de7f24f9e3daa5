#pragma once
// The HDF5 side of the block files, shared by block_reader.cpp and block_writer.cpp (and their
// tests): io/store/block_file.hpp keeps hdf5.h out of everything that includes it.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/store/block_file.hpp"
#include "io/store/hdf5_handle.hpp"

namespace specmill::detail {

// In-memory record of the `meta` compound dataset; the file type is the packed little-endian
// form of the same fields (29 bytes), built by meta_file_type().
struct meta_record {
  uint64_t specobjid;
  int32_t plate, mjd, fiberid, lattice_start, npix;
  uint8_t loglam_exact;
};
h5::datatype meta_memory_type();
h5::datatype meta_file_type();

}  // namespace specmill::detail

namespace specmill {

// The group `extra` of an open block (io/store/block_extras.cpp): validated at open.
struct block_extra_datasets {
  int32_t resolution_diagonals = 0;
  h5::dataset resolution;  // [n_spectra][diagonals][n_pixels] when diagonals > 0
  std::vector<block_camera> cameras;
  struct camera_datasets {
    h5::dataset flux, ivar, mask, resolution;
  };
  std::vector<camera_datasets> camera_data;  // parallel to cameras
};

namespace detail {

// invalid_argument when x's arrays do not fit the spectrum (diagonals, camera lengths, names).
void check_extras(const sdss_spectrum& s, const spectrum_extras& x);
// Writes group `extra` of a block being built (nothing when every row's extras are empty).
void write_block_extras(hid_t file, const std::vector<block_row_meta>& rows,
                        const std::vector<spectrum_extras>& extras, int32_t block_lattice_start, size_t n_pixels);
// Opens and checks group `extra`; null when the block has none. `where`: " (path)" for messages.
std::shared_ptr<const block_extra_datasets> open_block_extras(hid_t file, size_t n_spectra, size_t n_pixels,
                                                              const std::string& where);

}  // namespace detail
}  // namespace specmill
