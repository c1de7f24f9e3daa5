#pragma once
// Searches of the catalog by sky region (cone or polygon), by SQL constraint, or both: the
// engine behind `specmill query` and the REST /query. docs/query.md describes the semantics.
//
// How: the region's HEALPix cover (engine/query/sky_region.hpp) becomes a list of pixel ranges joined
// against the indexed `healpix` column; the exact test runs inside SQLite as the
// application-defined function specmill_in_region(ra, dec), so ORDER BY, LIMIT and OFFSET stay
// in SQL and apply to exact results only: memory is bounded by SQLite's sorter, never by the
// size of the candidate set. The user's constraint runs on a guarded connection
// (io/catalog/sql_guard.hpp): read-only, authorizer, time limit.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/query/sky_region.hpp"
#include "io/catalog/sql_guard.hpp"
#include "core/default_context.hpp"

namespace specmill {

class store;
class catalog_reader;
class pg_guarded_connection;

struct query_request {
  std::string context{default_context};  // specobj/specobjall rows of this context
  std::optional<sky_region> region;   // none: the constraint alone selects
  std::string constraint;             // SQL expression over the table's columns; empty: none
  bool all = false;                   // specobjall (every spectrum) instead of specobj (primary)
  std::string catalog;                // a registered catalog table instead of specobj/specobjall
  bool with_pixels = false;           // only rows whose pixels are stored (specobj/specobjall)
  // "col [ASC|DESC], ..." over the table's columns; the ID in unsigned order always breaks
  // ties (so the order is total); empty: the ID alone.
  std::string sort;
  std::optional<int64_t> limit;       // at most this many rows; none: all
  int64_t offset = 0;                 // rows skipped first (after the exact test and the sort)
  double time_limit_s = guarded_connection::default_time_limit_s;  // <= 0: none
  bool use_index = true;              // false: exact test over every row (references, benchmarks)
  // HEALPix order of the cover. -1: the region's default, or a full scan when the cover would
  // hold most of the sky; -2: the default order, never a full scan (benchmarks); >= 0: this order.
  int cover_order = -1;
  // Columns of the table to deliver as text in query_row::values, in this order (names checked
  // against the table, case-insensitively).
  std::vector<std::string> fields;
};

struct query_row {
  uint64_t specobjid = 0;
  int32_t plate = 0, mjd = 0, fiberid = 0;  // from the table, else unpacked from specobjid
  double ra = 0, dec = 0;                   // degrees
  // query_request::fields as text: integers in decimal (the table's ID column unsigned, as
  // SPECOBJID is), reals in shortest round-trip form, text as stored, NULL as "".
  std::vector<std::string> values;
};

struct query_summary {
  size_t rows = 0;       // rows delivered
  bool more = false;     // a limit cut the result: another page exists
  std::string table;     // the table searched
  int order = -1;        // HEALPix order of the cover; -1: no index used
  size_t ranges = 0;     // pixel ranges in the cover
  size_t tested = 0;     // rows that reached the exact region test (the cover's candidates)
  double seconds = 0;
};

// One guarded read-only connection to a store's catalog, reusable for many queries (not
// thread-safe: one per thread). Throws data_error for a format-1 catalog (no HEALPix index).
// On a store whose catalog is in PostgreSQL (engine/store/catalog_setting.hpp) the same
// requests run there: regions as q3c_radial_query / q3c_poly_query on the q3c index, the
// constraint through pg_guarded_connection, the same order, limit and offset
// (docs/postgres.md says where the two may differ).
class catalog_query {
 public:
  explicit catalog_query(const std::filesystem::path& store_root);
  ~catalog_query();
  catalog_query(const catalog_query&) = delete;
  catalog_query& operator=(const catalog_query&) = delete;

  // Streams the matching rows, in order, to `fn`. Throws invalid_argument for a bad request
  // (unknown column, refused constraint, bad sort column, unknown catalog), not_found for an
  // unknown context, time_limit_exceeded when the time limit stops it.
  query_summary run(const query_request& r, const std::function<void(const query_row&)>& fn);
  std::vector<query_row> run(const query_request& r, query_summary* summary = nullptr);

  // The actual names of `fields` in the request's table (invalid_argument for an unknown one).
  std::vector<std::string> field_names(const query_request& r);

  // The columns of a searchable table (specobj, specobjall, a registered catalog).
  const std::vector<std::string>& columns(const std::string& table);

  struct table_meta;  // defined in query.cpp

 private:
  void load_tables();
  const table_meta& table_for(const query_request& r);
  std::string build_sql(const query_request& r, const table_meta& t, query_summary& sum);
  std::string build_pg_sql(const query_request& r, const table_meta& t);
  std::vector<std::string> read_table_columns(const std::string& table);
  void allow_tables();
  query_summary run_pg(const query_request& r, const table_meta& t, query_summary sum,
                       const std::function<void(const query_row&)>& fn);

  std::filesystem::path root_;
  std::unique_ptr<catalog_reader> meta_;  // plain read-only: registry, contexts (trusted SQL only)
  std::unique_ptr<guarded_connection> conn_;   // SQLite
  std::unique_ptr<pg_guarded_connection> pg_;  // PostgreSQL, on meta_'s connection (conn_ empty)
  std::map<std::string, std::shared_ptr<table_meta>> tables_;
  // The region of the statement being run, and its exact-test count (the SQL function's state).
  struct region_state {
    const sky_region* region = nullptr;
    size_t tested = 0;
  } region_;
};

// Convenience: one query on an open store (opens its own guarded connection).
query_summary run_query(const store& st, const query_request& r, const std::function<void(const query_row&)>& fn);
std::vector<query_row> run_query(const store& st, const query_request& r);

}  // namespace specmill
