#pragma once
// The in-memory form of one SDSS coadded spectrum and its catalog metadata, shared by the
// FITS reader, the sample writer, the HDF5 store and the SQLite catalog. Pixel indices
// (lattice_start) count on the store's native grid (core/native_grid.hpp): the SDSS log10 1e-4
// lattice for everything read from SDSS files.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/native_grid.hpp"

namespace specmill {

// The COADD columns, in file order (loglam is derived from the lattice in the store).
enum class column : int { flux = 0, loglam, ivar, and_mask, or_mask, wdisp, sky, model };
inline constexpr int n_columns = 8;
inline constexpr std::array<std::string_view, n_columns> column_names = {
    "flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model"};
inline constexpr bool column_is_int(column c) { return c == column::and_mask || c == column::or_mask; }

// Catalog metadata of one spectrum (HDU 2 row, or a specObj/spAll row). Names follow the DR16
// specObj/spAll columns, lowercase. Strings are trimmed of trailing blanks.
struct spec_meta {
  uint64_t specobjid = 0;
  int32_t plate = 0;
  int32_t mjd = 0;
  int32_t fiberid = 0;
  std::string run2d;            // "26", "103", "104" or "vN_M_P"
  double plug_ra = 0.0;         // degrees
  double plug_dec = 0.0;        // degrees
  float z = 0.0f;
  float z_err = 0.0f;
  int32_t zwarning = 0;
  std::string class_name;       // CLASS: GALAXY, QSO, STAR
  std::string subclass;
  float sn_median_all = 0.0f;
  int32_t specprimary = 0;
  std::array<float, 5> spectroflux{};  // ugriz, nanomaggies
  float wavemin = 0.0f;         // Angstrom
  float wavemax = 0.0f;
  std::string programname;
  std::string objtype;
  int64_t thing_id = -1;        // BOSS only; -1 when absent
};

// The COADD HDU of one spectrum, column-wise, exactly as read from the file.
struct coadd {
  int32_t lattice_start = 0;   // grid index of pixel 0: loglam[0] == lattice_loglam(lattice_start)
  bool loglam_exact = true;    // every loglam[i] == lattice_loglam(lattice_start + i) bit for bit
  int32_t nonfinite_pixels = 0;  // pixels whose NaN/Inf values the reader set to 0 (ivar 0)
  std::vector<float> flux, loglam, ivar, wdisp, sky, model;
  std::vector<int32_t> and_mask, or_mask;
  size_t npix() const { return flux.size(); }
};

struct sdss_spectrum {
  spec_meta meta;
  coadd data;
};

// float32 loglam of grid index i, computed the way the SDSS files hold it (on the SDSS lattice
// the float32 nearest to i * 1e-4; verified bit-exact against all real files in shared/data).
inline float lattice_loglam(int32_t index, const native_grid& grid = sdss_native_grid) {
  return static_cast<float>(grid.loglam(index));
}

}  // namespace specmill
