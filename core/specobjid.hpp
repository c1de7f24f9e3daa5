#pragma once
// SDSS SPECOBJID bit packing (DR8+):
//   PLATE<<50 | FIBERID<<38 | (MJD-50000)<<24 | run2d<<10
// where run2d is 26/103/104 for the legacy reductions and (N-5)*10000 + M*100 + P for
// "vN_M_P". Plates >= 8192 set bit 63, so SPECOBJID is an unsigned 64-bit value.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace specmill {

struct spec_key {
  int32_t plate = 0;
  int32_t mjd = 0;
  int32_t fiberid = 0;
  int32_t run2d = 0;  // numeric run2d code as packed in SPECOBJID
  bool operator==(const spec_key&) const = default;
};

// "26" -> 26, "v5_13_0" -> 1300, "v5_7_2" -> 702. Throws invalid_argument on anything else.
int32_t run2d_code(std::string_view run2d);
// Inverse of run2d_code: 26 -> "26", 1300 -> "v5_13_0".
std::string run2d_name(int32_t code);

// Throws invalid_argument when a field does not fit its bit range.
uint64_t pack_specobjid(const spec_key& key);
spec_key unpack_specobjid(uint64_t specobjid);

// Parses an unsigned decimal SPECOBJID; also accepts the signed (two's complement) form that
// spAll files and SQLite integers carry. Returns nullopt on malformed text.
std::optional<uint64_t> parse_specobjid(std::string_view text);

}  // namespace specmill
