#include "engine/pipeline/rest_frame.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "core/error.hpp"

namespace specmill {

std::vector<double> rest_frame_shifts(std::span<const double> redshifts, std::span<const resolved_id> ids) {
  constexpr double nan_d = std::numeric_limits<double>::quiet_NaN();
  SPECMILL_EXPECTS(redshifts.empty() || redshifts.size() == ids.size(),
                   "the redshift list has " + std::to_string(redshifts.size()) + " values for " +
                       std::to_string(ids.size()) + " IDs (one z a line, in ID order)");
  std::vector<double> shift(ids.size(), nan_d);
  for (size_t i = 0; i < ids.size(); ++i) {
    const double z = !redshifts.empty() ? redshifts[i] : ids[i].found() ? double(ids[i].z()) : nan_d;
    if (std::isfinite(z) && z > -1) shift[i] = std::log10(1.0 + z);
  }
  return shift;
}

}  // namespace specmill
