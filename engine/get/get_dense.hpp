#pragma once
// get's dense forms (align, cutout; engine/get/get.hpp): plan the grid, read or compute each list
// window on the chosen backend, hand the windows to a dense_sink.
#include <vector>

#include "engine/get/get.hpp"
#include "engine/pipeline/progress.hpp"
#include "engine/store/store.hpp"

namespace specmill {

// Checks every dense option against the list (columns, window or grid, redshifts) without
// reading pixels; returns the output width. invalid_argument / not_found.
int64_t check_dense(const get_options& opts, const resolved_list& ids, const native_grid& grid);

// Fills sum.width. IDs without pixels give rows of zeros (found = false).
void write_dense(const get_options& opts, store& st, const resolved_list& ids, get_summary& sum,
                 progress_meter& meter);

}  // namespace specmill
