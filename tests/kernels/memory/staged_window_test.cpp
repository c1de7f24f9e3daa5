// staged_window (kernels/memory/staged_window.hpp): host columns on both backends, the device
// side only on cuda, copies that round-trip byte for byte. Cuda tests report SKIPPED without a
// GPU; what a GPU-less build or machine does is checked everywhere.
#include "kernels/memory/staged_window.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
namespace {

TEST(StagedWindow, CpuHoldsHostColumnsOnly) {
  staged_window w(backend::cpu, 3, 33 * 4);
  EXPECT_EQ(w.where(), backend::cpu);
  EXPECT_EQ(w.columns(), 3u);
  EXPECT_EQ(w.bytes(), 33u * 4);
  for (size_t k = 0; k < 3; ++k) {
    ASSERT_NE(w.host(k), nullptr);
    EXPECT_EQ(w.device(k), nullptr);
    EXPECT_EQ(w.on_backend<float>(k), w.host<float>(k));
    auto* v = w.host<int32_t>(k);
    for (int i = 0; i < 33; ++i) v[i] = int32_t(k * 100 + size_t(i));  // the whole size is writable
  }
  EXPECT_NE(w.host(0), w.host(1));
  w.upload(0, 33 * 4);  // no-ops on the host
  w.download(1, 33 * 4);
  w.synchronize();
  EXPECT_EQ(w.host<int32_t>(1)[32], 132);
  EXPECT_TRUE(w.stream().is_default());
  EXPECT_THROW(w.upload(0, 34 * 4), invalid_argument);  // past the column
  EXPECT_THROW(w.download(3, 4), invalid_argument);     // no such column
}

TEST(StagedWindow, EmptyIsFine) {
  staged_window none;
  EXPECT_EQ(none.columns(), 0u);
  staged_window zero(backend::cpu, 2, 0);  // an unused slot
  EXPECT_NE(zero.host(0), nullptr);
}

TEST(StagedWindowWithoutDevice, CudaThrows) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(staged_window(backend::cuda, 1, 64), cuda_error);
}

TEST(StagedWindowCuda, RoundTripOnItsStream) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (size_t n : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(1) << 20}) {
    staged_window w(backend::cuda, 2, n * 4);
    ASSERT_NE(w.device(0), nullptr);
    EXPECT_EQ(w.on_backend<float>(1), w.device<float>(1));
    std::vector<uint32_t> want(n);
    std::iota(want.begin(), want.end(), 0x1234u);
    std::memcpy(w.host(0), want.data(), n * 4);
    w.upload(0, n * 4);
    w.synchronize();
    std::vector<uint32_t> got(n, 0);
    // Scribble over the host copy, then bring the device copy back over it.
    std::memset(w.host(0), 0, n * 4);
    w.download(0, n * 4);
    w.synchronize();
    std::memcpy(got.data(), w.host(0), n * 4);
    EXPECT_EQ(got, want) << "n=" << n;
  }
}

}  // namespace
}  // namespace specmill
