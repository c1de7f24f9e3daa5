#include "io/catalog/healpix.hpp"

#include <healpix_base.h>
#include <pointing.h>

#include <cmath>

#include "core/error.hpp"

namespace specmill {
namespace {

using base = T_Healpix_Base<int64>;

const base& index_base() {
  static const base b(healpix_index_order, NEST);
  return b;
}

vec3 to_vec3(const sky_vec& v) { return vec3(v.x, v.y, v.z); }

// Order-k ranges [a, b) -> order-29 inclusive ranges; rangeset already merges adjacent ones.
std::vector<healpix_range> to_index_ranges(const rangeset<int64>& rs, int order) {
  const int shift = 2 * (healpix_index_order - order);
  std::vector<healpix_range> out;
  out.reserve(rs.nranges());
  for (size_t i = 0; i < rs.nranges(); ++i)
    out.push_back({int64_t(rs.ivbegin(i)) << shift, (int64_t(rs.ivend(i)) << shift) - 1});
  return out;
}

void check_order(int order) {
  SPECMILL_EXPECTS(order >= 0 && order <= healpix_index_order, "HEALPix order out of range");
}

// For NESTED queries healpix_cxx refines the overlap test at order + log2(fact); 4 is its own
// recommendation and keeps the refinement inside order 29.
int inclusive_fact(int order) { return order + 2 <= healpix_index_order ? 4 : 1; }

}  // namespace

int64_t healpix_index(const sky_vec& v) { return index_base().vec2pix(to_vec3(v)); }

std::optional<int64_t> healpix_index(double ra_deg, double dec_deg) {
  if (!valid_position(ra_deg, dec_deg)) return std::nullopt;
  return healpix_index(unit_vector(ra_deg, dec_deg));
}

std::vector<healpix_range> healpix_disc_cover(const sky_vec& center, double radius_rad, int order) {
  check_order(order);
  const base b(order, NEST);
  rangeset<int64> rs;
  try {
    b.query_disc_inclusive(pointing(to_vec3(center)), radius_rad, rs, inclusive_fact(order));
  } catch (const PlanckError& e) {
    throw invalid_argument(std::string("HEALPix disc query failed: ") + e.what());
  }
  return to_index_ranges(rs, order);
}

std::vector<healpix_range> healpix_convex_polygon_cover(const std::vector<sky_vec>& vertices, int order) {
  check_order(order);
  const base b(order, NEST);
  std::vector<pointing> pts;
  for (const auto& v : vertices) pts.emplace_back(to_vec3(v));
  rangeset<int64> rs;
  try {
    b.query_polygon_inclusive(pts, rs, inclusive_fact(order));
  } catch (const PlanckError& e) {
    throw invalid_argument(std::string("HEALPix polygon query failed: ") + e.what());
  }
  return to_index_ranges(rs, order);
}

double healpix_cover_fraction(const std::vector<healpix_range>& ranges) {
  double n = 0;
  for (const auto& r : ranges) n += double(r.last - r.first) + 1.0;
  return n / (12.0 * std::ldexp(1.0, 2 * healpix_index_order));
}

}  // namespace specmill
