#include "io/fits/spec_meta_columns.hpp"

#include "core/error.hpp"
#include "core/specobjid.hpp"

namespace specmill {

std::string settle_specobjid(spec_meta& m, std::optional<uint64_t> stored,
                             const std::optional<std::string>& run2d_fallback) {
  if (m.run2d.empty() && run2d_fallback) m.run2d = *run2d_fallback;
  uint64_t packed = 0;
  try {
    packed = pack_specobjid({m.plate, m.mjd, m.fiberid, run2d_code(m.run2d)});
  } catch (const invalid_argument& e) {
    return std::string("cannot form SPECOBJID: ") + e.what();
  }
  if (stored && *stored != packed) {
    return "SPECOBJID " + std::to_string(*stored) + " does not match PLATE/MJD/FIBERID/RUN2D " +
           std::to_string(m.plate) + "/" + std::to_string(m.mjd) + "/" + std::to_string(m.fiberid) + "/" + m.run2d +
           " (expected " + std::to_string(packed) + ")";
  }
  m.specobjid = packed;
  return {};
}

}  // namespace specmill
