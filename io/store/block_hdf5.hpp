#pragma once
// The HDF5 side of the block files, shared by block_reader.cpp and block_writer.cpp (and their
// tests): io/store/block_file.hpp keeps hdf5.h out of everything that includes it.
#include <cstdint>

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
