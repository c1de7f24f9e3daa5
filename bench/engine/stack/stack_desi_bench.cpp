// stack of 10,000 DESI targets (merged brz, 7781 pixels on linear:0.8) from the synthetic DESI
// store (bench/common/synthetic_desi_store.hpp): weighted mean and median on the observed
// lattice, weighted mean in the rest frame (each target resampled onto the default 0.8 A
// rest-frame grid), in spectra/s and input bytes/s, against the floor measured in the same run:
// a memcpy of the same input bytes (flux, ivar, and_mask: 12 bytes a pixel), 64 MB at a time.
//   SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "bench/common/synthetic_desi_store.hpp"
#include "core/mask_bits.hpp"
#include "engine/stack/stack.hpp"
#include "engine/store/store.hpp"

using namespace specmill;

namespace {

size_t input_bytes(const resolved_list& ids) {
  size_t bytes = 0;
  for (const auto& r : ids) bytes += size_t(r.npix()) * 12;
  return bytes;
}

void report(benchmark::State& state, size_t n, size_t bytes) {
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

void BM_DesiFloorMemcpy(benchmark::State& state) {
  store st(bench::bench_desi_store(), store::access::read);
  const auto ids = bench::desi_request(st);
  const size_t total = input_bytes(ids), win = size_t(64) << 20;
  std::vector<char> src(win, 1), dst(win);
  for (auto _ : state) {
    for (size_t done = 0; done < total; done += win) std::memcpy(dst.data(), src.data(), std::min(win, total - done));
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, ids.size(), total);
}

void BM_DesiStack(benchmark::State& state, stack_method m, bool rest_frame) {
  store st(bench::bench_desi_store(), store::access::read);
  const auto ids = bench::desi_request(st);
  stack_options o;
  o.context = bench::desi_context;
  o.method = m;
  o.rest_frame = rest_frame;
  o.progress = false;
  o.mask_bits = parse_mask_bits("default");
  for (auto _ : state) {
    const stack_result r = compute_stack(o, st, ids);
    benchmark::DoNotOptimize(r.flux.data());
    state.counters["width"] = double(r.flux.size());
  }
  report(state, ids.size(), input_bytes(ids));
}

}  // namespace

BENCHMARK(BM_DesiFloorMemcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_DesiStack, weighted_mean, stack_method::weighted_mean, false)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK_CAPTURE(BM_DesiStack, median, stack_method::median, false)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK_CAPTURE(BM_DesiStack, rest_frame_weighted_mean, stack_method::weighted_mean, true)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);

BENCHMARK_MAIN();
