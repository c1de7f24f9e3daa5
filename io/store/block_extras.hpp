#pragma once
// The optional per-spectrum arrays a block may carry beside its columns (HDF5 group `extra`,
// docs/store-format.md): the resolution diagonals of each row's own pixels, and the camera
// spectra a row was merged from (DESI b, r, z exactly as in the coadd file, each with its own
// lattice start and width, and optionally its own resolution). Blocks without them are valid
// and unchanged; readers that predate them ignore the group.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace specmill {

// One camera of one spectrum.
struct camera_arrays {
  char name = 'b';
  int32_t lattice_start = 0;         // lattice index of pixel 0 on the block's grid
  std::vector<double> wavelength;    // npix, Angstrom, as the file holds it
  std::vector<float> flux, ivar;     // npix
  std::vector<uint32_t> mask;        // npix, the file's bits
  std::vector<float> resolution;     // [diagonals][npix], or empty
  size_t npix() const { return flux.size(); }
};

// What a row carries in `extra`; every row of a block carries the same kinds, with the same
// camera names, lattice starts, widths and wavelength arrays (block_builder::accepts).
struct spectrum_extras {
  std::vector<float> resolution;       // [diagonals][row npix] on the row's own pixels, or empty
  std::vector<camera_arrays> cameras;  // empty: none
  bool empty() const { return resolution.empty() && cameras.empty(); }
};

// The block-level description of a stored camera (block_reader::cameras()).
struct block_camera {
  char name = 'b';
  int32_t lattice_start = 0;
  size_t npix = 0;
  std::vector<double> wavelength;
  int32_t resolution_diagonals = 0;  // 0: the camera's resolution is not stored
};

}  // namespace specmill
