// getSpec's dense forms: get --align and --cutout (flux, ivar, and_mask) for 10,000 and
// 100,000 spectra from a store, in spectra/s and output bytes/s, against the floor measured in
// the same run: a memcpy of the same output bytes (one list window at a time, as the engine
// writes them). BM_GetAlign* measure the engine (plan, read, place) into its window buffers;
// BM_GetAlignNpz adds writing the .npz file.
//
// The store is synthetic (built directly with block_builder, 10,000 spectra of 3800-4650 pixels
// at mixed lattice starts, ~1.3 GB) and reused between runs:
//   SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
// The 100,000-spectrum lists draw every stored spectrum 10 times in shuffled order (a 13 GB
// store would not fit the CI machine's disk budget), so they read from the page cache, hot.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/pipeline/aligned_reader.hpp"
#include "engine/get/get.hpp"
#include "engine/store/store.hpp"
#include "kernels/launch/device.hpp"
#include "bench/common/synthetic_store.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

const std::vector<column> dense_cols{column::flux, column::ivar, column::and_mask};
using bench::bench_store;
using bench::request;

void report(benchmark::State& state, size_t n, size_t bytes) {
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

lattice_window grid_for(int mode, const resolved_list& ids) {
  return mode == 0 ? list_span(ids, sdss_native_grid) : cutout_window({4000, 5000}, sdss_native_grid);
}

// Engine: aligned_reader over every window and column into one window buffer per column.
void BM_GetDense(benchmark::State& state, int mode, backend b) {
  if (b == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  store st(bench_store(), store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  const lattice_window g = grid_for(mode, ids);
  aligned_reader reader(st, ids, g, b);
  std::vector<char> buf(reader.windows().front().rows() * size_t(g.width) * 4);
  for (auto _ : state) {
    for (const auto& w : reader.windows())
      for (column c : dense_cols) reader.read(w, c, buf.data());
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, ids.size(), ids.size() * size_t(g.width) * 4 * dense_cols.size());
  state.counters["width"] = double(g.width);
}

// Floor: a memcpy of the same output bytes, window by window.
void BM_FloorMemcpy(benchmark::State& state, int mode) {
  store st(bench_store(), store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  const lattice_window g = grid_for(mode, ids);
  aligned_reader reader(st, ids, g, backend::cpu);
  const size_t win = reader.windows().front().rows() * size_t(g.width) * 4;
  std::vector<char> src(win, 1), dst(win);
  const size_t total = ids.size() * size_t(g.width) * 4 * dense_cols.size();
  for (auto _ : state) {
    for (size_t done = 0; done < total; done += win) std::memcpy(dst.data(), src.data(), std::min(win, total - done));
    benchmark::DoNotOptimize(dst.data());
  }
  report(state, ids.size(), total);
}

// End to end: get --align to an .npz file (on the bench directory's disk).
void BM_GetAlignNpz(benchmark::State& state) {
  const fs::path root = bench_store();
  store st(root, store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  std::vector<spectrum_id> req;
  for (const auto& r : ids) req.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  get_options o;
  o.store = root;
  o.align = true;
  o.columns = dense_cols;
  o.out = root.parent_path() / "get-bench.npz";
  o.progress = false;
  size_t bytes = 0;
  for (auto _ : state) bytes = size_t(get_spectra(o, req).width) * ids.size() * 4 * dense_cols.size();
  report(state, ids.size(), bytes);
  fs::remove(o.out);
}

// get --resample end to end minus the file: the engine reads each window on the list span and
// resamples it (log grid with the lattice's step over 3600-9000 A, or lin 1.5 A), output to
// /dev/null through the npy writer. Per-spectrum cost is what this reports (spectra/s).
void BM_GetResample(benchmark::State& state, const char* grid_text, backend b) {
  if (b == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const fs::path root = bench_store();
  store st(root, store::access::read);
  const auto ids = request(st, size_t(state.range(0)));
  std::vector<spectrum_id> req;
  for (const auto& r : ids) req.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  get_options o;
  o.store = root;
  o.resample = parse_wavelength_grid(grid_text);
  o.columns = dense_cols;
  o.format = get_format::npy;
  o.out = "/dev/null";
  o.progress = false;
  o.device = b;
  size_t bytes = 0;
  for (auto _ : state) bytes = size_t(get_spectra(o, req).width) * ids.size() * 4 * dense_cols.size();
  report(state, ids.size(), bytes);
}

}  // namespace

BENCHMARK_CAPTURE(BM_GetResample, log_1e-4_cpu, "log:3.5563,3.9542,1e-4", backend::cpu)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetResample, lin_1.5A_cpu, "lin:3600,9000,1.5", backend::cpu)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetResample, Cuda_log_1e-4, "log:3.5563,3.9542,1e-4", backend::cuda)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorMemcpy, align, 0)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetDense, align_cpu, 0, backend::cpu)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetDense, Cuda_align, 0, backend::cuda)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorMemcpy, cutout_4000_5000, 1)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetDense, cutout_4000_5000_cpu, 1, backend::cpu)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_GetDense, Cuda_cutout_4000_5000, 1, backend::cuda)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GetAlignNpz)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

BENCHMARK_MAIN();
