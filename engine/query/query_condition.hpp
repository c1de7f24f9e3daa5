#pragma once
// The original service's query condition, as its client builds it (dl/specClient.py): a SQL
// WHERE fragment for PostgreSQL + q3c, e.g.
//   q3c_radial_query(ra,dec,213.351200,53.090800,0.010000) AND z > 2
//   q3c_poly_query(ra,dec,ARRAY[110, 39, 112, 39, 111, 41]) ORDER BY z DESC limit 10
//   class = 'QSO' limit 5
// parse_original_condition splits it into what the query engine runs natively: a top-level
// q3c term becomes the sky region (searched on the HEALPix index, exactly as --cone and
// --polygon), the trailing ORDER BY / LIMIT / OFFSET become the request's sort and paging, and
// the rest stays a constraint for the guarded connection. q3c terms elsewhere (under OR or NOT)
// stay in the constraint, where the SQL functions q3c_radial_query and q3c_dist (registered by
// the query engine) evaluate them exactly, row by row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/query/sky_region.hpp"

namespace specmill {

struct original_condition {
  std::optional<sky_region> region;  // from a top-level q3c_radial_query / q3c_poly_query
  std::string region_ra, region_dec; // the column names its call named (e.g. "ra", "dec")
  std::string constraint;            // the rest of the WHERE fragment; empty: none
  std::string sort;                  // "col [ASC|DESC], ..." (query_request::sort); empty: none
  std::optional<int64_t> limit;
  std::optional<int64_t> offset;
};

// invalid_argument for a malformed q3c call (wrong argument count, non-numeric centre or
// radius, fewer than 3 vertices), a bad LIMIT/OFFSET, or q3c_poly_query anywhere but as a
// top-level AND term (SQLite has no ARRAY). Text inside string literals is never interpreted.
original_condition parse_original_condition(std::string_view cond);

// Angular distance in degrees between two positions in degrees (q3c_dist), accurate for small
// and large separations alike.
double angular_distance_deg(double ra1, double dec1, double ra2, double dec2);

}  // namespace specmill
