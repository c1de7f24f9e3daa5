#pragma once
// The one list of specObj/spAll columns that become spec_meta fields, read by both parsers of
// such a table: spec_meta_table (through CFITSIO: HDU 2 when it is not plain, and the specObj /
// spAll catalogs) and spec_meta_direct (HDU 2 from the file's bytes). A column added here is
// read by both. SPECOBJID is not a field here: each parser reads it its own way and both check
// it with settle_specobjid.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "core/spectrum.hpp"

namespace specmill {

enum class meta_need { optional, required, required_without_run2d_fallback };

// Where a column's value goes. The alternative is also how it is read: int32 (TINT), float
// (TFLOAT), double (TDOUBLE), int64 (TLONGLONG), text, five floats (a 5-vector column, ugriz).
// The numeric scalars must be numeric columns of repeat 1.
using meta_field = std::variant<int32_t spec_meta::*, float spec_meta::*, double spec_meta::*, int64_t spec_meta::*,
                                std::string spec_meta::*, std::array<float, 5> spec_meta::*>;

struct meta_column {
  const char* name;  // TTYPE, matched without regard to case
  meta_need need;
  meta_field field;
  bool required(bool has_run2d_fallback) const {
    return need == meta_need::required || (need == meta_need::required_without_run2d_fallback && !has_run2d_fallback);
  }
};

// In the order spec_meta_table binds, checks and reads them, so the first column it finds
// wrong is the one it reports.
inline constexpr std::array<meta_column, 19> meta_columns{{
    {"PLATE", meta_need::required, &spec_meta::plate},
    {"MJD", meta_need::required, &spec_meta::mjd},
    {"FIBERID", meta_need::required, &spec_meta::fiberid},
    {"RUN2D", meta_need::required_without_run2d_fallback, &spec_meta::run2d},
    {"PLUG_RA", meta_need::optional, &spec_meta::plug_ra},
    {"PLUG_DEC", meta_need::optional, &spec_meta::plug_dec},
    {"Z", meta_need::required, &spec_meta::z},
    {"Z_ERR", meta_need::optional, &spec_meta::z_err},
    {"ZWARNING", meta_need::optional, &spec_meta::zwarning},
    {"CLASS", meta_need::required, &spec_meta::class_name},
    {"SUBCLASS", meta_need::optional, &spec_meta::subclass},
    {"SN_MEDIAN_ALL", meta_need::optional, &spec_meta::sn_median_all},
    {"SPECPRIMARY", meta_need::optional, &spec_meta::specprimary},
    {"WAVEMIN", meta_need::optional, &spec_meta::wavemin},
    {"WAVEMAX", meta_need::optional, &spec_meta::wavemax},
    {"PROGRAMNAME", meta_need::optional, &spec_meta::programname},
    {"OBJTYPE", meta_need::optional, &spec_meta::objtype},
    {"THING_ID", meta_need::optional, &spec_meta::thing_id},
    {"SPECTROFLUX", meta_need::optional, &spec_meta::spectroflux},
}};

// The row's SPECOBJID, the one rule of both parsers: an empty RUN2D takes run2d_fallback, the ID
// is packed from PLATE/MJD/FIBERID/RUN2D and must equal `stored` (the row's SPECOBJID column,
// nullopt when there is none). Sets m.specobjid and returns an empty string, or returns why the
// row has no valid ID (spec_meta_table's data_error message, after the row's name).
std::string settle_specobjid(spec_meta& m, std::optional<uint64_t> stored,
                             const std::optional<std::string>& run2d_fallback);

}  // namespace specmill
