#pragma once
// A large random spectrum catalog (catalog rows only, no pixels), written straight into a
// store's catalog database: the data set of the query property tests and of bench_query.
// Positions are uniform on the sphere plus deliberate hard cases: a cap of points within a
// degree of each pole and exactly at the poles, a strip at RA 0/360 (including RA exactly 0 and
// 360), integer-degree grid points (polygon vertices and meridian edges pass through them),
// dense clusters (so tiny cones are not empty) and a few rows with no valid position.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include "core/default_context.hpp"

namespace specmill {

class catalog_db;

struct sample_catalog_options {
  size_t rows = 1000000;
  uint64_t seed = 1;
  std::string context{default_context};
  double primary_fraction = 0.9;  // rows with specprimary = 1
};

// Appends the rows to the catalog in one transaction. The rows depend only on (rows, seed):
// SPECOBJIDs are packed from distinct (plate, mjd, fiber), about a fifth of them >= 2^63.
// Returns the number of rows written.
size_t write_sample_catalog(catalog_db& catalog, const sample_catalog_options& options);

// Creates a store directory at `root` (catalog + empty blocks/) holding write_sample_catalog's
// rows, unless it exists already. Built in a sibling temporary directory and renamed into
// place, under an exclusive lock, so concurrent test processes build it once and never see a
// half-written one. `extra` (optional) adds more rows in the same build.
void ensure_sample_catalog_store(const std::filesystem::path& root, const sample_catalog_options& options,
                                 const std::function<void(catalog_db&)>& extra = {});

}  // namespace specmill
