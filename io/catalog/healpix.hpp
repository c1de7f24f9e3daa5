#pragma once
// The catalog's spatial index: HEALPix pixel numbers (NESTED scheme, healpix_cxx) of sky
// positions, and the pixel ranges that cover a disc or a convex polygon.
//
// Every row stores its pixel at `healpix_index_order` (29, the finest order an int64 holds,
// pixels ~0.4 mas). A query picks a coarser `order` for its cover; in the NESTED scheme pixel p
// at order k is the range [p << 2(29-k), ((p + 1) << 2(29-k)) - 1] at order 29, so one stored
// column serves every query order and the choice of order stays a query-time tuning knob
// (docs/store-format.md, "HEALPix index", has the measurements behind the rule).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/sky.hpp"

namespace specmill {

inline constexpr int healpix_index_order = 29;

// Pixel (NESTED, order 29) of a unit vector.
int64_t healpix_index(const sky_vec& v);
// Pixel of (ra, dec) in degrees; nullopt when the position is not valid (non-finite, |dec| > 90).
std::optional<int64_t> healpix_index(double ra_deg, double dec_deg);

// Inclusive range of order-29 pixel numbers.
struct healpix_range {
  int64_t first = 0;
  int64_t last = 0;
};

// Every pixel of `order` that overlaps the disc (healpix_cxx query_disc_inclusive), as sorted,
// disjoint order-29 ranges. Pixels that do not overlap may be included (never the reverse).
std::vector<healpix_range> healpix_disc_cover(const sky_vec& center, double radius_rad, int order);
// The same for a convex polygon (vertices in either orientation). Throws invalid_argument when
// healpix_cxx rejects the polygon (not convex to its own rounding).
std::vector<healpix_range> healpix_convex_polygon_cover(const std::vector<sky_vec>& vertices, int order);

// Number of order-29 pixels covered by the ranges (for the fraction of the sky they cover).
double healpix_cover_fraction(const std::vector<healpix_range>& ranges);

}  // namespace specmill
