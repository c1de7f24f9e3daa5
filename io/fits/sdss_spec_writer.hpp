#pragma once
// Writes SDSS spec-lite files and specObj-style catalogs byte-compatible with the SDSS
// pipeline's (idlspec2d) output, so that everything downstream (our reader, astropy, IDL
// tools) can be exercised on synthetic data of any size. The HDU 2/3 column sets are copied
// from real files by scripts/gen-hdu-columns.py into io/sdss_hdu_columns.inc.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <string_view>

#include "core/spectrum.hpp"

namespace specmill {

// legacy: SDSS-I/II reductions (RUN2D 26, 103, 104); boss: BOSS/eBOSS reductions ("vN_M_P").
enum class sdss_era { legacy, boss };

// Throws invalid_argument when run2d is neither a legacy code nor "vN_M_P".
sdss_era era_of(std::string_view run2d);

// Primary-header values that are not part of spec_meta/coadd. Defaults are typical values.
struct spec_lite_header {
  // Legacy files were trimmed at the blue end after COEFF0 was set: COEFF0 is this many
  // pixels before loglam[0]. BOSS files always have COEFF0 == loglam[0]; ignored there.
  int32_t coeff0_offset = 0;
  int32_t nexp = 0;            // number of exposures (EXPIDnnn keys); 0 = 8 legacy / 10 boss
  double exptime = 2700.0;     // seconds, minimum over cameras
  double helio_rv = 0.0;       // km/s, heliocentric correction
  int32_t tileid = 0;
};

// Writes one spec-lite file exactly like the SDSS pipeline's: HDU0 primary (NAXIS=0, the
// primary keys of the era), HDU1 COADD (8 lowercase columns), HDU2 SPECOBJ (legacy, 126
// columns, SPECOBJID 22A right-justified) or SPALL (boss, 236 columns, SPECOBJID K with
// TZERO=2^63), HDU3 SPZLINE (19 columns; 29 rows legacy / 32 boss). Columns with no value in
// `s` are zeros or blanks. Overwrites `file`. Throws fits_error/io_error, invalid_argument
// for an inconsistent spectrum (column lengths differ, unknown run2d).
void write_sdss_spec_lite(const std::filesystem::path& file, const sdss_spectrum& s);
void write_sdss_spec_lite(const std::filesystem::path& file, const sdss_spectrum& s,
                          const spec_lite_header& header);
// The same file's bytes handed to `out` in one piece (a stream, a response); `name` is what
// error messages call it.
void write_sdss_spec_lite(const sdss_spectrum& s, const std::function<void(const char*, size_t)>& out,
                          const std::filesystem::path& name = "(spec file)");
void write_sdss_spec_lite(const sdss_spectrum& s, const spec_lite_header& header,
                          const std::function<void(const char*, size_t)>& out,
                          const std::filesystem::path& name = "(spec file)");

// A specObj-style catalog: empty primary, HDU1 binary table with the BOSS SPALL column set,
// one row per spectrum in the given order (SPECOBJID K with TZERO=2^63, legacy rows too).
void write_specobj_catalog(const std::filesystem::path& file, std::span<const spec_meta> rows);

}  // namespace specmill
