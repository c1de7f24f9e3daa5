// bench_query: cone and polygon searches on a 1,000,000-row random catalog
// (engine/sample/sample_catalog.hpp), against the full scan in the same run.
//
// items/s = rows *returned* per second (SetItemsProcessed); the counter `candidates` is the
// rows the HEALPix cover let through to the exact test, `ranges` its pixel ranges. Floors:
// BM_FullScanSql runs the same exact test over every row in SQLite (use_index = false), and
// BM_FullScanMemory the bare C++ test over 1 M positions already in memory.
// BM_ConeOrder sweeps the cover's HEALPix order for each radius: the measurement behind
// sky_region::cover_order (docs/store-format.md).
//
// BM_ConePostgres runs BM_Cone's queries on the same catalog exported to PostgreSQL + q3c
// (docs/postgres.md) when $SPECMILL_BENCH_PG_URL names a database (exported there once; the
// store's own catalog.url is not touched: the queries go through a directory of their own).
//
// The catalog is built once into $SPECMILL_BENCH_DIR (default /tmp/specmill-bench) and reused.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <random>

#include "engine/query/catalog_export.hpp"
#include "engine/query/query.hpp"
#include "engine/store/catalog_setting.hpp"
#include "io/catalog/pg_catalog.hpp"
#include "engine/sample/sample_catalog.hpp"
#include "io/catalog/catalog_db.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

fs::path bench_store() {
  static const fs::path root = [] {
    const char* dir = std::getenv("SPECMILL_BENCH_DIR");
    fs::path p = fs::path(dir ? dir : "/tmp/specmill-bench") /
                 ("query-catalog-1m-f" + std::to_string(catalog_db::format_version));
    ensure_sample_catalog_store(p, sample_catalog_options{});
    return p;
  }();
  return root;
}

catalog_query& engine() {
  static catalog_query q(bench_store());
  return q;
}

// The bench catalog in PostgreSQL, or nullptr without $SPECMILL_BENCH_PG_URL.
catalog_query* pg_engine() {
  static std::unique_ptr<catalog_query> q = []() -> std::unique_ptr<catalog_query> {
    const char* url = std::getenv("SPECMILL_BENCH_PG_URL");
    if (!url) return nullptr;
    bool exported = false;
    try {
      exported = !pg_catalog(url).contexts().empty();
    } catch (const error&) {
    }
    if (!exported) export_catalog(bench_store(), url);
    const fs::path view = bench_store().string() + "-pg-view";
    fs::create_directories(view);
    if (!fs::exists(view / "catalog.sqlite")) fs::create_symlink(fs::absolute(bench_store() / "catalog.sqlite"), view / "catalog.sqlite");
    set_catalog_url(view, url);
    return std::make_unique<catalog_query>(view);
  }();
  return q.get();
}

// Fixed random centres, uniform on the sphere, so every benchmark sees the same positions.
std::vector<sky_point> centres() {
  std::mt19937_64 rng(2024);  // not a cluster seed of sample_catalog (0-63)
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<sky_point> out(64);
  for (auto& c : out) c = {360.0 * u(rng), std::asin(2.0 * u(rng) - 1.0) / deg_to_rad};
  return out;
}

sky_region square(const sky_point& c, double side) {
  const double h = side / 2, dec = std::clamp(c.dec, -88.0, 88.0);
  const double w = h / std::cos(dec * deg_to_rad);
  return sky_region::polygon({{c.ra - w, dec - h}, {c.ra + w, dec - h}, {c.ra + w, dec + h}, {c.ra - w, dec + h}});
}

// One iteration = the same 64 queries (one per centre), so every variant sees the same rows.
void run(benchmark::State& state, const std::function<sky_region(const sky_point&)>& region, bool index, int order,
         catalog_query* on = nullptr) {
  auto& q = on ? *on : engine();
  const auto cs = centres();
  size_t rows = 0, ranges = 0, tested = 0, queries = 0;
  for (auto _ : state) {
    for (const auto& c : cs) {
      query_request r;
      r.all = true;
      r.region = region(c);
      r.use_index = index;
      r.cover_order = order;
      r.time_limit_s = 0;
      size_t n = 0;
      const auto s = q.run(r, [&](const query_row&) { ++n; });
      rows += n;
      ranges += s.ranges;
      tested += s.tested;
      ++queries;
    }
  }
  state.SetItemsProcessed(int64_t(rows));  // rows returned
  state.counters["query"] = benchmark::Counter(double(queries), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["rows/query"] = double(rows) / double(queries);
  state.counters["tested/query"] = double(tested) / double(queries);
  state.counters["ranges"] = double(ranges) / double(queries);
}

void BM_Cone(benchmark::State& state) {
  const double radius = double(state.range(0)) / 1000.0;
  run(state, [&](const sky_point& c) { return sky_region::cone(c.ra, c.dec, radius); }, true, -1);
}
BENCHMARK(BM_Cone)->Arg(10)->Arg(100)->Arg(1000)->Arg(10000)->ArgName("radius_mdeg")->Unit(benchmark::kMillisecond);

// BM_Cone's queries on PostgreSQL + q3c (q3c_radial_query on the q3c index), same rows.
void BM_ConePostgres(benchmark::State& state) {
  catalog_query* q = pg_engine();
  if (!q) {
    state.SkipWithError("set SPECMILL_BENCH_PG_URL to a PostgreSQL database with q3c");
    return;
  }
  const double radius = double(state.range(0)) / 1000.0;
  run(state, [&](const sky_point& c) { return sky_region::cone(c.ra, c.dec, radius); }, true, -1, q);
}
BENCHMARK(BM_ConePostgres)->Arg(100)->Arg(1000)->Arg(10000)->ArgName("radius_mdeg")->Unit(benchmark::kMillisecond);

void BM_Polygon1Deg(benchmark::State& state) {
  run(state, [](const sky_point& c) { return square(c, 1.0); }, true, -1);
}
BENCHMARK(BM_Polygon1Deg)->Unit(benchmark::kMillisecond);

// The same 1-degree cone without the index: the exact test over every row, inside SQLite.
void BM_FullScanSql(benchmark::State& state) {
  run(state, [](const sky_point& c) { return sky_region::cone(c.ra, c.dec, 1.0); }, false, -1);
}
BENCHMARK(BM_FullScanSql)->Unit(benchmark::kMillisecond)->Iterations(1);

// The exact cone test alone over 1 M positions in memory: the floor of any scan.
void BM_FullScanMemory(benchmark::State& state) {
  std::vector<sky_point> pts;
  {
    catalog_db cat(bench_store() / "catalog.sqlite", sqlite_db::mode::read_only);
    sqlite_stmt st(cat.db(), "SELECT ra, dec FROM specobjall");
    while (st.step()) pts.push_back({st.f64(0), st.f64(1)});
  }
  const auto cs = centres();
  size_t i = 0, hits = 0;
  for (auto _ : state) {
    const auto r = sky_region::cone(cs[i % cs.size()].ra, cs[i % cs.size()].dec, 1.0);
    ++i;
    for (const auto& p : pts) hits += r.contains(p.ra, p.dec);
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(pts.size()));  // rows scanned
}
BENCHMARK(BM_FullScanMemory)->Unit(benchmark::kMillisecond);

// Large cones with and without the index (full scan): where full_scan_fraction comes from.
void BM_ConeLarge(benchmark::State& state) {
  const double radius = double(state.range(0));
  const bool index = state.range(1) != 0;
  const bool constrained = state.range(2) != 0;
  auto& q = engine();
  const auto cs = centres();
  size_t rows = 0, queries = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < 4; ++i) {
      query_request r;
      r.all = true;
      r.region = sky_region::cone(cs[i].ra, cs[i].dec, radius);
      if (constrained) r.constraint = "z > 2";  // a column outside the index: a table seek per candidate
      r.use_index = index;
      r.cover_order = index ? -2 : -1;  // -2: the default order, never the automatic full scan
      r.time_limit_s = 0;
      rows += q.run(r, [](const query_row&) {}).rows;
      ++queries;
    }
  }
  state.SetItemsProcessed(int64_t(rows));
  state.counters["query"] = benchmark::Counter(double(queries), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["rows/query"] = double(rows) / double(queries);
}
BENCHMARK(BM_ConeLarge)
    ->ArgsProduct({{20, 40, 60, 90}, {0, 1}, {0, 1}})
    ->ArgNames({"radius_deg", "index", "z_gt_2"})
    ->Unit(benchmark::kMillisecond)
    ->Iterations(1);

// Cover order sweep: range count vs candidates, per radius.
void BM_ConeOrder(benchmark::State& state) {
  const double radius = double(state.range(0)) / 1000.0;
  run(state, [&](const sky_point& c) { return sky_region::cone(c.ra, c.dec, radius); }, true, int(state.range(1)));
}
BENCHMARK(BM_ConeOrder)
    ->ArgsProduct({{10, 100, 1000, 10000}, {4, 6, 8, 10, 12, 14, 16}})
    ->ArgNames({"radius_mdeg", "order"})
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
