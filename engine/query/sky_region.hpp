#pragma once
// A region of the sky that a query searches: a cone or a spherical polygon, in degrees.
//
// The region answers two questions. `cover(order)` gives the HEALPix pixel ranges that can hold
// a member (a superset, from healpix_cxx's inclusive queries); `contains(ra, dec)` is the exact
// test that decides membership. Results never depend on the cover: the index only narrows which
// rows the exact test sees. docs/query.md states the semantics below for users.
//
// Cone (ra, dec, radius): a point is inside when its angular distance to the centre is
// <= radius (boundary included), evaluated as the squared chord |p - c|^2 <= 4 sin^2(radius/2)
// in double precision (full relative precision at small radii, unlike cos(d) >= cos(r)).
// radius in (0, 180]; 180 is the whole sky.
//
// Polygon (>= 3 vertices, great-circle edges, either orientation, convex or not): the region is
// the smaller side of the boundary and must lie within 89 degrees of the mean of its vertices
// (so within a hemisphere; split larger areas). The test is done in the gnomonic projection
// centred on that mean, which maps great circles to straight lines exactly, so a spherical
// polygon becomes a planar one: crossing-number test, with points on an edge or a vertex (to
// the last bit) counted inside. Rejected: repeated consecutive vertices, zero area (all
// vertices on one great circle), self-intersecting or self-touching edges. A closing vertex
// equal to the first is dropped (the GeoJSON habit).
#include <string>
#include <vector>

#include "core/sky.hpp"
#include "io/catalog/healpix.hpp"

namespace specmill {

struct sky_point {
  double ra = 0;   // degrees
  double dec = 0;  // degrees
};

class sky_region {
 public:
  // Both throw invalid_argument with a message naming what is wrong.
  static sky_region cone(double ra_deg, double dec_deg, double radius_deg);
  static sky_region polygon(std::vector<sky_point> vertices);

  // The exact membership test (see the header comment). Invalid positions (non-finite,
  // |dec| > 90) are outside. Deliberately out of line: the SQL path and brute-force references
  // call the same compiled code, so they agree bit for bit (no FMA contraction differences).
  bool contains(double ra_deg, double dec_deg) const;
  bool contains(const sky_vec& p) const;

  bool whole_sky() const { return whole_sky_; }
  bool is_cone() const { return shape_ == shape::cone; }
  // A cone's centre (one point; its radius is bounding_radius_deg()), or a polygon's vertices as
  // given (a closing vertex equal to the first dropped): what a PostgreSQL q3c call is built from.
  const std::vector<sky_point>& points() const { return vertices_; }
  // Pixel ranges (order 29) covering the region at the given order; empty for the whole sky.
  std::vector<healpix_range> cover(int order) const;
  // The order the query uses by default for this region (docs/store-format.md, HEALPix index).
  int cover_order() const;
  // Angular radius (degrees) of a cap around the region's centre that contains it.
  double bounding_radius_deg() const { return bound_deg_; }
  std::string describe() const;

 private:
  enum class shape { cone, polygon };
  sky_region() = default;
  bool polygon_contains(const sky_vec& p) const;
  std::vector<healpix_range> polygon_cover(int order) const;

  shape shape_ = shape::cone;
  sky_vec center_;
  double bound_deg_ = 0;
  bool whole_sky_ = false;
  double chord2_limit_ = 0;  // cone
  // polygon: tangent-plane basis at center_, projected vertices (in the user's order), and the
  // slightly enlarged convex hull (unit vectors) given to healpix_cxx, which wants convexity.
  sky_vec e1_, e2_;
  std::vector<double> px_, py_;
  std::vector<sky_vec> hull_;
  std::vector<sky_point> vertices_;
};

}  // namespace specmill
