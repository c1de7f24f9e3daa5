#include "engine/get/get_meta.hpp"

#include <cstring>
#include <variant>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"

namespace specmill {
namespace {

using meta_value = std::variant<int32_t, int64_t, uint64_t, double, std::string_view>;

// One output column: its description and where its value sits in a catalog row.
struct meta_field {
  meta_column column;
  meta_value (*value)(const spec_meta&);
};

// Text widths hold every value of the releases (SDSS CLASS 6, SUBCLASS up to 21; DESI SPECTYPE
// 6, SUBTYPE up to 20 characters) with room; a wider value is refused, not cut.
const std::vector<meta_field>& sdss_fields() {
  static const std::vector<meta_field> f = {
      {{"specobjid", meta_type::u8, 0, ""}, [](const spec_meta& m) -> meta_value { return m.specobjid; }},
      {{"plate", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.plate; }},
      {{"mjd", meta_type::i4, 0, "d"}, [](const spec_meta& m) -> meta_value { return m.mjd; }},
      {{"fiberid", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.fiberid; }},
      {{"run2d", meta_type::text, 16, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.run2d); }},
      // The catalog's ra/dec are the plug position (io/catalog/catalog_db.cpp binds them so).
      {{"ra", meta_type::f8, 0, "deg"}, [](const spec_meta& m) -> meta_value { return m.plug_ra; }},
      {{"dec", meta_type::f8, 0, "deg"}, [](const spec_meta& m) -> meta_value { return m.plug_dec; }},
      {{"z", meta_type::f8, 0, ""}, [](const spec_meta& m) -> meta_value { return double(m.z); }},
      {{"z_err", meta_type::f8, 0, ""}, [](const spec_meta& m) -> meta_value { return double(m.z_err); }},
      {{"zwarning", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.zwarning; }},
      {{"class", meta_type::text, 16, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.class_name); }},
      {{"subclass", meta_type::text, 32, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.subclass); }},
      {{"sn_median_all", meta_type::f8, 0, ""}, [](const spec_meta& m) -> meta_value { return double(m.sn_median_all); }},
      {{"specprimary", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.specprimary; }},
  };
  return f;
}

// docs/desi.md: which SDSS-named catalog column holds which DESI value.
const std::vector<meta_field>& desi_fields() {
  static const std::vector<meta_field> f = {
      {{"specobjid", meta_type::u8, 0, ""}, [](const spec_meta& m) -> meta_value { return m.specobjid; }},
      {{"targetid", meta_type::i8, 0, ""}, [](const spec_meta& m) -> meta_value { return m.thing_id; }},
      {{"survey", meta_type::text, 16, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.run2d); }},
      {{"program", meta_type::text, 16, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.programname); }},
      {{"healpix", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.plate; }},
      {{"ra", meta_type::f8, 0, "deg"}, [](const spec_meta& m) -> meta_value { return m.plug_ra; }},
      {{"dec", meta_type::f8, 0, "deg"}, [](const spec_meta& m) -> meta_value { return m.plug_dec; }},
      {{"z", meta_type::f8, 0, ""}, [](const spec_meta& m) -> meta_value { return double(m.z); }},
      {{"zerr", meta_type::f8, 0, ""}, [](const spec_meta& m) -> meta_value { return double(m.z_err); }},
      {{"zwarn", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.zwarning; }},
      {{"spectype", meta_type::text, 16, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.class_name); }},
      {{"subtype", meta_type::text, 32, ""}, [](const spec_meta& m) -> meta_value { return std::string_view(m.subclass); }},
      {{"zcat_primary", meta_type::i4, 0, ""}, [](const spec_meta& m) -> meta_value { return m.specprimary; }},
      {{"flux_g", meta_type::f8, 0, "nanomaggy"}, [](const spec_meta& m) -> meta_value { return double(m.spectroflux[1]); }},
      {{"flux_r", meta_type::f8, 0, "nanomaggy"}, [](const spec_meta& m) -> meta_value { return double(m.spectroflux[2]); }},
      {{"flux_z", meta_type::f8, 0, "nanomaggy"}, [](const spec_meta& m) -> meta_value { return double(m.spectroflux[4]); }},
  };
  return f;
}

const std::vector<meta_field>& fields_of(meta_columns which) {
  return which == meta_columns::desi ? desi_fields() : sdss_fields();
}

}  // namespace

meta_mode parse_meta_mode(std::string_view text) {
  if (text == "auto") return meta_mode::automatic;
  if (text == "yes") return meta_mode::yes;
  if (text == "no") return meta_mode::no;
  throw invalid_argument("unknown --meta '" + std::string(text) + "' (expected auto, yes or no)");
}

bool wants_meta(meta_mode mode, output_format format, bool dense) {
  const bool has_place = !dense && format != output_format::npy;
  switch (mode) {
    case meta_mode::no: return false;
    case meta_mode::automatic:
      return has_place && (format == output_format::npz || format == output_format::hdf5 || format == output_format::fits);
    case meta_mode::yes:
      SPECMILL_EXPECTS(format != output_format::npy, "--meta yes: npy has no place for catalog rows (use npz, hdf5, fits or csv)");
      SPECMILL_EXPECTS(!dense, "--meta yes: catalog rows go with the stored form only, not --align, --cutout or --resample");
      return true;
  }
  return false;
}

meta_columns meta_columns_of(const native_grid& grid) {
  return same_grid(grid, desi_native_grid) ? meta_columns::desi : meta_columns::sdss;
}

meta_schema get_meta_schema(meta_columns which) {
  meta_schema s;
  for (const auto& f : fields_of(which)) s.columns.push_back(f.column);
  return s;
}

meta_reader::meta_reader(catalog_reader& catalog, std::string context, meta_columns which)
    : catalog_(catalog), context_(std::move(context)), which_(which), schema_(get_meta_schema(which)) {}

meta_window meta_reader::read(std::span<const resolved_id> ids, size_t first, size_t last) {
  const auto& fields = fields_of(which_);
  const size_t rec = schema_.record_bytes();
  records_.clear();
  size_t rows = 0;
  for (size_t i = first; i < last; ++i) {
    if (!ids[i].has_pixels()) continue;
    // The locator's entry holds only the keys; the full row comes from lookup.
    const auto entry = catalog_.lookup(context_, ids[i].specobjid());
    if (!entry) throw data_error("catalog row of " + std::to_string(ids[i].specobjid()) + " vanished during get");
    records_.resize((rows + 1) * rec, '\0');
    char* out = records_.data() + rows * rec;
    for (size_t k = 0; k < fields.size(); ++k) {
      char* dst = out + schema_.offset(k);
      const meta_value v = fields[k].value(entry->meta);
      if (const auto* text = std::get_if<std::string_view>(&v)) {
        const size_t width = fields[k].column.width;
        if (text->size() > width)
          throw data_error("catalog value '" + std::string(*text) + "' of " + fields[k].column.name + " (" +
                           std::to_string(ids[i].specobjid()) + ") is wider than its " + std::to_string(width) +
                           "-byte column");
        std::memcpy(dst, text->data(), text->size());
      } else {
        std::visit([&](auto x) {
          if constexpr (!std::is_same_v<decltype(x), std::string_view>) std::memcpy(dst, &x, sizeof x);
        }, v);
      }
    }
    ++rows;
  }
  return {records_.data(), rows};
}

}  // namespace specmill
