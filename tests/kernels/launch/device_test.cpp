// Backend choice and the RAII device resources. Tests named *Cuda* need a GPU and report
// SKIPPED without one; the others run everywhere and check what a GPU-less build or machine does.
#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"

namespace specmill {
namespace {

bool have_device() { return cuda_device_count() > 0; }

#define SKIP_WITHOUT_CUDA_DEVICE() \
  if (!have_device()) GTEST_SKIP() << "no CUDA device"

// ------------------------------------------------------------------ backend choice
TEST(ChooseBackend, CpuIsAlwaysAvailable) { EXPECT_EQ(choose_backend("cpu"), backend::cpu); }

TEST(ChooseBackend, AutoPicksTheDeviceOnlyWhenPresent) {
  EXPECT_EQ(choose_backend("auto"), have_device() ? backend::cuda : backend::cpu);
}

TEST(ChooseBackend, DeviceRequestWithoutDeviceThrows) {
  if (have_device()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(choose_backend("cuda"), cuda_error);
}

TEST(ChooseBackendCuda, CudaWithDevice) {
  SKIP_WITHOUT_CUDA_DEVICE();
  EXPECT_EQ(choose_backend("cuda"), backend::cuda);
}

TEST(ChooseBackend, UnknownNameThrowsInvalidArgument) {
  EXPECT_THROW(choose_backend("bogus"), invalid_argument);
  EXPECT_THROW(choose_backend(""), invalid_argument);
  EXPECT_THROW(choose_backend("CPU"), invalid_argument);
}

TEST(ChooseBackend, Names) {
  EXPECT_EQ(to_string(backend::cpu), "cpu");
  EXPECT_EQ(to_string(backend::cuda), "cuda");
}

// ------------------------------------------------------------------ without a device
TEST(DeviceBuffer, EmptyBuffersNeedNoDevice) {
  device_buffer a;
  EXPECT_EQ(a.size(), 0u);
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.data(), nullptr);
  device_buffer b(0);
  EXPECT_TRUE(b.empty());
  b.copy_from_host(nullptr, 0);
  b.copy_to_host(nullptr, 0);
  device_buffer c(std::move(b));
  EXPECT_TRUE(c.empty());
}

TEST(DeviceBuffer, WithoutDeviceAllocationThrows) {
  if (have_device()) GTEST_SKIP() << "a CUDA device is present";
  EXPECT_THROW(device_buffer(1), cuda_error);
  EXPECT_THROW(cuda_stream(), cuda_error);
  device_buffer b;
  EXPECT_THROW(b.resize(16), cuda_error);
  if (!cuda_compiled()) {
    try {
      device_buffer d(64);
      FAIL() << "expected cuda_error";
    } catch (const cuda_error& e) {
      EXPECT_STREQ(e.what(), "CUDA support not compiled into this build");
    }
    EXPECT_THROW(cuda_stream_view().synchronize(), cuda_error);
  }
}

TEST(PinnedHostBuffer, UsableWithOrWithoutDevice) {
  for (size_t bytes : {size_t(0), size_t(1), size_t(4096), size_t(1) << 20}) {
    pinned_host_buffer p(bytes);
    EXPECT_EQ(p.size(), bytes);
    if (bytes == 0) {
      EXPECT_EQ(p.data(), nullptr);
      continue;
    }
    ASSERT_NE(p.data(), nullptr);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p.data()) % 256, 0u);
    EXPECT_EQ(p.pinned(), have_device());
    auto* bytes_ptr = p.data<unsigned char>();
    for (size_t i = 0; i < bytes; ++i) bytes_ptr[i] = static_cast<unsigned char>(i * 7);
    pinned_host_buffer moved(std::move(p));
    EXPECT_EQ(p.data(), nullptr);  // NOLINT(bugprone-use-after-move): the moved-from state is specified
    EXPECT_EQ(p.size(), 0u);
    ASSERT_EQ(moved.size(), bytes);
    EXPECT_EQ(moved.data<unsigned char>()[bytes - 1], static_cast<unsigned char>((bytes - 1) * 7));
    pinned_host_buffer assigned(16);
    assigned = std::move(moved);
    EXPECT_EQ(assigned.size(), bytes);
  }
}

// ------------------------------------------------------------------ on a GPU
TEST(DeviceBufferCuda, RoundTripThroughDevice) {
  SKIP_WITHOUT_CUDA_DEVICE();
  for (size_t n : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(1) << 20}) {
    std::vector<int32_t> in(n), out(n, -1);
    std::iota(in.begin(), in.end(), 17);
    device_buffer d(n * sizeof(int32_t));
    EXPECT_EQ(d.size(), n * sizeof(int32_t));
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(d.data()) % 256, 0u);
    d.copy_from_host(in.data(), d.size());
    d.copy_to_host(out.data(), d.size());
    EXPECT_EQ(in, out) << "n=" << n;
  }
}

TEST(DeviceBufferCuda, CopyLargerThanBufferIsRejected) {
  SKIP_WITHOUT_CUDA_DEVICE();
  device_buffer d(8);
  std::vector<char> host(16);
  EXPECT_THROW(d.copy_from_host(host.data(), 16), invalid_argument);
  EXPECT_THROW(d.copy_to_host(host.data(), 16), invalid_argument);
}

TEST(DeviceBufferCuda, ResizeKeepsContents) {
  SKIP_WITHOUT_CUDA_DEVICE();
  std::vector<float> in{1.f, 2.f, 3.f, 4.f};
  device_buffer d(in.size() * sizeof(float));
  d.copy_from_host(in.data(), d.size());
  d.resize(1000 * sizeof(float));  // grows: reallocates and copies
  EXPECT_EQ(d.size(), 1000 * sizeof(float));
  EXPECT_GE(d.capacity(), d.size());
  std::vector<float> out(4);
  d.copy_to_host(out.data(), 4 * sizeof(float));
  EXPECT_EQ(in, out);
  const void* before = d.data();
  d.resize(2 * sizeof(float));  // shrinks: keeps the allocation
  EXPECT_EQ(d.data(), before);
  EXPECT_EQ(d.size(), 2 * sizeof(float));
  d.resize(0);
  EXPECT_TRUE(d.empty());
}

TEST(DeviceBufferCuda, MoveTransfersOwnership) {
  SKIP_WITHOUT_CUDA_DEVICE();
  device_buffer a(1024);
  void* p = a.data();
  device_buffer b(std::move(a));
  EXPECT_EQ(b.data(), p);
  EXPECT_EQ(b.size(), 1024u);
  EXPECT_EQ(a.data(), nullptr);  // NOLINT(bugprone-use-after-move)
  EXPECT_EQ(a.size(), 0u);
  device_buffer c(16);
  c = std::move(b);  // frees c's old allocation
  EXPECT_EQ(c.data(), p);
}

TEST(DeviceBufferCuda, AsyncCopiesOnAStream) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const size_t n = 1 << 20;
  cuda_stream stream;
  ASSERT_NE(stream.handle(), nullptr);
  pinned_host_buffer in(n * sizeof(float)), out(n * sizeof(float));
  EXPECT_TRUE(in.pinned());
  for (size_t i = 0; i < n; ++i) in.data<float>()[i] = float(i) * 0.5f;
  device_buffer d(n * sizeof(float));
  d.copy_from_host(in.data(), d.size(), stream);
  d.copy_to_host(out.data(), d.size(), stream);
  stream.synchronize();
  for (size_t i = 0; i < n; i += 4099) ASSERT_EQ(out.data<float>()[i], float(i) * 0.5f) << i;
  EXPECT_EQ(out.data<float>()[n - 1], float(n - 1) * 0.5f);
  cuda_stream other(std::move(stream));
  EXPECT_EQ(stream.handle(), nullptr);  // NOLINT(bugprone-use-after-move)
  other.synchronize();
}

TEST(DeviceInfoCuda, DevicesAreDescribed) {
  SKIP_WITHOUT_CUDA_DEVICE();
  const auto devices = cuda_devices();
  ASSERT_EQ(int(devices.size()), cuda_device_count());
  EXPECT_GT(devices[0].multiprocessors, 0);
  EXPECT_GT(devices[0].global_memory_bytes, 0u);
  EXPECT_GE(devices[0].major, 5);
}

}  // namespace
}  // namespace specmill
