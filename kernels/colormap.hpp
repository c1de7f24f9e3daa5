#pragma once
// The colormaps of stacked images: 256-entry 8-bit tables, indexed by a display value in [0, 1]
// cut into 256 equal bins (kernels/image_scale.hpp). viridis and inferno are matplotlib's
// (Nathaniel Smith, Stefan van der Walt, Eric Firing; CC0), see colormap.cpp.
#include <array>
#include <cstdint>
#include <string_view>

namespace specmill {

struct rgb8 {
  uint8_t r = 0, g = 0, b = 0;
  friend constexpr bool operator==(const rgb8&, const rgb8&) = default;
};

enum class colormap_id { gray, viridis, inferno };

// "gray" (also "grey"), "viridis", "inferno"; invalid_argument naming the text otherwise.
colormap_id parse_colormap(std::string_view text);
std::string_view to_string(colormap_id c);

// The table of a colormap, low values first. gray maps onto 1..255 (entry k = round(1 + 254k/255))
// so that 0 stays free for masked pixels in 8-bit gray PNGs; the others are matplotlib's.
const std::array<rgb8, 256>& colormap_table(colormap_id c);

// What masked pixels (zero ivar, padding, unknown IDs) are drawn in: gray 0 (black; no data
// value maps there) for gray, mid-gray (128, 128, 128) for the colour maps, which neither
// contains (checked by the tests).
rgb8 default_masked_color(colormap_id c);

}  // namespace specmill
