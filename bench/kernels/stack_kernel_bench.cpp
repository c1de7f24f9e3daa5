// The stack kernels alone, on one window of 4,000 rows x 4,600 pixels in memory (flux, ivar,
// and_mask: 221 MB), against a memcpy of the same bytes in the same run: the accumulation of
// the mean methods (every pixel read once) and the median tile (gather, sort, select).
// The engine figures (reading from a store, 10,000 and 100,000 spectra) are in
// bench/engine/stack/stack_bench.cpp (bench_stack).
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "kernels/launch/device.hpp"
#include "kernels/stack.hpp"

using namespace specmill;

namespace {

constexpr size_t rows = 4000, width = 4600;

struct window_data {
  std::vector<float> flux, ivar;
  std::vector<int32_t> mask;
  window_data() : flux(rows * width), ivar(rows * width), mask(rows * width) {
    std::mt19937 rng(1);
    std::normal_distribution<float> g(10.f, 3.f);
    for (size_t i = 0; i < flux.size(); ++i) {
      flux[i] = g(rng);
      ivar[i] = (i % 50 == 7) ? 0.f : 0.25f;  // 2% without data
      mask[i] = (i % 97 == 3) ? (1 << 23) : 0;
    }
  }
  stack_window view(size_t n = rows) const {
    return {n, width, flux.data(), ivar.data(), mask.data(), 1u << 23, nullptr};
  }
};

const window_data& data() {
  static const window_data d;
  return d;
}

bool no_device(benchmark::State& state, backend b) {
  if (b == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return true;
  }
  return false;
}

void BM_FloorMemcpy(benchmark::State& state) {
  const auto& d = data();
  std::vector<char> dst(rows * width * 12);
  for (auto _ : state) {
    std::memcpy(dst.data(), d.flux.data(), rows * width * 4);
    std::memcpy(dst.data() + rows * width * 4, d.ivar.data(), rows * width * 4);
    std::memcpy(dst.data() + rows * width * 8, d.mask.data(), rows * width * 4);
    benchmark::DoNotOptimize(dst.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * rows * width * 12));
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
}

void BM_StackAccumulate(benchmark::State& state, stack_method m, backend b) {
  if (no_device(state, b)) return;
  const auto& d = data();
  stack_accumulator acc(b, width, m);
  for (auto _ : state) acc.add(d.view());
  state.SetBytesProcessed(int64_t(state.iterations() * rows * width * 12));
  state.SetItemsProcessed(int64_t(state.iterations() * rows));
}

// The median of a 256-pixel tile of `n` rows: gather, then sort and select (the engine's unit).
void BM_StackMedianTile(benchmark::State& state, backend b) {
  if (no_device(state, b)) return;
  const auto& d = data();
  const size_t n = size_t(state.range(0)), tile = 256;
  std::vector<float> f(n * tile), iv(n * tile);
  std::vector<int32_t> mk(n * tile);
  for (size_t r = 0; r < n; ++r)
    for (size_t c = 0; c < tile; ++c) {
      const size_t src = (r % rows) * width + c;
      f[r * tile + c] = d.flux[src] + float(r % 7);
      iv[r * tile + c] = d.ivar[src];
      mk[r * tile + c] = d.mask[src];
    }
  const stack_window w{n, tile, f.data(), iv.data(), mk.data(), 1u << 23, nullptr};
  std::vector<float> of(tile), oi(tile), oe(tile);
  std::vector<int32_t> on(tile);
  for (auto _ : state) {
    stack_tile t(b, tile, n);
    t.add(w, 0);
    t.finish(stack_method::median, 3, 3, {of.data(), oi.data(), oe.data(), on.data(), nullptr});
    benchmark::DoNotOptimize(of.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * n * tile * 12));
  state.SetItemsProcessed(int64_t(state.iterations() * n));
}

}  // namespace

BENCHMARK(BM_FloorMemcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StackAccumulate, weighted_mean_cpu, stack_method::weighted_mean, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StackAccumulate, mean_cpu, stack_method::mean, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StackAccumulate, Cuda_weighted_mean, stack_method::weighted_mean, backend::cuda)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StackMedianTile, cpu, backend::cpu)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_StackMedianTile, Cuda, backend::cuda)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
