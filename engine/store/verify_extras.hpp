#pragma once
// verify --deep of a block's group `extra` (io/store/block_extras.hpp): its shapes were checked
// when the block opened; this re-merges each row's stored cameras (kernels/camera_merge,
// kernels/resolution_merge) and requires the stored brz flux, ivar, mask and resolution to equal
// the result bit for bit (both are computed by the same rounding-once merges at ingest).
#include <string>
#include <vector>

#include "io/store/block_file.hpp"

namespace specmill {

// Appends one line per row that differs (up to `max_problems` lines in all).
void check_block_extras(const block_reader& b, const std::string& name, std::vector<std::string>& problems,
                        size_t max_problems);

}  // namespace specmill
