#pragma once
// The rest frame's per-item shift, shared by get --resample --rest-frame and stack --rest-frame.
#include <span>
#include <vector>

#include "engine/pipeline/id_list.hpp"

namespace specmill {

// log10(1+z) per list item for the rest frame: `redshifts` (one per item, in list order) when
// given, else the catalog's z. An unusable z (not finite, <= -1, or no catalog entry) gives NaN,
// which the kernels turn into a row that contributes nothing. invalid_argument when
// `redshifts` is given with another length than the list.
std::vector<double> rest_frame_shifts(std::span<const double> redshifts, std::span<const resolved_id> ids);

}  // namespace specmill
