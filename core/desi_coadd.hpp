#pragma once
// The in-memory form of one DESI healpix coadd file (coadd-SURVEY-PROGRAM-PIXNUM.fits), shared
// by its FITS reader and writer (io/fits/desi_coadd_*), the sample generator and ingest.
//
// DESI spectra come in three cameras, each on its own linear wavelength lattice with 0.8 A
// pixels (b 3600-5800 A, r 5760-7620 A, z 7520-9824 A; the files store each camera's wavelength
// array). All three lie on the native grid linear:0.8 (lambda = index * 0.8 A), so a camera is a
// lattice start and a pixel count, and the merged brz spectrum runs from index 4500 (3600 A) to
// 12280 (9824 A): 7781 pixels (kernels/camera_merge.hpp).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/native_grid.hpp"

namespace specmill {

inline constexpr double desi_pixel_angstrom = 0.8;
inline constexpr native_grid desi_native_grid{grid_kind::linear_lattice, 0.8, 1.25, nullptr, 0};
// Resolution-matrix diagonals stored per pixel (the files' NAXIS2 of X_RESOLUTION).
inline constexpr int32_t desi_resolution_diagonals = 11;

struct desi_camera_layout {
  char name;              // 'b', 'r', 'z'
  int32_t lattice_start;  // index of pixel 0 on desi_native_grid
  int32_t npix;
};
// The DESI DR1 cameras (desispec's nominal wavelength grids).
inline constexpr std::array<desi_camera_layout, 3> desi_cameras = {
    desi_camera_layout{'b', 4500, 2751}, desi_camera_layout{'r', 7200, 2326},
    desi_camera_layout{'z', 9400, 2881}};
// The merged brz spectrum: first b pixel to last z pixel.
inline constexpr int32_t desi_brz_start = 4500;
inline constexpr int32_t desi_brz_npix = 9400 + 2881 - 4500;  // 7781
static_assert(desi_brz_npix == 7781, "brz spans 3600-9824 A at 0.8 A");

// Where neighbouring cameras overlap (b/r, then r/z), in Angstrom from the first pixel centre of
// the redder camera to the last of the bluer one: where the merged brz spectrum is a weighted
// mean of two cameras (previews shade them).
inline std::array<wavelength_span, 2> desi_camera_overlaps() {
  std::array<wavelength_span, 2> o;
  for (size_t i = 0; i + 1 < desi_cameras.size(); ++i) {
    const desi_camera_layout &blue = desi_cameras[i], &red = desi_cameras[i + 1];
    o[i] = {desi_native_grid.angstrom(red.lattice_start), desi_native_grid.angstrom(blue.lattice_start + blue.npix - 1)};
  }
  return o;
}

// How a file stores its X_MASK images: int32 (desispec since 2022) or uint32, i.e. BITPIX 32
// with BZERO 2^31 (the early-release files). The bits are the same; in memory they are uint32.
enum class desi_mask_type { int32, uint32 };

// One target's FIBERMAP row: the columns users select on and the engine uses. The other
// FIBERMAP columns of the data model are written as zeros/blanks by the sample writer and are
// not read.
struct desi_target {
  int64_t targetid = 0;
  int32_t coadd_fiberstatus = 0;
  double target_ra = 0;   // degrees
  double target_dec = 0;  // degrees
  std::string objtype = "TGT";
  float flux_g = 0, flux_r = 0, flux_z = 0;  // nanomaggies
  float flux_ivar_g = 0, flux_ivar_r = 0, flux_ivar_z = 0;
  float ebv = 0;
  int64_t desi_target = 0, bgs_target = 0, mws_target = 0, scnd_target = 0;
  std::string photsys = "S";
  int16_t coadd_numexp = 1;
  float coadd_exptime = 0;
};

// One camera of a coadd file: row-major [n_targets][npix] images (resolution [n][11][npix]).
struct desi_camera_data {
  char name = 'b';
  int32_t lattice_start = 0;          // derived from wavelength by the reader
  std::vector<double> wavelength;     // Angstrom, npix
  std::vector<float> flux, ivar;      // n_targets * npix
  std::vector<uint32_t> mask;         // n_targets * npix
  std::vector<float> resolution;      // n_targets * 11 * npix; empty unless asked for
  size_t npix() const { return wavelength.size(); }
};

// The redshift-catalog row of a target (zpix-SURVEY-PROGRAM.fits ZCATALOG).
struct desi_redshift {
  double z = 0, zerr = 0;
  int64_t zwarn = 0;
  std::string spectype = "GALAXY";
  std::string subtype;
  double deltachi2 = 0;
  bool zcat_primary = true;
};

struct desi_coadd_file {
  std::string survey;   // "main", "sv1", ...
  std::string program;  // "dark", "bright", ...
  int32_t healpix = 0;  // NSIDE 64, nested
  desi_mask_type mask_type = desi_mask_type::int32;
  std::vector<desi_target> targets;
  std::array<desi_camera_data, 3> cameras;  // b, r, z
  size_t n_targets() const { return targets.size(); }
};

// "healpix/<survey>/<program>/<hpix/100>/<hpix>/coadd-<survey>-<program>-<hpix>.fits", the
// layout of the DESI release tree.
std::string desi_coadd_relative_path(std::string_view survey, std::string_view program, int32_t healpix);

// The store key of a coadded spectrum that is not the one served for its TARGETID (that one's
// key is the TARGETID): bit 63 set (TARGETIDs are positive int64), the rest a hash of the three
// values, so that every run and build gives the same key.
uint64_t desi_secondary_key(int64_t targetid, std::string_view survey, std::string_view program);

}  // namespace specmill
