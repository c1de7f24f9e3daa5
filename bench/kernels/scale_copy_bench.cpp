// scale_copy on both backends, each beside its floor measured in the same run: a host memcpy of
// the same bytes for the CPU, a device-to-device cudaMemcpy for the GPU. Bytes processed count
// what crosses memory: n floats read plus n floats written. "spectra/s" takes a spectrum as
// 3840 float pixels (an SDSS spectrum on the common wavelength grid is about that long).
//
// GPU benchmarks (names with Cuda) time with CUDA events (UseManualTime) on device-resident
// data; without a device they report an error (SkipWithError) instead of a number.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/scale_copy.hpp"

#if defined(SPECMILL_WITH_CUDA)
#include <cuda_runtime.h>

#include "bench/common/device_timing.hpp"
#include "kernels/launch/cuda_check.hpp"
#endif

namespace {

using specmill::backend;

constexpr double pixels_per_spectrum = 3840.0;

void set_counters(benchmark::State& state, size_t n) {
  const auto iters = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(iters * int64_t(2 * n * sizeof(float)));
  state.SetItemsProcessed(iters * int64_t(n));
  state.counters["spectra/s"] =
      benchmark::Counter(double(iters) * double(n) / pixels_per_spectrum, benchmark::Counter::kIsRate);
}

std::vector<float> input(size_t n) {
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = float(i % 1000) * 0.25f;
  return x;
}

// ------------------------------------------------------------------ CPU
void BM_ScaleCopyCpu(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  const std::vector<float> in = input(n);
  std::vector<float> out(n);
  for (auto _ : state) {
    specmill::scale_copy(backend::cpu, in.data(), out.data(), n, 1.5f);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

void BM_MemcpyFloorCpu(benchmark::State& state) {
  const size_t n = size_t(state.range(0));
  const std::vector<float> in = input(n);
  std::vector<float> out(n);
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), n * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, n);
}

// ------------------------------------------------------------------ CUDA
#if defined(SPECMILL_WITH_CUDA)
#endif

bool skip_without_device(benchmark::State& state) {
  if (specmill::cuda_device_count() > 0) return false;
  state.SkipWithError(specmill::cuda_compiled() ? "no CUDA device" : "CUDA support not compiled into this build");
  return true;
}

void BM_ScaleCopyCuda(benchmark::State& state) {
  if (skip_without_device(state)) return;
#if defined(SPECMILL_WITH_CUDA)
  const size_t n = size_t(state.range(0));
  const std::vector<float> host = input(n);
  specmill::device_buffer in(n * sizeof(float)), out(n * sizeof(float));
  in.copy_from_host(host.data(), in.size());
  specmill::cuda_stream stream;
  specmill::bench::time_on_device(state, stream, [&] {
    specmill::scale_copy_device(in.data<float>(), out.data<float>(), n, 1.5f, stream);
  });
  set_counters(state, n);
#endif
}

void BM_MemcpyFloorCuda(benchmark::State& state) {
  if (skip_without_device(state)) return;
#if defined(SPECMILL_WITH_CUDA)
  const size_t n = size_t(state.range(0));
  specmill::device_buffer in(n * sizeof(float)), out(n * sizeof(float));
  specmill::cuda_stream stream;
  const auto s = static_cast<cudaStream_t>(stream.handle());
  specmill::bench::time_on_device(state, stream, [&] {
    SPECMILL_CUDA_TRY(cudaMemcpyAsync(out.data(), in.data(), in.size(), cudaMemcpyDeviceToDevice, s));
  });
  set_counters(state, n);
#endif
}

// The host-pointer entry: pageable host memory in and out over PCIe plus the kernel, wall time.
void BM_ScaleCopyCudaStagedFromHost(benchmark::State& state) {
  if (skip_without_device(state)) return;
  const size_t n = size_t(state.range(0));
  const std::vector<float> in = input(n);
  std::vector<float> out(n);
  specmill::scale_copy(backend::cuda, in.data(), out.data(), n, 1.5f);  // warm-up
  for (auto _ : state) {
    specmill::scale_copy(backend::cuda, in.data(), out.data(), n, 1.5f);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
}

// 1 Mi, 8 Mi and 64 Mi floats: from cache-resident to well past any cache.
#define SIZES Arg(1 << 20)->Arg(1 << 23)->Arg(1 << 26)

BENCHMARK(BM_ScaleCopyCpu)->SIZES->UseRealTime();
BENCHMARK(BM_MemcpyFloorCpu)->SIZES->UseRealTime();
BENCHMARK(BM_ScaleCopyCuda)->SIZES->UseManualTime();
BENCHMARK(BM_MemcpyFloorCuda)->SIZES->UseManualTime();
BENCHMARK(BM_ScaleCopyCudaStagedFromHost)->SIZES->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
