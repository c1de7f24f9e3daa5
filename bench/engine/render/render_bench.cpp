// Rendering: the stacked image of 10,000 spectra (~4,650 lattice pixels a row, 46 Mpixel) to
// PNG and to .npy, stage by stage and end to end, against the floors measured in the same run:
// zlib compressing the same 8-bit bytes on one thread (level 6: what any PNG of these bytes
// costs without threads) and writing the same float bytes to the same disk. Then preview and
// grid plots per second.
//
// Two stores under SPECMILL_BENCH_DIR (default /tmp/specmill-bench), each built once:
//   noise   bench/engine/get/get_bench.cpp's synthetic store (same builder and directory): white
//           noise around 10, the worst case for compression;
//   sample  the 10,000 spec-lite files of bench/engine/ingest/ingest_bench.cpp (seed 42: galaxies,
//           quasars and stars with continua, lines and noise), ingested: real-looking images.
//           The list is the galaxies sorted by z, as an astronomer would stack them.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <vector>

#include "engine/render/grid_plot.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/render/preview_plot.hpp"
#include "engine/render/stacked_image.hpp"
#include "engine/store/store.hpp"
#include "io/image/png_writer.hpp"
#include "kernels/launch/device.hpp"
#include "bench/common/synthetic_store.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

using bench::bench_store;
using bench::stored_spectra;

fs::path bench_root() {
  const char* d_env = std::getenv("SPECMILL_BENCH_DIR");
  return d_env ? fs::path(d_env) : fs::temp_directory_path() / "specmill-bench";
}

// The ingested sample files (generated first when ingest_bench has not left them).
fs::path sample_store() {
  const fs::path files = bench_root() / ("sample-" + std::to_string(stored_spectra));
  const fs::path root = bench_root() / ("store-sample-" + std::to_string(stored_spectra));
  if (fs::exists(root / "done")) return root;
  if (!fs::exists(files / "specObj-sample.fits")) {
    fs::remove_all(files);
    sample_options o;
    o.out = files;
    o.count = stored_spectra;
    o.seed = 42;
    write_sample_data(o);
  }
  fs::remove_all(root);
  ingest_options o;
  o.store = root;
  o.catalog = files / "specObj-sample.fits";
  o.inputs = {files.string()};
  o.progress = false;
  ingest(o);
  std::ofstream(root / "done") << "ok\n";
  return root;
}

enum class source { noise, sample };
fs::path store_of(source s) { return s == source::noise ? bench_store() : sample_store(); }

// noise: every stored spectrum once, shuffled. sample: every galaxy, by redshift (plus the
// other classes after them, by redshift, to make 10,000 rows).
std::vector<spectrum_id> request(source src = source::noise) {
  store st(store_of(src), store::access::read);
  std::vector<std::pair<double, spectrum_id>> ids;
  st.catalog().for_each_located(default_context, [&](const catalog_entry& e) {
    spectrum_id id;
    id.specobjid = e.meta.specobjid;
    id.text = std::to_string(e.meta.specobjid);
    ids.push_back({0.0, id});
  });
  if (src == source::noise) {
    std::shuffle(ids.begin(), ids.end(), std::mt19937(7));
  } else {
    for (auto& [key, id] : ids) {
      const auto e = st.catalog().lookup(default_context, *id.specobjid);
      key = (e->meta.class_name == "GALAXY" ? 0 : 100) + double(e->meta.z);
    }
    std::stable_sort(ids.begin(), ids.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  }
  std::vector<spectrum_id> out;
  for (auto& p : ids) out.push_back(p.second);
  return out;
}

stacked_image_options image_options(backend b = backend::cpu, source src = source::noise) {
  stacked_image_options o;
  o.store = store_of(src);
  o.device = b;
  return o;
}

// The float image and its 8-bit gray rendering, made once per source for the stage benchmarks.
struct stage_data {
  float_image img;
  display_limits lim;
  std::vector<uint8_t> gray;
  explicit stage_data(source src) {
    const auto o = image_options(backend::cpu, src);
    store st(o.store, store::access::read);
    const auto ids = resolve_ids(st.catalog(), std::string(default_context), request(src));
    img = read_stacked_image(st, ids, o);
    lim = stacked_image_limits(img, o);
    const auto op = make_render_op(lim, stretch::linear, colormap_id::gray, false, {0, 0, 0});
    gray.resize(img.pixels.size());
    render_band b{img.pixels.data(), img.width, 1, 1, 0, img.rows};
    render_pixels(backend::cpu, b, op, gray.data());
  }
};
const stage_data& stages(source src = source::noise) {
  static const stage_data noise(source::noise);
  if (src == source::noise) return noise;
  static const stage_data sample(source::sample);
  return sample;
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

void BM_PngEncode(benchmark::State& state, source src, png_encoder enc, png_strategy strategy) {
  const auto& d = stages(src);
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
void BM_FloorZlib(benchmark::State& state, source src, int strategy) {
  const auto& d = stages(src);
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
void BM_ImagePng(benchmark::State& state, source src, colormap_id cmap, backend be) {
  if (be == backend::cuda && cuda_device_count() == 0) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const auto ids = request(src);
  auto o = image_options(be, src);
  o.cmap = cmap;
  size_t bytes = 0;
  for (auto _ : state) bytes = stacked_image_png(o, ids).size();
  report(state, ids.size(), bytes);
  state.counters["png_MB"] = double(bytes) / 1e6;
}

void BM_ImageNpy(benchmark::State& state) {
  const auto ids = request();
  const auto o = image_options();
  const fs::path out = bench_store().parent_path() / "render-bench.npy";
  for (auto _ : state) write_stacked_image(o, ids, out);
  report(state, ids.size(), fs::file_size(out));
  fs::remove(out);
}

// ---- plots: spectra of the sample store (with class and z for the title and line markers)
spectrum_plot_data one_spectrum() {
  store st(sample_store(), store::access::read);
  return load_plot_data(st, std::string(default_context), request(source::sample)[500]);
}

// In memory: draw and encode (with line markers and labels).
void BM_PreviewDraw(benchmark::State& state) {
  const auto d = one_spectrum();
  plot_options o;
  o.width = int(state.range(0));
  o.height = int(state.range(1));
  o.lines = true;
  for (auto _ : state) benchmark::DoNotOptimize(render_preview(d, o).png.size());
  state.SetItemsProcessed(int64_t(state.iterations()));
}

// What a /preview request costs: open the store, resolve, read, draw, encode.
void BM_PreviewStore(benchmark::State& state) {
  const auto id = request(source::sample)[500];
  const plot_options o;
  for (auto _ : state) benchmark::DoNotOptimize(preview_png(sample_store(), std::string(default_context), id, o).size());
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_Grid(benchmark::State& state) {
  const auto ids = request(source::sample);
  grid_options o;
  o.nx = o.ny = int(state.range(0));
  o.panel.lines = true;
  for (auto _ : state) benchmark::DoNotOptimize(grid_png(sample_store(), std::string(default_context), ids, o).size());
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
BENCHMARK_CAPTURE(BM_FloorZlib, noise_default, source::noise, Z_DEFAULT_STRATEGY)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorZlib, noise_rle, source::noise, Z_RLE)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, noise_parallel_rle, source::noise, png_encoder::parallel, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, noise_parallel_filtered, source::noise, png_encoder::parallel, png_strategy::filtered)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, noise_libpng_rle, source::noise, png_encoder::libpng, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorZlib, sample_default, source::sample, Z_DEFAULT_STRATEGY)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_FloorZlib, sample_rle, source::sample, Z_RLE)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, sample_parallel_rle, source::sample, png_encoder::parallel, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, sample_parallel_filtered, source::sample, png_encoder::parallel, png_strategy::filtered)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, sample_libpng_rle, source::sample, png_encoder::libpng, png_strategy::rle)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_PngEncode, sample_libpng_filtered, source::sample, png_encoder::libpng, png_strategy::filtered)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FloorWrite)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, noise_gray_cpu, source::noise, colormap_id::gray, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, noise_viridis_cpu, source::noise, colormap_id::viridis, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, sample_gray_cpu, source::sample, colormap_id::gray, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, sample_viridis_cpu, source::sample, colormap_id::viridis, backend::cpu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_ImagePng, Cuda_noise_gray, source::noise, colormap_id::gray, backend::cuda)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ImageNpy)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PreviewDraw)->Args({400, 100})->Args({1000, 400})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PreviewStore)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Grid)->Arg(5)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
