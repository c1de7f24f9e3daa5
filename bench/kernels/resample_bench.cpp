// resample on both backends, each beside its floor measured in the same run: a host memcpy of
// the same bytes for the CPU, a device-to-device cudaMemcpy for the GPU. 1,000 spectra x 4,600
// lattice pixels (3548-10233 A, about an SDSS/BOSS spectrum) onto log grids of 1e-4 and 2e-4
// steps, a linear 1.5 A grid, and the 1e-4 log grid in each spectrum's rest frame.
//
// Bytes processed count what the operation must move: input flux, ivar and and_mask (12 bytes
// per input pixel) plus output flux, ivar and and_mask (12 bytes per target pixel). The floor
// copies half that many bytes (so it too reads and writes that total).
//
// GPU benchmarks (names with Cuda) time with CUDA events (UseManualTime) on device-resident
// data; without a device they report an error (SkipWithError) instead of a number.
#include <benchmark/benchmark.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/resample.hpp"
#include "core/wavelength_grid.hpp"

#if defined(SPECMILL_WITH_CUDA)
#include <cuda_runtime.h>

#include "bench/common/device_timing.hpp"
#include "kernels/launch/cuda_check.hpp"
#endif

namespace {

using specmill::backend;

constexpr size_t n_spectra = 1000, width = 4600;
constexpr int32_t lattice_start = 35500;
const char* const grids[] = {"log:3.56,3.99,1e-4", "log:3.56,3.99,2e-4", "lin:3650,9750,1.5",
                             "log:3.52,3.95,1e-4"};  // the last is read in the rest frame
bool rest_frame(int64_t grid_index) { return grid_index == 3; }

// Host-side batch: noisy continuum, 2% masked, per-spectrum z in [0, 0.1].
struct host_batch {
  std::vector<float> flux, ivar;
  std::vector<int32_t> and_mask;
  std::vector<double> log10_1pz;

  host_batch() : flux(n_spectra * width), ivar(flux.size()), and_mask(flux.size()), log10_1pz(n_spectra) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(0, 1);
    for (size_t i = 0; i < flux.size(); ++i) {
      flux[i] = 10 + 3 * u(rng);
      ivar[i] = 0.5f + u(rng);
      and_mask[i] = u(rng) < 0.02f ? 1 << 3 : 0;
    }
    for (double& s : log10_1pz) s = std::log10(1 + 0.1 * u(rng));
  }
  specmill::lattice_batch view(bool rest) const {
    return {n_spectra, width, lattice_start, flux.data(), ivar.data(), and_mask.data(),
            rest ? log10_1pz.data() : nullptr};
  }
};

const host_batch& batch() {
  static const host_batch b;
  return b;
}

size_t bytes_moved(size_t n_out) { return n_spectra * (width + n_out) * (2 * sizeof(float) + sizeof(int32_t)); }

void set_counters(benchmark::State& state, size_t n_out) {
  const auto iters = static_cast<int64_t>(state.iterations());
  state.SetBytesProcessed(iters * int64_t(bytes_moved(n_out)));
  state.SetItemsProcessed(iters * int64_t(n_spectra));  // items = spectra
  state.counters["spectra/s"] = benchmark::Counter(double(iters) * n_spectra, benchmark::Counter::kIsRate);
  state.counters["target_px"] = double(n_out);
}

// ------------------------------------------------------------------ CPU
void BM_ResampleCpu(benchmark::State& state) {
  const specmill::wavelength_grid grid = specmill::parse_wavelength_grid(grids[state.range(0)]);
  const size_t n_out = n_spectra * size_t(grid.size());
  std::vector<float> flux(n_out), ivar(n_out);
  std::vector<int32_t> mask(n_out);
  const specmill::lattice_batch in = batch().view(rest_frame(state.range(0)));
  for (auto _ : state) {
    specmill::resample(backend::cpu, in, grid, 1 << 3, {flux.data(), ivar.data(), mask.data()});
    benchmark::DoNotOptimize(flux.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(grids[state.range(0)]);
  set_counters(state, size_t(grid.size()));
}

// One TBB thread: its CPU time (the "CPU" column) is the work itself, readable even when other
// jobs share the machine.
void BM_ResampleCpuOneThread(benchmark::State& state) {
  tbb::global_control one(tbb::global_control::max_allowed_parallelism, 1);
  BM_ResampleCpu(state);
}

void BM_MemcpyFloorCpu(benchmark::State& state) {
  const specmill::wavelength_grid grid = specmill::parse_wavelength_grid(grids[state.range(0)]);
  const size_t half = bytes_moved(size_t(grid.size())) / 2;
  std::vector<char> src(half, 1), dst(half);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), half);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(grids[state.range(0)]);
  set_counters(state, size_t(grid.size()));
}

// ------------------------------------------------------------------ CUDA
bool skip_without_device(benchmark::State& state) {
  if (specmill::cuda_device_count() > 0) return false;
  state.SkipWithError(specmill::cuda_compiled() ? "no CUDA device" : "CUDA support not compiled into this build");
  return true;
}

#if defined(SPECMILL_WITH_CUDA)

template <class T>
specmill::device_buffer upload(const std::vector<T>& host) {
  specmill::device_buffer buf(host.size() * sizeof(T));
  buf.copy_from_host(host.data(), buf.size());
  return buf;
}
#endif

void BM_ResampleCuda(benchmark::State& state) {
  if (skip_without_device(state)) return;
#if defined(SPECMILL_WITH_CUDA)
  const specmill::wavelength_grid grid = specmill::parse_wavelength_grid(grids[state.range(0)]);
  const size_t n_out = n_spectra * size_t(grid.size());
  const host_batch& h = batch();
  const specmill::device_buffer flux = upload(h.flux), ivar = upload(h.ivar), mask = upload(h.and_mask),
                                shift = upload(h.log10_1pz);
  specmill::device_buffer out_flux(n_out * 4), out_ivar(n_out * 4), out_mask(n_out * 4);
  const specmill::lattice_batch in{n_spectra, width, lattice_start, flux.data<float>(), ivar.data<float>(),
                                   mask.data<int32_t>(),
                                   rest_frame(state.range(0)) ? shift.data<double>() : nullptr};
  const specmill::resampled_batch out{out_flux.data<float>(), out_ivar.data<float>(), out_mask.data<int32_t>()};
  specmill::cuda_stream stream;
  specmill::bench::time_on_device(state, stream, [&] { specmill::resample_device(in, grid, 1 << 3, out, stream); });
  state.SetLabel(grids[state.range(0)]);
  set_counters(state, size_t(grid.size()));
#endif
}

void BM_MemcpyFloorCuda(benchmark::State& state) {
  if (skip_without_device(state)) return;
#if defined(SPECMILL_WITH_CUDA)
  const specmill::wavelength_grid grid = specmill::parse_wavelength_grid(grids[state.range(0)]);
  const size_t half = bytes_moved(size_t(grid.size())) / 2;
  specmill::device_buffer src(half), dst(half);
  specmill::cuda_stream stream;
  const auto s = static_cast<cudaStream_t>(stream.handle());
  specmill::bench::time_on_device(state, stream, [&] {
    SPECMILL_CUDA_TRY(cudaMemcpyAsync(dst.data(), src.data(), half, cudaMemcpyDeviceToDevice, s));
  });
  state.SetLabel(grids[state.range(0)]);
  set_counters(state, size_t(grid.size()));
#endif
}

#define GRIDS DenseRange(0, 3)

BENCHMARK(BM_ResampleCpu)->GRIDS->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ResampleCpuOneThread)->GRIDS->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyFloorCpu)->GRIDS->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ResampleCuda)->GRIDS->UseManualTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyFloorCuda)->GRIDS->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
