#pragma once
// `get --meta`: the catalog row of each spectrum written, carried in the output beside its
// pixels (io/formats/meta_table.hpp; table_sink.hpp says where each format puts it). The rows
// are read from the store's catalog one list window at a time (catalog_reader::lookup, the
// prepared-statement path every read uses), so memory follows the window, not the list.
//
// Columns, as the catalog holds them (docs/cli.md):
//   SDSS  specobjid, plate, mjd, fiberid, run2d, ra, dec (deg), z, z_err, zwarning, class,
//         subclass, sn_median_all, specprimary
//   DESI  specobjid (the store key), targetid, survey, program, healpix, ra, dec (deg), z, zerr,
//         zwarn, spectype, subtype, zcat_primary, flux_g, flux_r, flux_z (nanomaggies): the
//         DESI names of the catalog's SDSS-named columns (docs/desi.md); the SDSS columns a DESI
//         catalog fills with nothing (mjd, fiberid, sn_median_all) are absent.
#include <span>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/native_grid.hpp"
#include "engine/pipeline/id_list.hpp"
#include "io/catalog/catalog_reader.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill {

enum class meta_mode { automatic, yes, no };
meta_mode parse_meta_mode(std::string_view text);  // auto, yes or no; invalid_argument otherwise
// Whether an output carries the catalog rows: auto is yes for the stored form in npz, hdf5
// and fits, no otherwise; yes for npy or a dense form (align, cutout, resample) is
// invalid_argument (neither has a place for them yet).
bool wants_meta(meta_mode mode, output_format format, bool dense);

enum class meta_columns { sdss, desi };
// A store on DESI's native grid (linear:0.8) holds DESI rows; any other, SDSS rows.
meta_columns meta_columns_of(const native_grid& grid);
meta_schema get_meta_schema(meta_columns which);

// Packs the records of a window's found IDs (has_pixels), in list order.
class meta_reader {
 public:
  meta_reader(catalog_reader& catalog, std::string context, meta_columns which);
  const meta_schema& schema() const { return schema_; }
  // The records of ids[first, last) that have pixels; valid until the next call. A catalog
  // row that vanished since the IDs were resolved, or a text value wider than its column, is
  // data_error (never a truncated or invented value).
  meta_window read(std::span<const resolved_id> ids, size_t first, size_t last);

 private:
  catalog_reader& catalog_;
  std::string context_;
  meta_columns which_;
  meta_schema schema_;
  std::vector<char> records_;
};

}  // namespace specmill
