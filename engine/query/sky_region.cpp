#include "engine/query/sky_region.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/error.hpp"

namespace specmill {
namespace {

constexpr double max_polygon_extent_deg = 89.0;  // every vertex within this of the vertex mean
constexpr double max_polygon_vertices = 10000;
// Two vertices closer than this (radians, ~0.2 micro-arcsecond) are the same vertex.
constexpr double same_vertex_rad = 1e-12;
// The cover's hull is enlarged by this relative amount, so that points the exact test accepts
// within rounding of an edge are inside what healpix_cxx is asked to cover.
constexpr double hull_margin = 1e-9;

[[noreturn]] void bad(const std::string& msg) { throw invalid_argument(msg); }

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

void check_position(double ra, double dec, const std::string& what) {
  if (!std::isfinite(ra)) bad(what + ": RA " + fmt(ra) + " is not a finite number");
  if (!std::isfinite(dec) || dec < -90.0 || dec > 90.0)
    bad(what + ": Dec " + fmt(dec) + " is outside [-90, 90] degrees");
}

double angle_between(const sky_vec& a, const sky_vec& b) {
  return 2.0 * std::asin(std::min(1.0, 0.5 * std::sqrt(chord2(a, b))));
}

// Orientation of the planar triangle (a, b, c): > 0 counter-clockwise.
double orient(double ax, double ay, double bx, double by, double cx, double cy) {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

bool on_segment(double ax, double ay, double bx, double by, double qx, double qy) {
  return std::min(ax, bx) <= qx && qx <= std::max(ax, bx) && std::min(ay, by) <= qy && qy <= std::max(ay, by);
}

// Closed segments ab and cd share at least one point.
bool segments_meet(double ax, double ay, double bx, double by, double cx, double cy, double dx, double dy) {
  const double o1 = orient(ax, ay, bx, by, cx, cy), o2 = orient(ax, ay, bx, by, dx, dy);
  const double o3 = orient(cx, cy, dx, dy, ax, ay), o4 = orient(cx, cy, dx, dy, bx, by);
  if (((o1 > 0 && o2 < 0) || (o1 < 0 && o2 > 0)) && ((o3 > 0 && o4 < 0) || (o3 < 0 && o4 > 0))) return true;
  return (o1 == 0 && on_segment(ax, ay, bx, by, cx, cy)) || (o2 == 0 && on_segment(ax, ay, bx, by, dx, dy)) ||
         (o3 == 0 && on_segment(cx, cy, dx, dy, ax, ay)) || (o4 == 0 && on_segment(cx, cy, dx, dy, bx, by));
}

// Distance from q to the closed segment ab, in the plane.
double segment_distance(double ax, double ay, double bx, double by, double qx, double qy) {
  const double dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy;
  const double t = len2 > 0 ? std::clamp(((qx - ax) * dx + (qy - ay) * dy) / len2, 0.0, 1.0) : 0.0;
  return std::hypot(ax + t * dx - qx, ay + t * dy - qy);
}

// Andrew's monotone chain; returns indices of the strictly convex hull, counter-clockwise.
std::vector<size_t> convex_hull(const std::vector<double>& x, const std::vector<double>& y) {
  std::vector<size_t> idx(x.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]); });
  std::vector<size_t> h(2 * idx.size());
  size_t k = 0;
  auto turn = [&](size_t a, size_t b, size_t c) { return orient(x[a], y[a], x[b], y[b], x[c], y[c]); };
  for (size_t i = 0; i < idx.size(); ++i) {
    while (k >= 2 && turn(h[k - 2], h[k - 1], idx[i]) <= 0) --k;
    h[k++] = idx[i];
  }
  for (size_t i = idx.size() - 1, t = k + 1; i-- > 0;) {
    while (k >= t && turn(h[k - 2], h[k - 1], idx[i]) <= 0) --k;
    h[k++] = idx[i];
  }
  h.resize(k > 1 ? k - 1 : k);
  return h;
}

}  // namespace

sky_region sky_region::cone(double ra, double dec, double radius) {
  check_position(ra, dec, "cone centre");
  if (!std::isfinite(radius) || radius <= 0.0 || radius > 180.0)
    bad("cone radius " + fmt(radius) + " is outside (0, 180] degrees");
  sky_region r;
  r.shape_ = shape::cone;
  r.center_ = unit_vector(ra, dec);
  r.bound_deg_ = radius;
  r.whole_sky_ = radius >= 180.0;
  const double s = 2.0 * std::sin(0.5 * radius * deg_to_rad);
  r.chord2_limit_ = s * s;
  r.vertices_ = {{ra, dec}};
  return r;
}

sky_region sky_region::polygon(std::vector<sky_point> v) {
  if (v.size() >= 4 && v.front().ra == v.back().ra && v.front().dec == v.back().dec) v.pop_back();
  if (v.size() < 3) bad("a polygon needs at least 3 vertices, got " + std::to_string(v.size()));
  if (double(v.size()) > max_polygon_vertices) bad("a polygon may have at most 10000 vertices");
  sky_region r;
  r.shape_ = shape::polygon;
  r.vertices_ = v;
  const size_t n = v.size();
  std::vector<sky_vec> u(n);
  sky_vec sum;
  for (size_t i = 0; i < n; ++i) {
    check_position(v[i].ra, v[i].dec, "polygon vertex " + std::to_string(i + 1));
    u[i] = unit_vector(v[i].ra, v[i].dec);
    sum = sum + u[i];
  }
  for (size_t i = 0; i < n; ++i)
    if (angle_between(u[i], u[(i + 1) % n]) < same_vertex_rad)
      bad("degenerate polygon: vertices " + std::to_string(i + 1) + " and " + std::to_string((i + 1) % n + 1) +
          " are the same point");
  if (norm(sum) < 1e-9 * double(n)) bad("polygon does not fit in a hemisphere (its vertices average to no direction)");
  r.center_ = normalized(sum);
  double max_angle = 0;
  for (const auto& p : u) max_angle = std::max(max_angle, angle_between(p, r.center_));
  r.bound_deg_ = max_angle / deg_to_rad;
  if (r.bound_deg_ > max_polygon_extent_deg)
    bad("polygon too large: a vertex lies " + fmt(r.bound_deg_) +
        " degrees from the vertices' mean; polygons must lie within 89 degrees of it (split larger areas)");

  // Tangent-plane basis; the pole-safe choice of a reference axis.
  const sky_vec ref = std::abs(r.center_.z) < 0.9 ? sky_vec{0, 0, 1} : sky_vec{1, 0, 0};
  r.e1_ = normalized(cross(ref, r.center_));
  r.e2_ = cross(r.center_, r.e1_);
  r.px_.resize(n);
  r.py_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const double w = dot(u[i], r.center_);
    r.px_[i] = dot(u[i], r.e1_) / w;
    r.py_[i] = dot(u[i], r.e2_) / w;
  }
  const auto& x = r.px_;
  const auto& y = r.py_;
  double area2 = 0, extent = 0;
  for (size_t i = 0; i < n; ++i) {
    const size_t j = (i + 1) % n;
    area2 += x[i] * y[j] - x[j] * y[i];
    extent = std::max({extent, std::abs(x[i]), std::abs(y[i])});
  }
  // Checked in the user's vertex order, so that messages name the user's vertex numbers.
  // 1. Non-adjacent edges must not cross (before the area test: a bow tie has zero area).
  for (size_t i = 0; i < n; ++i) {
    const size_t i1 = (i + 1) % n;
    for (size_t j = i + 2; j < n; ++j) {
      if (i == 0 && j == n - 1) continue;  // adjacent through the closing vertex
      const size_t j1 = (j + 1) % n;
      if (segments_meet(x[i], y[i], x[i1], y[i1], x[j], y[j], x[j1], y[j1]))
        bad("self-intersecting polygon: edge " + std::to_string(i + 1) + " meets edge " + std::to_string(j + 1));
    }
  }
  // 2. Some area.
  if (std::abs(area2) <= 1e-12 * extent * extent)
    bad("degenerate polygon: zero area (its vertices lie on one great circle)");
  // 3. No vertex on a non-adjacent edge up to rounding (the exact test in 1 can miss it), no
  //    edge folding back onto the previous one.
  for (size_t i = 0; i < n; ++i) {
    const size_t i1 = (i + 1) % n, i2 = (i + 2) % n;
    const double o = orient(x[i], y[i], x[i1], y[i1], x[i2], y[i2]);
    const double back = (x[i1] - x[i]) * (x[i2] - x[i1]) + (y[i1] - y[i]) * (y[i2] - y[i1]);
    if (o == 0 && back < 0) bad("self-intersecting polygon: edges at vertex " + std::to_string(i1 + 1) + " fold back");
    for (size_t k = 0; k < n; ++k) {
      if (k == i || k == i1) continue;
      if (segment_distance(x[i], y[i], x[i1], y[i1], x[k], y[k]) <= 1e-12 * extent)
        bad("self-intersecting polygon: vertex " + std::to_string(k + 1) + " touches edge " + std::to_string(i + 1));
    }
  }
  for (size_t h : convex_hull(x, y)) {
    const double s = 1.0 + hull_margin;
    r.hull_.push_back(normalized(r.center_ + (s * x[h]) * r.e1_ + (s * y[h]) * r.e2_));
  }
  return r;
}

bool sky_region::contains(double ra, double dec) const {
  if (!valid_position(ra, dec)) return false;
  return contains(unit_vector(ra, dec));
}

bool sky_region::contains(const sky_vec& p) const {
  if (shape_ == shape::cone) return whole_sky_ || chord2(p, center_) <= chord2_limit_;
  return polygon_contains(p);
}

bool sky_region::polygon_contains(const sky_vec& p) const {
  const double w = dot(p, center_);
  if (w <= 0) return false;  // the far hemisphere: the polygon lies in the near one
  const double qx = dot(p, e1_) / w, qy = dot(p, e2_) / w;
  const size_t n = px_.size();
  bool inside = false;
  for (size_t i = 0, j = n - 1; i < n; j = i++) {
    const double ax = px_[j], ay = py_[j], bx = px_[i], by = py_[i];
    const double o = orient(ax, ay, bx, by, qx, qy);
    if (o == 0 && on_segment(ax, ay, bx, by, qx, qy)) return true;  // on the boundary: inside
    if ((ay > qy) != (by > qy)) {
      // The edge crosses the horizontal line through q; count it when the crossing is right
      // of q, which (for an upward edge) is q strictly left of the edge.
      if (by > ay ? o > 0 : o < 0) inside = !inside;
    }
  }
  return inside;
}

std::vector<healpix_range> sky_region::cover(int order) const {
  if (whole_sky_) return {};
  if (shape_ == shape::cone) {
    // A hair wider than the radius: points the chord test accepts within rounding of the
    // boundary stay inside what healpix_cxx covers.
    const double radius = std::min(M_PI, 2.0 * std::asin(0.5 * std::sqrt(chord2_limit_)) * (1 + 1e-9) + 1e-12);
    return healpix_disc_cover(center_, radius, order);
  }
  return polygon_cover(order);
}

std::vector<healpix_range> sky_region::polygon_cover(int order) const {
  try {
    return healpix_convex_polygon_cover(hull_, order);
  } catch (const invalid_argument&) {
    // healpix_cxx found the hull not convex to its own rounding (nearly collinear hull
    // vertices): the cap around the vertices contains the polygon too.
    return healpix_disc_cover(center_, bound_deg_ * deg_to_rad * (1 + 1e-9) + 1e-12, order);
  }
}

int sky_region::cover_order() const {
  // Order 8 (pixels ~0.23 deg, 0.052 deg^2): measured per-range cost ~5 us against ~0.25 us per
  // candidate row puts the optimum where a pixel holds ~20 rows, i.e. order 8 at DR17-like
  // densities (~400 spectra/deg^2), and the measured cost at 24 rows/deg^2 (bench_query's
  // catalog) is within noise of its best there too. Regions wider than 16 pixels in radius step
  // coarser, which keeps the range count near or below ~150 (docs/store-format.md).
  constexpr int base_order = 8;
  const double pixel0_deg = 58.63;  // sqrt(4 pi / 12) in degrees: pixel size at order 0
  const double r = std::max(bound_deg_, 1e-9);
  const int wide = int(std::floor(std::log2(pixel0_deg * 16.0 / r)));
  return std::clamp(std::min(base_order, wide), 0, base_order);
}

std::string sky_region::describe() const {
  std::ostringstream s;
  s.precision(12);
  if (shape_ == shape::cone) {
    s << "cone(" << vertices_[0].ra << ", " << vertices_[0].dec << ", " << bound_deg_ << ")";
  } else {
    s << "polygon(";
    for (size_t i = 0; i < vertices_.size(); ++i) s << (i ? ", " : "") << vertices_[i].ra << " " << vertices_[i].dec;
    s << ")";
  }
  return s.str();
}

}  // namespace specmill
