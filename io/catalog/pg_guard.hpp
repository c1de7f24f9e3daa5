#pragma once
// Running a user's SQL constraint on the PostgreSQL catalog: the PostgreSQL counterpart of
// io/catalog/sql_guard.hpp's guarded_connection. Three layers, each enough on its own against
// the attacks of tests/engine/query/query_hostile_test.cpp:
//  1. check_pg_constraint(): PostgreSQL's lexical rules (after check_where_clause): no comment,
//     ';', '$' (parameters, dollar quoting), E'' or U&'' strings, backquotes; only whitelisted
//     functions; no system catalog (pg_*, information_schema) and no schema-qualified name.
//  2. The statement runs in a READ ONLY transaction as the role `specmill_reader`, which the
//     export grants SELECT on the searchable tables (specobjall, specobj, registered catalogs)
//     and nothing else.
//  3. statement_timeout: a statement running past its time limit is cancelled by the server
//     (time_limit_exceeded).
#include <functional>
#include <set>
#include <string>
#include <string_view>

#include "io/catalog/pg.hpp"

namespace specmill {

// The role user SQL runs as (created by `specmill catalog export`).
inline constexpr const char* pg_reader_role = "specmill_reader";

// Functions user SQL may call on PostgreSQL (lowercase).
const std::set<std::string, std::less<>>& allowed_pg_functions();
// Throws invalid_argument naming the first problem (layer 1 above).
void check_pg_constraint(std::string_view text);

class pg_guarded_connection {
 public:
  // Uses `conn` (not owned; one thread at a time): the user's SQL runs in transactions of its
  // own, so the connection can serve trusted reads between them (pg_catalog shares it).
  explicit pg_guarded_connection(pg_connection& conn);
  pg_connection& db() { return conn_; }

  // Runs one SELECT read-only as the reader role; rows are fetched through a cursor, 1000 at a
  // time, and handed to `row` until it returns false. Stops with time_limit_exceeded after
  // `seconds` (<= 0: no limit); errors the user's SQL causes (syntax, unknown column or
  // function, refused privilege, bad value) are invalid_argument.
  void run(const std::string& sql, double seconds, const std::function<bool(const pg_result_set&, int)>& row);

 private:
  pg_connection& conn_;
};

}  // namespace specmill
