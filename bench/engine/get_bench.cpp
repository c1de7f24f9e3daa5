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

#include "engine/aligned_reader.hpp"
#include "engine/get.hpp"
#include "engine/store.hpp"
#include "kernels/device.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

constexpr size_t stored_spectra = 10000;
const std::vector<column> dense_cols{column::flux, column::ivar, column::and_mask};

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

// The request: n IDs over the stored spectra (each drawn n / stored times), shuffled.
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

void report(benchmark::State& state, size_t n, size_t bytes) {
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

lattice_window grid_for(int mode, const std::vector<resolved_id>& ids) {
  return mode == 0 ? list_span(ids) : cutout_window({4000, 5000});
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
  for (const auto& r : ids) req.push_back(r.id);
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
  for (const auto& r : ids) req.push_back(r.id);
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
