#pragma once
// Spectrum ID lists as users write them, one per line:
//   299492975510054912        decimal SPECOBJID (unsigned; the signed form of spAll is accepted)
//   266,51602,13  266-51602-13  266 51602 13    plate, mjd, fiberid
//   39627358369480854,sv1,dark                  DESI: TARGETID, SURVEY, PROGRAM (a DESI context)
// Blank lines and lines starting with # are ignored.
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/pipeline/resolved_id.hpp"
#include "io/catalog/catalog_db.hpp"

namespace specmill {

struct spectrum_id {
  std::optional<uint64_t> specobjid;  // set for a SPECOBJID line
  int32_t plate = 0, mjd = 0, fiberid = 0;  // set for a plate-mjd-fiber line
  struct desi_spectrum {
    int64_t targetid = 0;
    std::string survey, program;
  };
  // Set for a targetid,survey,program line. Shared, not held inline: the other lines then cost
  // 16 bytes for it, not 88 (a list of 10^7 IDs is parsed whole before it is resolved).
  std::shared_ptr<const desi_spectrum> desi;
  std::string text;                   // the line as given, for messages
};

// Throws invalid_argument naming the line for malformed text.
spectrum_id parse_spectrum_id(std::string_view line);
std::vector<spectrum_id> read_id_list(std::istream& in, const std::string& source_name);
// The list in a file, or on stdin for "-". not_found when the file cannot be read.
std::vector<spectrum_id> load_id_list(const std::string& path);
// A redshift list (get/stack --redshifts): one z a line, in ID order; '#' comments and blank
// lines skipped. not_found for an unreadable file, invalid_argument naming a bad line.
std::vector<double> load_redshift_list(const std::string& path);

// A partial plate tuple as the service's clients send them: (plate,), (plate, mjd),
// (plate, mjd, 'lo-hi'). Expanded through the catalog into the stored spectra it names.
struct partial_tuple {
  int32_t plate = 0;
  std::optional<int32_t> mjd;
  int32_t fiber_lo = 1, fiber_hi = 1'000'000;
  std::string text;
};
// By mjd, then fiberid; an empty result is not an error (the caller reports it).
std::vector<spectrum_id> expand_tuple(catalog_reader& cat, const std::string& context, const partial_tuple& t);

// Entries carry what the bulk paths use (engine/pipeline/resolved_id.hpp: 32 bytes an ID): the
// location, SPECOBJID, plate, mjd, fiberid and z; not the catalog row's other fields.
resolved_list resolve_ids(catalog_reader& cat, const std::string& context, std::span<const spectrum_id> ids);
// The same, consuming the list: its memory (~100 bytes an ID) is freed once it is resolved.
resolved_list resolve_ids(catalog_reader& cat, const std::string& context, std::vector<spectrum_id> ids);

}  // namespace specmill
