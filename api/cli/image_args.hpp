#pragma once
// The options of `specmill image`, shared with `specmill batch image` (api/cli/cmd_batch.cpp),
// which takes the same ones.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "engine/render/stacked_image.hpp"

namespace specmill::cli {

struct image_args {
  stacked_image_options opts;
  std::string ids = "-";
  std::string cutout, scale, range, percentiles = "1,99", cmap = "gray", mask_bits = "0", device = "auto";
  int64_t max_height = 0, max_width = 0, thickness = 1, column_repeat = 1;
  std::filesystem::path out;
};

void add_image_options(CLI::App& sub, image_args& a);
// The parsed options checked and turned into a.opts (chooses the backend).
void finish_image_args(image_args& a);
// The closing log lines: not-found IDs, the image's size and limits, where it went.
void report_image(const image_args& a, const stacked_image_summary& s);

}  // namespace specmill::cli
