// Synthetic photometry of N spectra x 4,600 pixels x 5 SDSS bands, beside the floor measured in
// the same run: a memcpy of the same input bytes (flux + ivar, 8 bytes a pixel) on the CPU, a
// device-to-device cudaMemcpy of them on the GPU. Bytes processed count that input; spectra/s
// counts spectra (each in all 5 bands).
//
// GPU benchmarks (names with Cuda) are registered only when a device is present, time with
// CUDA events (UseManualTime) on device-resident data, and use the same batch.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "io/filters/filter_curve.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/photometry.hpp"

#if defined(SPECMILL_WITH_CUDA)
#include <cuda_runtime.h>

#include "bench/common/device_timing.hpp"
#include "kernels/launch/cuda_check.hpp"
#endif

namespace {

using namespace specmill;

constexpr int pixels_per_spectrum = 4600;

// BOSS-like spectra: 4,600 pixels starting between 3,560 and 3,620 A, a smooth continuum with
// noise, ~0.3% masked pixels.
struct batch {
  std::vector<int64_t> offsets{0};
  std::vector<int32_t> lattice_start;
  std::vector<float> flux, ivar;
  explicit batch(size_t n) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(0.f, 1.f);
    flux.reserve(n * pixels_per_spectrum);
    ivar.reserve(n * pixels_per_spectrum);
    for (size_t i = 0; i < n; ++i) {
      const int32_t start = 35515 + int32_t(rng() % 70);
      const float level = 1.f + 20.f * u(rng);
      for (int j = 0; j < pixels_per_spectrum; ++j) {
        flux.push_back(level * (1.f + 0.3f * std::sin(float(j) * 0.01f)) + u(rng) - 0.5f);
        ivar.push_back(u(rng) < 0.003f ? 0.f : 1.f / level);
      }
      lattice_start.push_back(start);
      offsets.push_back(int64_t(flux.size()));
    }
  }
  size_t n() const { return lattice_start.size(); }
  size_t input_bytes() const { return flux.size() * 2 * sizeof(float); }
  photometry_input input() const { return {n(), offsets.data(), lattice_start.data(), flux.data(), ivar.data(), nullptr}; }
};

band_tables sdss_bands() {
  std::vector<band_weights> w;
  for (const auto& f : load_filters("sdss2010-u,sdss2010-g,sdss2010-r,sdss2010-i,sdss2010-z"))
    w.push_back(make_band_weights(f.name, f.wavelength, f.response));
  return band_tables(w);
}

const batch& shared_batch(size_t n) {
  static size_t made_n = 0;
  static std::unique_ptr<batch> b;
  if (!b || made_n != n) {
    b.reset();  // free the previous size first: 10,000 spectra are 368 MB
    b = std::make_unique<batch>(n);
    made_n = n;
  }
  return *b;
}

void set_counters(benchmark::State& state, const batch& b) {
  const auto iters = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(iters * int64_t(b.input_bytes()));
  state.SetItemsProcessed(iters * int64_t(b.n()));
  state.counters["spectra/s"] = benchmark::Counter(double(iters) * double(b.n()), benchmark::Counter::kIsRate);
}

void BM_PhotometryCpu(benchmark::State& state) {
  const batch& b = shared_batch(size_t(state.range(0)));
  const band_tables bands = sdss_bands();
  std::vector<band_flux> out(b.n() * bands.size());
  for (auto _ : state) {
    synthetic_photometry(backend::cpu, b.input(), bands, {}, out.data());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, b);
}

void BM_MemcpyFloorCpu(benchmark::State& state) {
  const batch& b = shared_batch(size_t(state.range(0)));
  std::vector<float> dst(b.flux.size() * 2);
  for (auto _ : state) {
    std::memcpy(dst.data(), b.flux.data(), b.flux.size() * sizeof(float));
    std::memcpy(dst.data() + b.flux.size(), b.ivar.data(), b.ivar.size() * sizeof(float));
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, b);
}

#if defined(SPECMILL_WITH_CUDA)
template <class T>
device_buffer upload(const std::vector<T>& v) {
  device_buffer d(v.size() * sizeof(T));
  d.copy_from_host(v.data(), d.size());
  return d;
}


void BM_PhotometryCuda(benchmark::State& state) {
  const batch& b = shared_batch(size_t(state.range(0)));
  const band_tables bands = sdss_bands();
  device_buffer offsets = upload(b.offsets), starts = upload(b.lattice_start), flux = upload(b.flux),
                ivar = upload(b.ivar);
  device_buffer b_off = upload(bands.offsets()), b_start = upload(bands.lattice_starts()),
                b_flux = upload(bands.flux_weights()), b_norm = upload(bands.norm_weights()),
                b_total = upload(bands.norm_totals());
  device_buffer out(b.n() * bands.size() * sizeof(band_flux));
  const photometry_input in{b.n(), offsets.data<int64_t>(), starts.data<int32_t>(), flux.data<float>(),
                            ivar.data<float>(), nullptr};
  const band_table_view view{bands.size(), b_off.data<int64_t>(), b_start.data<int32_t>(), b_flux.data<double>(),
                             b_norm.data<double>(), b_total.data<double>()};
  cuda_stream stream;
  specmill::bench::time_on_device(state, stream, [&] { synthetic_photometry_device(in, view, {}, out.data<band_flux>(), stream); });
  set_counters(state, b);
}

void BM_MemcpyFloorCuda(benchmark::State& state) {
  const batch& b = shared_batch(size_t(state.range(0)));
  device_buffer src(b.input_bytes()), dst(b.input_bytes());
  cuda_stream stream;
  const auto s = static_cast<cudaStream_t>(stream.handle());
  specmill::bench::time_on_device(state, stream, [&] {
    SPECMILL_CUDA_TRY(cudaMemcpyAsync(dst.data(), src.data(), src.size(), cudaMemcpyDeviceToDevice, s));
  });
  set_counters(state, b);
}

// The host-pointer entry: pageable copies in and out over PCIe plus the kernel, wall time.
void BM_PhotometryCudaStagedFromHost(benchmark::State& state) {
  const batch& b = shared_batch(size_t(state.range(0)));
  const band_tables bands = sdss_bands();
  std::vector<band_flux> out(b.n() * bands.size());
  synthetic_photometry(backend::cuda, b.input(), bands, {}, out.data());  // warm-up
  for (auto _ : state) {
    synthetic_photometry(backend::cuda, b.input(), bands, {}, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, b);
}
#endif

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // 10,000 spectra on the CPU (368 MB of input); 100,000 on a GPU (3.7 GB).
  benchmark::RegisterBenchmark("BM_PhotometryCpu", BM_PhotometryCpu)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("BM_MemcpyFloorCpu", BM_MemcpyFloorCpu)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);
#if defined(SPECMILL_WITH_CUDA)
  if (cuda_device_count() > 0) {
    for (const int64_t n : {10000, 100000}) {
      benchmark::RegisterBenchmark("BM_PhotometryCuda", BM_PhotometryCuda)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark("BM_MemcpyFloorCuda", BM_MemcpyFloorCuda)->Arg(n)->UseManualTime()->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark("BM_PhotometryCudaStagedFromHost", BM_PhotometryCudaStagedFromHost)->Arg(n)->UseRealTime()->Unit(benchmark::kMillisecond);
    }
  }
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
