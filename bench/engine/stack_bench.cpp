// `stack` through the engine: weighted-mean and median stacks of 10,000 and 100,000 spectra
// from a store (observed lattice, default mask bits), in spectra/s and input bytes/s, against
// the floor measured in the same run: a memcpy of the same input bytes (every listed spectrum's
// stored flux, ivar and and_mask, 12 bytes a pixel), a 64 MB window at a time. The peak RSS of
// the process so far is reported with each (getrusage: the 100,000-spectrum runs show what the
// list adds; the median's tile budget is the default 1 GiB).
//
// The store is the synthetic one of bench/engine/get_bench.cpp (same builder, same directory,
// built once, 10,000 spectra of 3800-4650 pixels, 1.3 GB); the 100,000-spectrum lists draw each
// stored spectrum 10 times in shuffled order (page cache hot).
//   SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/mask_bits.hpp"
#include "engine/stack.hpp"
#include "engine/store.hpp"
#include "kernels/device.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

constexpr size_t stored_spectra = 10000;

// The builder of bench/engine/get_bench.cpp, kept identical so that both reuse one store.
fs::path bench_store() {
  const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
  const fs::path root = (d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench") /
                        ("store-synthetic-" + std::to_string(stored_spectra));
  if (fs::exists(root / "done")) return root;
  fs::remove_all(root);
  store st(root, store::access::write);
  st.catalog().ensure_context(default_context, "synthetic benchmark store");
  std::mt19937 rng(42);
  std::normal_distribution<float> noise(10.f, 3.f);
  block_builder b;
  int64_t block_id = 0;
  auto flush = [&] {
    if (b.size() == 0) return;
    ++block_id;
    const fs::path p = st.block_path(block_id);
    fs::create_directories(p.parent_path());
    b.write(p, block_id);
    block_reader r(p);
    auto tx = st.catalog().transaction();
    st.catalog().insert_block({block_id, store::block_relative_path(block_id), int64_t(r.n_spectra()),
                               r.lattice_start(), int64_t(r.n_pixels()), int64_t(fs::file_size(p))});
    for (size_t row = 0; row < r.n_spectra(); ++row) {
      const auto& m = r.rows()[row];
      spec_meta meta;
      meta.specobjid = m.specobjid;
      meta.plate = m.plate;
      meta.mjd = m.mjd;
      meta.fiberid = m.fiberid;
      meta.run2d = "v5_13_0";
      meta.specprimary = 1;
      st.catalog().put_spectrum(default_context, meta, {block_id, int32_t(row), m.lattice_start, m.npix});
    }
    tx.commit();
    b.clear();
  };
  for (size_t i = 0; i < stored_spectra; ++i) {
    sdss_spectrum s;
    s.meta.specobjid = (uint64_t(3000 + i / 1000) << 50) | (uint64_t(1 + i % 1000) << 38) | (uint64_t(5000) << 24);
    s.meta.plate = int32_t(3000 + i / 1000);
    s.meta.mjd = 55000;
    s.meta.fiberid = int32_t(1 + i % 1000);
    const size_t npix = 3800 + rng() % 850;
    s.data.lattice_start = 35500 + int32_t(rng() % 300);
    s.data.flux.resize(npix);
    for (auto& v : s.data.flux) v = noise(rng);
    s.data.ivar.assign(npix, 0.25f);
    s.data.and_mask.assign(npix, 0);
    s.data.or_mask.assign(npix, 0);
    s.data.wdisp.assign(npix, 1.f);
    s.data.sky.assign(npix, 2.f);
    s.data.model = s.data.flux;
    b.add(std::move(s));
    if (b.size() == default_block_spectra) flush();
  }
  flush();
  std::ofstream(root / "done") << "ok\n";
  return root;
}

std::vector<resolved_id> request(store& st, size_t n) {
  std::vector<resolved_id> all;
  st.catalog().for_each_located(default_context, [&](const catalog_entry& e) {
    spectrum_id id;
    id.specobjid = e.meta.specobjid;
    all.push_back({id, e});
  });
  std::vector<resolved_id> ids;
  while (ids.size() < n) ids.insert(ids.end(), all.begin(), all.begin() + long(std::min(all.size(), n - ids.size())));
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  return ids;
}

size_t input_bytes(const std::vector<resolved_id>& ids) {
  size_t bytes = 0;
  for (const auto& r : ids) bytes += size_t(r.entry->location->npix) * 12;
  return bytes;
}

// CPU seconds of the whole process (every thread, user + system): on the shared 2-core VM the
// wall time depends on the other jobs' load, this much less.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

void report(benchmark::State& state, size_t n, size_t bytes, double cpu_seconds) {
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  state.counters["peak_rss_MiB"] = double(u.ru_maxrss) / 1024.0;
  state.counters["process_cpu_s"] = cpu_seconds / double(state.iterations());
}

void BM_FloorMemcpy(benchmark::State& state) {
  store st(bench_store(), store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  const size_t total = input_bytes(ids), win = size_t(64) << 20;
  std::vector<char> src(win, 1), dst(win);
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    for (size_t done = 0; done < total; done += win) std::memcpy(dst.data(), src.data(), std::min(win, total - done));
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, ids.size(), total, process_cpu_seconds() - cpu0);
}

void BM_Stack(benchmark::State& state, stack_method m, backend b) {
  if (b == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  store st(bench_store(), store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  stack_options o;
  o.method = m;
  o.device = b;
  o.progress = false;
  o.mask_bits = parse_mask_bits("default");
  if (const char* mb = std::getenv("SPECMILL_STACK_WINDOW_MB")) o.window_bytes = size_t(std::atof(mb) * 1048576);
  size_t tiles = 0;
  const double cpu0 = process_cpu_seconds();
  for (auto _ : state) {
    const stack_result r = compute_stack(o, st, ids);
    tiles = r.summary.tiles;
    benchmark::DoNotOptimize(r.flux.data());
  }
  report(state, ids.size(), input_bytes(ids), process_cpu_seconds() - cpu0);
  state.counters["tiles"] = double(tiles);
}

}  // namespace

BENCHMARK(BM_FloorMemcpy)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Stack, weighted_mean_cpu, stack_method::weighted_mean, backend::cpu)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Stack, median_cpu, stack_method::median, backend::cpu)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_Stack, Cuda_weighted_mean, stack_method::weighted_mean, backend::cuda)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Stack, Cuda_median, stack_method::median, backend::cuda)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
