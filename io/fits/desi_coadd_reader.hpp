#pragma once
// Reader for DESI healpix coadd files (coadd-SURVEY-PROGRAM-PIXNUM.fits, desispec) and for
// DESI redshift catalogs (zpix-SURVEY-PROGRAM.fits / zall-pix, HDU ZCATALOG).
//
// A coadd is recognised by content: HDUs found by EXTNAME (FIBERMAP and, per camera b/r/z,
// X_WAVELENGTH, X_FLUX, X_IVAR, X_MASK; X_RESOLUTION only when asked for), in any order, not by
// the file name. Masks are read as stored: int32 (desispec since 2022) or uint32 (BITPIX 32
// with BZERO 2^31, the early release); in memory both are the uint32 bit pattern.
// Memory is bounded: opening reads the headers, the FIBERMAP and the wavelength arrays; pixel
// images are read in windows of targets (read()).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/desi_coadd.hpp"

namespace specmill {

class fits_file;

// True when `file` opens as FITS and has the coadd HDUs above (false for anything else,
// including files that cannot be opened; never throws for a regular file).
bool is_desi_coadd(const std::filesystem::path& file);

class desi_coadd_reader {
 public:
  // Opens and checks the layout. data_error naming the file when an HDU is missing, an image's
  // shape disagrees with the FIBERMAP's rows and its camera's wavelengths, a wavelength array is
  // not on the 0.8 A lattice, or an image needs more bytes than its HDU holds (truncated);
  // fits_error when CFITSIO cannot read it.
  explicit desi_coadd_reader(const std::filesystem::path& file);
  ~desi_coadd_reader();
  desi_coadd_reader(desi_coadd_reader&&) noexcept;
  desi_coadd_reader& operator=(desi_coadd_reader&&) noexcept;

  const std::filesystem::path& path() const { return path_; }
  // From the SURVEY/PROGRAM/HPXPIXEL header keys, else from the file name; "" / -1 when neither.
  const std::string& survey() const { return survey_; }
  const std::string& program() const { return program_; }
  int32_t healpix() const { return healpix_; }
  desi_mask_type mask_type() const { return mask_type_; }
  bool has_resolution() const { return has_resolution_; }
  size_t n_targets() const { return targets_.size(); }
  const std::vector<desi_target>& targets() const { return targets_; }
  // Camera wavelengths and lattice starts (images empty).
  const std::array<desi_camera_data, 3>& cameras() const { return cameras_; }

  // Targets [first, first + count): their FIBERMAP rows and the three cameras' images
  // (resolution too when with_resolution; data_error when the file has none).
  desi_coadd_file read(size_t first, size_t count, bool with_resolution = false);

 private:
  std::filesystem::path path_;
  std::unique_ptr<fits_file> file_;
  std::string survey_, program_;
  int32_t healpix_ = -1;
  desi_mask_type mask_type_ = desi_mask_type::int32;
  bool has_resolution_ = true;
  std::vector<desi_target> targets_;
  std::array<desi_camera_data, 3> cameras_;
  // HDU numbers (0-based) per camera: wavelength, flux, ivar, mask, resolution (-1 absent).
  std::array<std::array<int, 5>, 3> hdu_{};
};

// A redshift catalog (HDU ZCATALOG), read in windows of rows.
class desi_zcatalog_reader {
 public:
  explicit desi_zcatalog_reader(const std::filesystem::path& file);
  ~desi_zcatalog_reader();
  size_t rows() const { return rows_; }
  // Rows [first, first + count). Absent optional columns read as zero/blank; ZCAT_PRIMARY
  // absent reads as true.
  struct row {
    desi_target target;
    desi_redshift redshift;
    std::string survey, program;
    int32_t healpix = -1;
  };
  std::vector<row> read(size_t first, size_t count);

 private:
  std::filesystem::path path_;
  std::unique_ptr<fits_file> file_;
  size_t rows_ = 0;
};

}  // namespace specmill
