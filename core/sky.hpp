#pragma once
// Positions on the celestial sphere as unit vectors, in double precision. Used by the catalog's
// HEALPix index (io/catalog/healpix.hpp) and by the exact region tests (engine/query/sky_region.hpp), so that
// both see the same vector for the same (ra, dec). Host and device: a GPU cone search can reuse it.
#include <cmath>

#include "core/host_device.hpp"

namespace specmill {

struct sky_vec {
  double x = 0, y = 0, z = 0;
};

inline constexpr double deg_to_rad = 0.017453292519943295;  // pi / 180, correctly rounded

SPECMILL_HOST_DEVICE inline double dot(const sky_vec& a, const sky_vec& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
SPECMILL_HOST_DEVICE inline sky_vec cross(const sky_vec& a, const sky_vec& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
SPECMILL_HOST_DEVICE inline sky_vec operator+(const sky_vec& a, const sky_vec& b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
SPECMILL_HOST_DEVICE inline sky_vec operator-(const sky_vec& a, const sky_vec& b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
SPECMILL_HOST_DEVICE inline sky_vec operator*(double s, const sky_vec& a) { return {s * a.x, s * a.y, s * a.z}; }
SPECMILL_HOST_DEVICE inline double norm(const sky_vec& a) { return std::sqrt(dot(a, a)); }
SPECMILL_HOST_DEVICE inline sky_vec normalized(const sky_vec& a) { return (1.0 / norm(a)) * a; }

// Squared chord between two unit vectors: 4 sin^2(d/2) for angular distance d. Unlike the dot
// product (1 - d^2/2, which loses half the digits near d = 0), it keeps full relative precision
// for small separations, so 0.001-degree cones are as exact as large ones.
SPECMILL_HOST_DEVICE inline double chord2(const sky_vec& a, const sky_vec& b) {
  const sky_vec d = a - b;
  return dot(d, d);
}

// Whether (ra, dec) in degrees is a usable position: finite, |dec| <= 90. RA may be any finite
// value (it is taken modulo 360).
SPECMILL_HOST_DEVICE inline bool valid_position(double ra_deg, double dec_deg) {
  return std::isfinite(ra_deg) && std::isfinite(dec_deg) && dec_deg >= -90.0 && dec_deg <= 90.0;
}

// (ra, dec) in degrees -> unit vector. RA is reduced modulo 360 first (fmod is exact), so
// RA = 360 and RA = 0 give the same bits, and so do RA = -10 and RA = 350.
SPECMILL_HOST_DEVICE inline sky_vec unit_vector(double ra_deg, double dec_deg) {
  double ra = std::fmod(ra_deg, 360.0);
  if (ra < 0) ra += 360.0;
  const double a = ra * deg_to_rad, d = dec_deg * deg_to_rad;
  const double cd = std::cos(d);
  return {cd * std::cos(a), cd * std::sin(a), std::sin(d)};
}

}  // namespace specmill
