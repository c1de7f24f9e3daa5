// The service's /query dialect in one place for every front that speaks it (REST /query, the
// in-process Python client): a cone or polygon, our `constraint`, the original's `cond` (a WHERE
// fragment that may carry q3c calls and a trailing ORDER BY / LIMIT / OFFSET), an `id` list,
// the original's [schema.]table catalog names, paging. The fronts parse their own transport
// into service_query; make_service_query checks it and builds the engine's query_request.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/query/query.hpp"

namespace specmill {

struct service_query {
  std::string context;
  std::optional<sky_region> region;     // the front's cone or polygon (at most one)
  std::string constraint;               // ours: an SQL where clause (blank: none)
  std::optional<std::string> cond;      // the original's fragment; the front sets it only where it applies
  std::vector<spectrum_id> ids;         // the rows of these spectra, primary or not
  bool all = false;                     // specobjall instead of specobj
  std::string catalog;                  // [schema.]table: specobj, specobjall or a registered one
  bool with_pixels = false;
  std::string sort;                     // empty: cond's ORDER BY, else the ID
  std::optional<int64_t> limit, offset; // absent: cond's LIMIT / OFFSET, else none / 0
  std::vector<std::string> fields;
};

// invalid_argument for a contradictory or empty search (two regions, a q3c call on other
// columns, nothing to search by, a negative limit or offset).
query_request make_service_query(service_query q);

// The rows of these spectra as a constraint of our own integers: "specobjid = N OR (plate = P
// AND mjd = M AND fiberid = F) ...".
std::string id_constraint(const std::vector<spectrum_id>& ids);

}  // namespace specmill
