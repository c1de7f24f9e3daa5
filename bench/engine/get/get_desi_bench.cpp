// get of 10,000 DESI targets (merged brz, 7781 pixels on linear:0.8) from the synthetic DESI
// store (bench/common/synthetic_desi_store.hpp), in spectra/s and output bytes/s, against the
// floor measured in the same run: a memcpy of the same output bytes (flux, ivar and and_mask,
// 12 bytes a pixel) a list window at a time.
//   BM_DesiGetAligned   the engine's aligned reader over the list span (what get --align reads)
//   BM_DesiGetNpz       get --align end to end into an .npz file
//   BM_DesiGetResample  get --resample onto lin:3600,9800,1.5 (observed) or its --rest-frame,
//                       written through the npy sink to /dev/null
//   SPECMILL_BENCH_DIR (default /tmp/specmill-bench)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <vector>

#include "bench/common/synthetic_desi_store.hpp"
#include "engine/get/get.hpp"
#include "engine/pipeline/aligned_reader.hpp"
#include "engine/store/store.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

const std::vector<column> dense_cols{column::flux, column::ivar, column::and_mask};

void report(benchmark::State& state, size_t n, size_t bytes) {
  state.SetItemsProcessed(int64_t(state.iterations() * n));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

std::vector<spectrum_id> ids_of(const resolved_list& ids) {
  std::vector<spectrum_id> out;
  for (const auto& r : ids) out.push_back(parse_spectrum_id(std::to_string(r.specobjid())));
  return out;
}

void BM_DesiFloorMemcpy(benchmark::State& state) {
  store st(bench::bench_desi_store(), store::access::read);
  const auto ids = bench::desi_request(st);
  const lattice_window g = list_span(ids, st.grid());
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

void BM_DesiGetAligned(benchmark::State& state) {
  store st(bench::bench_desi_store(), store::access::read);
  const auto ids = bench::desi_request(st);
  const lattice_window g = list_span(ids, st.grid());
  aligned_reader reader(st, ids, g, backend::cpu);
  std::vector<char> buf(reader.windows().front().rows() * size_t(g.width) * 4);
  for (auto _ : state) {
    for (const auto& w : reader.windows())
      for (column c : dense_cols) reader.read(w, c, buf.data());
    benchmark::DoNotOptimize(buf.data());
  }
  report(state, ids.size(), ids.size() * size_t(g.width) * 4 * dense_cols.size());
  state.counters["width"] = double(g.width);
}

void BM_DesiGetNpz(benchmark::State& state) {
  const fs::path root = bench::bench_desi_store();
  store st(root, store::access::read);
  get_options o;
  o.store = root;
  o.context = bench::desi_context;
  o.align = true;
  o.columns = dense_cols;
  o.out = root.parent_path() / "get-desi-bench.npz";
  o.progress = false;
  const auto req = ids_of(bench::desi_request(st));
  size_t bytes = 0;
  for (auto _ : state) bytes = size_t(get_spectra(o, req).width) * req.size() * 4 * dense_cols.size();
  report(state, req.size(), bytes);
  fs::remove(o.out);
}

void BM_DesiGetResample(benchmark::State& state, bool rest_frame) {
  const fs::path root = bench::bench_desi_store();
  store st(root, store::access::read);
  get_options o;
  o.store = root;
  o.context = bench::desi_context;
  o.resample = parse_wavelength_grid(rest_frame ? "lin:1500,9000,1.5" : "lin:3600,9800,1.5");
  o.rest_frame = rest_frame;
  o.columns = dense_cols;
  o.format = get_format::npy;
  o.out = "/dev/null";
  o.progress = false;
  const auto req = ids_of(bench::desi_request(st));
  size_t bytes = 0;
  for (auto _ : state) bytes = size_t(get_spectra(o, req).width) * req.size() * 4 * dense_cols.size();
  report(state, req.size(), bytes);
}

}  // namespace

BENCHMARK(BM_DesiFloorMemcpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DesiGetAligned)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_DesiGetNpz)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK_CAPTURE(BM_DesiGetResample, observed_lin_1.5A, false)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);
BENCHMARK_CAPTURE(BM_DesiGetResample, rest_frame_lin_1.5A, true)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(2);

BENCHMARK_MAIN();
