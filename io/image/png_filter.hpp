#pragma once
// PNG row filtering (PNG spec, section 9) for the parallel encoder (io/image/png_writer.hpp).
#include <cstddef>
#include <cstdint>

namespace specmill {

// out[0] = the filter type, out[1 .. n] = `row` (n bytes, bpp bytes a pixel) filtered against
// `above` (the previous raw row; zeros for the first). The type is libpng's default choice for
// 8-bit images: the filter with the smallest sum of |byte as signed|, ties to the lower type.
void filter_png_row(const uint8_t* row, const uint8_t* above, size_t n, size_t bpp, uint8_t* out);

}  // namespace specmill
