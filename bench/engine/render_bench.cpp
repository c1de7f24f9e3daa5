// Rendering: the stacked image of 10,000 spectra (~4,650 lattice pixels a row, 46 Mpixel) to
// PNG and to .npy, stage by stage and end to end, against the floors measured in the same run:
// zlib compressing the same 8-bit bytes on one thread (compress2, level 6: what any PNG of
// these bytes costs without threads) and writing the same float bytes to the same disk. Then
// preview and grid plots per second.
//
// The store is bench/engine/get_bench.cpp's synthetic one (same builder, same directory, so
// either program builds it once): SPECMILL_BENCH_DIR (default /tmp/specmill-bench).
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/grid_plot.hpp"
#include "engine/preview_plot.hpp"
#include "engine/stacked_image.hpp"
#include "engine/store.hpp"
#include "io/png_writer.hpp"
#include "kernels/device.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

constexpr size_t stored_spectra = 10000;

// Identical to get_bench.cpp's builder: the two programs share the store.
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

// Every stored spectrum once, shuffled (a list sorted by something else than storage).
std::vector<spectrum_id> request() {
  store st(bench_store(), store::access::read);
  std::vector<spectrum_id> ids;
  st.catalog().for_each_located(default_context, [&](const catalog_entry& e) {
    spectrum_id id;
    id.specobjid = e.meta.specobjid;
    id.text = std::to_string(e.meta.specobjid);
    ids.push_back(id);
  });
  std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  return ids;
}

stacked_image_options image_options(backend b = backend::cpu) {
  stacked_image_options o;
  o.store = bench_store();
  o.device = b;
  return o;
}

// The float image and its 8-bit gray rendering, made once for the stage benchmarks.
struct stage_data {
  float_image img;
  display_limits lim;
  std::vector<uint8_t> gray;
  stage_data() {
    store st(bench_store(), store::access::read);
    const auto ids = resolve_ids(st.catalog(), std::string(default_context), request());
    const auto o = image_options();
    img = read_stacked_image(st, ids, o);
    lim = stacked_image_limits(img, o);
    const auto op = make_render_op(lim, stretch::linear, colormap_id::gray, false, {0, 0, 0});
    gray.resize(img.pixels.size());
    render_band b{img.pixels.data(), img.width, 1, 1, 0, img.rows};
    render_pixels(backend::cpu, b, op, gray.data());
  }
};
const stage_data& stages() {
  static const stage_data d;
  return d;
}

void report(benchmark::State& state, size_t items, size_t bytes) {
  state.SetItemsProcessed(int64_t(state.iterations() * items));
  state.SetBytesProcessed(int64_t(state.iterations() * bytes));
}

// ---- stages
void BM_ImageRead(benchmark::State& state) {
  store st(bench_store(), store::access::read);
  const auto ids = resolve_ids(st.catalog(), std::string(default_context), request());
  const auto o = image_options();
  size_t px = 0;
  for (auto _ : state) px = read_stacked_image(st, ids, o).pixels.size();
  report(state, ids.size(), px * 4);
}

void BM_ImageLimits(benchmark::State& state, image_scale s) {
  const auto& d = stages();
  auto o = image_options();
  o.scale = s;
  for (auto _ : state) benchmark::DoNotOptimize(stacked_image_limits(d.img, o));
  report(state, d.img.rows, d.img.pixels.size() * 4);
}

void BM_ImageRender(benchmark::State& state, colormap_id cmap, backend be) {
  if (be == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const auto& d = stages();
  const auto op = make_render_op(d.lim, stretch::linear, cmap, false, default_masked_color(cmap));
  std::vector<uint8_t> out(d.img.pixels.size() * size_t(op.channels));
  render_band b{d.img.pixels.data(), d.img.width, 1, 1, 0, d.img.rows};
  for (auto _ : state) render_pixels(be, b, op, out.data());
  report(state, d.img.rows, out.size());
}

void BM_PngEncode(benchmark::State& state, png_encoder enc, png_strategy strategy) {
  const auto& d = stages();
  png_format f;
  f.strategy = strategy;
  f.width = uint32_t(d.img.width);
  f.height = uint32_t(d.img.rows);
  f.encoder = enc;
  size_t out = 0;
  for (auto _ : state) out = encode_png(f, d.gray.data()).size();
  report(state, d.img.rows, d.gray.size());
  state.counters["ratio"] = double(out) / double(d.gray.size());
}

// Floor: zlib (level 6) compressing the same 8-bit bytes on one thread, with its default
// search and with the RLE search the stacked image uses.
void BM_FloorZlib(benchmark::State& state, int strategy) {
  const auto& d = stages();
  std::vector<uint8_t> out(compressBound(uLong(d.gray.size())) + 64);
  size_t n = 0;
  for (auto _ : state) {
    z_stream z{};
    deflateInit2(&z, 6, Z_DEFLATED, 15, 8, strategy);
    z.next_in = const_cast<Bytef*>(d.gray.data());
    z.avail_in = uInt(d.gray.size());
    z.next_out = out.data();
    z.avail_out = uInt(out.size());
    deflate(&z, Z_FINISH);
    n = out.size() - z.avail_out;
    deflateEnd(&z);
  }
  report(state, d.img.rows, d.gray.size());
  state.counters["ratio"] = double(n) / double(d.gray.size());
}

// Floor for .npy: the same float bytes written to a file on the same disk.
void BM_FloorWrite(benchmark::State& state) {
  const auto& d = stages();
  const fs::path p = bench_store().parent_path() / "render-floor.bin";
  for (auto _ : state) {
    FILE* f = std::fopen(p.c_str(), "wb");
    std::fwrite(d.img.pixels.data(), 4, d.img.pixels.size(), f);
    std::fclose(f);
  }
  report(state, d.img.rows, d.img.pixels.size() * 4);
  fs::remove(p);
}

// ---- end to end: store -> resolve -> read -> limits -> file or bytes
void BM_ImagePng(benchmark::State& state, colormap_id cmap, backend be) {
  if (be == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const auto ids = request();
  auto o = image_options(be);
  o.cmap = cmap;
  size_t bytes = 0;
  for (auto _ : state) bytes = stacked_image_png(o, ids).size();
  report(state, ids.size(), bytes);
}

void BM_ImageNpy(benchmark::State& state) {
  const auto ids = request();
  const auto o = image_options();
  const fs::path out = bench_store().parent_path() / "render-bench.npy";
  for (auto _ : state) write_stacked_image(o, ids, out);
  report(state, ids.size(), fs::file_size(out));
  fs::remove(out);
}

// ---- plots
spectrum_plot_data one_spectrum() {
  store st(bench_store(), store::access::read);
  return load_plot_data(st, std::string(default_context), request().front());
}

void BM_PreviewDraw(benchmark::State& state) {
  const auto d = one_spectrum();
  plot_options o;
  o.width = int(state.range(0));
  o.height = int(state.range(1));
  o.lines = true;
  for (auto _ : state) benchmark::DoNotOptimize(render_preview(d, o).png.size());
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_PreviewStore(benchmark::State& state) {
  const auto id = request().front();
  const plot_options o;
  for (auto _ : state) benchmark::DoNotOptimize(preview_png(bench_store(), std::string(default_context), id, o).size());
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_Grid(benchmark::State& state) {
  const auto ids = request();
  grid_options o;
  o.nx = o.ny = int(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(grid_png(bench_store(), std::string(default_context), ids, o).size());
  state.SetItemsProcessed(int64_t(state.iterations()));
  state.counters["panels/s"] = benchmark::Counter(double(state.iterations()) * o.nx * o.ny, benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK(BM_ImageRead)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageLimits, zscale, image_scale::zscale)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageLimits, percentiles, image_scale::linear)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageRender, gray_cpu, colormap_id::gray, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageRender, viridis_cpu, colormap_id::viridis, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImageRender, Cuda_gray, colormap_id::gray, backend::cuda)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorZlib, default, Z_DEFAULT_STRATEGY)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorZlib, rle, Z_RLE)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, parallel_filtered, png_encoder::parallel, png_strategy::filtered)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, parallel_rle, png_encoder::parallel, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, libpng_filtered, png_encoder::libpng, png_strategy::filtered)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, libpng_rle, png_encoder::libpng, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FloorWrite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, gray_cpu, colormap_id::gray, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, viridis_cpu, colormap_id::viridis, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, Cuda_gray, colormap_id::gray, backend::cuda)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ImageNpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PreviewDraw)->Args({400, 100})->Args({1000, 400})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PreviewStore)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Grid)->Arg(5)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
