#pragma once
// GPU benchmark timing with CUDA events (STYLE.md: UseManualTime), shared by the bench programs.
// Include only under SPECMILL_WITH_CUDA.
#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include "kernels/launch/cuda_check.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill::bench {

// Times one op() per iteration between two events on `stream`; one warm-up call first, so
// first-launch costs stay out of the numbers.
template <class Op>
void time_on_device(benchmark::State& state, cuda_stream& stream, Op op) {
  cudaEvent_t start = nullptr, stop = nullptr;
  SPECMILL_CUDA_TRY(cudaEventCreate(&start));
  SPECMILL_CUDA_TRY(cudaEventCreate(&stop));
  const auto s = static_cast<cudaStream_t>(stream.handle());
  op();
  stream.synchronize();
  for (auto _ : state) {
    SPECMILL_CUDA_TRY(cudaEventRecord(start, s));
    op();
    SPECMILL_CUDA_TRY(cudaEventRecord(stop, s));
    SPECMILL_CUDA_TRY(cudaEventSynchronize(stop));
    float ms = 0;
    SPECMILL_CUDA_TRY(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(double(ms) / 1e3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
}

}  // namespace specmill::bench
