#pragma once
// The query property tests' data: the 1,000,000-row random catalog of engine/sample/sample_catalog.hpp
// plus rows placed on, and within 1e-12 / 1e-9 degrees of, the boundaries of fixed "special"
// regions. Built once into the build tree (SPECMILL_TEST_CACHE) and shared by every test
// process (CTest runs each test in its own); each process loads the rows once for its
// brute-force references.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/sky.hpp"
#include "core/specobjid.hpp"
#include "engine/query/query.hpp"
#include "engine/sample/sample_catalog.hpp"
#include "io/catalog/catalog_db.hpp"

namespace specmill::test {

// Bump when the generated rows change, so a stale cached catalog is not reused.
inline constexpr int query_catalog_revision = 3;

inline sky_point to_point(const sky_vec& v) {
  double ra = std::atan2(v.y, v.x) / deg_to_rad;
  if (ra < 0) ra += 360.0;
  return {ra, std::atan2(v.z, std::hypot(v.x, v.y)) / deg_to_rad};
}

// Tangent basis at c (any two unit vectors orthogonal to c and each other).
inline void basis(const sky_vec& c, sky_vec& e1, sky_vec& e2) {
  const sky_vec ref = std::abs(c.z) < 0.9 ? sky_vec{0, 0, 1} : sky_vec{1, 0, 0};
  e1 = normalized(cross(ref, c));
  e2 = cross(c, e1);
}

// The point at angular distance d (degrees) from c along bearing theta (radians).
inline sky_point offset(const sky_vec& c, double d_deg, double theta) {
  sky_vec e1, e2;
  basis(c, e1, e2);
  const double d = d_deg * deg_to_rad;
  const sky_vec dir = std::cos(theta) * e1 + std::sin(theta) * e2;
  return to_point(std::cos(d) * c + std::sin(d) * dir);
}

struct special_region {
  std::string name;
  bool is_cone = false;
  double ra = 0, dec = 0, radius = 0;  // cone
  std::vector<sky_point> vertices;     // polygon
  sky_region region() const { return is_cone ? sky_region::cone(ra, dec, radius) : sky_region::polygon(vertices); }
};

inline const std::vector<special_region>& special_regions() {
  static const std::vector<special_region> r = {
      {"cone across RA 0", true, 0.0, 0.0, 1.0, {}},
      {"cone on the north pole", true, 123.0, 90.0, 0.5, {}},
      {"cone over the south pole", true, 200.0, -89.99, 0.05, {}},
      {"tiny cone", true, 45.5, 30.25, 0.001, {}},
      {"10-degree cone", true, 300.0, -20.0, 10.0, {}},
      {"square across RA 0", false, 0, 0, 0, {{359.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {359.5, 0.5}}},
      {"square around the north pole", false, 0, 0, 0, {{0, 85}, {90, 85}, {180, 85}, {270, 85}}},
      {"L shape (non-convex)", false, 0, 0, 0, {{40, 10}, {43, 10}, {43, 11}, {41, 11}, {41, 13}, {40, 13}}},
      {"star around the south pole", false, 0, 0, 0,
       {{0, -87}, {36, -84}, {72, -87}, {108, -84}, {144, -87}, {180, -84}, {216, -87}, {252, -84}, {288, -87}, {324, -84}}},
      {"notched grid polygon", false, 0, 0, 0, {{100, 20}, {103, 20}, {103, 23}, {101, 21}, {100, 23}}},
      {"triangle across RA 0", false, 0, 0, 0, {{350, 60}, {10, 60}, {0, 70}}},
  };
  return r;
}

// A point on the region's boundary and its two neighbours 1e-12 and 1e-9 degrees off it, on
// either side: `sides[k]` is (inner, outer) for offsets 1e-12 and 1e-9 (inner/outer per the
// cone's radius; for a polygon edge the two sides in no particular order).
struct boundary_point {
  sky_point on;
  sky_point off[2][2];
};

inline std::vector<boundary_point> boundary_points(const special_region& s, size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const double eps[2] = {1e-12, 1e-9};
  std::vector<boundary_point> out;
  for (size_t i = 0; i < n; ++i) {
    boundary_point b;
    if (s.is_cone) {
      const sky_vec c = unit_vector(s.ra, s.dec);
      const double theta = 2 * M_PI * u(rng);
      b.on = offset(c, s.radius, theta);
      for (int k = 0; k < 2; ++k) {
        b.off[k][0] = offset(c, s.radius - eps[k], theta);
        b.off[k][1] = offset(c, s.radius + eps[k], theta);
      }
    } else {
      const size_t e = i % s.vertices.size();
      const sky_vec a = unit_vector(s.vertices[e].ra, s.vertices[e].dec);
      const sky_vec z = unit_vector(s.vertices[(e + 1) % s.vertices.size()].ra,
                                    s.vertices[(e + 1) % s.vertices.size()].dec);
      if (i < s.vertices.size()) {  // the vertices themselves
        b.on = s.vertices[e];
      } else {
        const double t = 0.1 + 0.8 * u(rng);
        b.on = to_point(normalized((1 - t) * a + t * z));
      }
      const sky_vec p = unit_vector(b.on.ra, b.on.dec);
      const sky_vec n = normalized(cross(a, z));  // normal of the edge's great circle
      for (int k = 0; k < 2; ++k) {
        const double d = eps[k] * deg_to_rad;
        b.off[k][0] = to_point(normalized(p + d * n));
        b.off[k][1] = to_point(normalized(p - d * n));
      }
    }
    out.push_back(b);
  }
  return out;
}

inline constexpr size_t boundary_points_per_region = 200;

// Catalog rows for the boundary points: plates 12000+ keep their IDs apart from the sample's.
inline void add_boundary_rows(catalog_db& cat) {
  auto tx = cat.transaction();
  spec_meta m;
  int64_t k = 0;
  for (size_t r = 0; r < special_regions().size(); ++r) {
    for (const auto& b : boundary_points(special_regions()[r], boundary_points_per_region, 100 + r)) {
      for (const sky_point* p : {&b.on, &b.off[0][0], &b.off[0][1], &b.off[1][0], &b.off[1][1]}) {
        m.plate = int32_t(12000 + k / 1000);
        m.fiberid = int32_t(k % 1000) + 1;
        m.mjd = 55000;
        m.run2d = "v5_13_0";
        m.specobjid = pack_specobjid({m.plate, m.mjd, m.fiberid, run2d_code(m.run2d)});
        m.plug_ra = p->ra;
        m.plug_dec = p->dec;
        m.specprimary = k % 3 != 0;
        m.class_name = k % 2 ? "QSO" : "GALAXY";
        m.z = float(k % 40) / 10.0f;
        cat.put_catalog_row("sdss_dr16", m);
        ++k;
      }
    }
  }
  tx.commit();
}

inline const std::filesystem::path& big_store() {
  static const std::filesystem::path root = [] {
    const auto p = std::filesystem::path(SPECMILL_TEST_CACHE) /
                   ("query-catalog-r" + std::to_string(query_catalog_revision) + "-f" +
                    std::to_string(catalog_db::format_version));
    ensure_sample_catalog_store(p, sample_catalog_options{}, add_boundary_rows);
    return p;
  }();
  return root;
}

struct ref_row {
  uint64_t id = 0;
  double ra = 0, dec = 0;  // NaN where the catalog has NULL
  bool primary = false;
  double z = 0;
  std::string cls;
};

// Every specobjall row of context sdss_dr16, read once per process: from SQLite the first time,
// then from a flat copy beside the store (reading a million rows through SQLite costs each test
// process a second or two; the copy is written from that very read, so it holds the same values).
inline const std::vector<ref_row>& big_rows() {
  static const std::vector<ref_row> rows = [] {
    struct flat {
      uint64_t id;
      double ra, dec, z;
      int32_t primary, cls;  // cls: index into the class names below
    };
    static const char* classes[] = {"GALAXY", "QSO", "STAR", ""};
    std::vector<ref_row> out;
    const auto cache = big_store().string() + ".rows";
    if (std::FILE* f = std::fopen(cache.c_str(), "rb")) {
      std::vector<flat> v(1200000);
      v.resize(std::fread(v.data(), sizeof(flat), v.size(), f));
      std::fclose(f);
      for (const auto& x : v) out.push_back({x.id, x.ra, x.dec, x.primary != 0, x.z, classes[x.cls]});
      if (!out.empty()) return out;
    }
    catalog_db cat(big_store() / "catalog.sqlite", sqlite_db::mode::read_only);
    sqlite_stmt st(cat.db(),
                   "SELECT specobjid, ra, dec, specprimary, z, class FROM specobjall WHERE context = 'sdss_dr16'");
    std::vector<flat> v;
    while (st.step()) {
      const double nan = std::nan("");
      out.push_back({st.id(0), st.is_null(1) ? nan : st.f64(1), st.is_null(2) ? nan : st.f64(2), st.i64(3) == 1,
                     st.f64(4), st.text(5)});
      const auto c = std::find_if(std::begin(classes), std::end(classes), [&](const char* n) { return out.back().cls == n; });
      v.push_back({out.back().id, out.back().ra, out.back().dec, out.back().z, out.back().primary ? 1 : 0,
                   int32_t(c == std::end(classes) ? 3 : c - std::begin(classes))});
    }
    const auto tmp = cache + "." + std::to_string(::getpid());
    if (std::FILE* f = std::fopen(tmp.c_str(), "wb")) {  // written whole, then renamed into place
      const bool ok = std::fwrite(v.data(), sizeof(flat), v.size(), f) == v.size();
      if (std::fclose(f) == 0 && ok) std::filesystem::rename(tmp, cache);
    }
    return out;
  }();
  return rows;
}

// The reference: the same exact test over every row, IDs in unsigned order.
template <class Pred>
std::vector<uint64_t> brute_force(const sky_region* region, bool all, Pred&& keep) {
  std::vector<uint64_t> ids;
  for (const auto& r : big_rows()) {
    if (!all && !r.primary) continue;
    if (region && !region->contains(r.ra, r.dec)) continue;
    if (keep(r)) ids.push_back(r.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}
inline std::vector<uint64_t> brute_force(const sky_region* region, bool all) {
  return brute_force(region, all, [](const ref_row&) { return true; });
}

inline std::vector<uint64_t> ids_of(const std::vector<query_row>& rows) {
  std::vector<uint64_t> ids;
  for (const auto& r : rows) ids.push_back(r.specobjid);
  return ids;
}

inline catalog_query& big_query() {
  static catalog_query q(big_store());
  return q;
}

}  // namespace specmill::test
