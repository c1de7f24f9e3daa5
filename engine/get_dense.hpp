#pragma once
// get's dense forms (align, cutout; engine/get.hpp): plan the grid, read or compute each list
// window on the chosen backend, hand the windows to a dense_sink.
#include <vector>

#include "engine/get.hpp"
#include "engine/progress.hpp"
#include "engine/store.hpp"

namespace specmill {

// Fills sum.width. IDs without pixels give rows of zeros (found = false).
void write_dense(const get_options& opts, store& st, const std::vector<resolved_id>& ids, get_summary& sum,
                 progress_meter& meter);

}  // namespace specmill
