// `stack` through the engine: weighted-mean and median stacks of 10,000 and 100,000 spectra
// from a store (observed lattice, default mask bits), in spectra/s and input bytes/s, against
// the floor measured in the same run: a memcpy of the same input bytes (every listed spectrum's
// stored flux, ivar and and_mask, 12 bytes a pixel), a 64 MB window at a time. The peak RSS of
// the process so far is reported with each (getrusage: the 100,000-spectrum runs show what the
// list adds; the median's tile budget is the default 1 GiB).
//
// The store is the synthetic one of bench/engine/get/get_bench.cpp (same builder, same directory,
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

#include "core/mask_bits.hpp"
#include "engine/stack/stack.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/device.hpp"
#include "bench/common/synthetic_store.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

using bench::bench_store;
using bench::stored_spectra;
using bench::request;


size_t input_bytes(const resolved_list& ids) {
  size_t bytes = 0;
  for (const auto& r : ids) bytes += size_t(r.npix()) * 12;
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
