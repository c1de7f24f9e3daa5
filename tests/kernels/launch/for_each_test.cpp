// The launch shell (kernels/launch/for_each.hpp): every index visited exactly once on the host
// whatever n and grain; a real op (scale_copy_index_op) through for_each_index on both backends
// against a float64 reference; the one "not compiled" error without CUDA. Tests on backend::cuda
// report SKIPPED without a GPU.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/launch/for_each.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/scale_copy.hpp"

namespace specmill {
namespace {

// Counts visits per index: a host-only functor, so it goes through for_each_index_host (a
// for_each_index call would need a .cu instantiation of it).
struct count_visits {
  std::atomic<int>* hits;
  void operator()(size_t i) const { hits[i].fetch_add(1, std::memory_order_relaxed); }
};

class ForEachHost : public ::testing::TestWithParam<std::tuple<size_t, size_t>> {};

TEST_P(ForEachHost, VisitsEveryIndexOnce) {
  const auto [n, grain] = GetParam();
  std::unique_ptr<std::atomic<int>[]> hits(new std::atomic<int>[n + 1]);
  for (size_t i = 0; i <= n; ++i) hits[i] = 0;
  for_each_index_host(n, count_visits{hits.get()}, grain);
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i)
    if (hits[i] != 1 && bad++ < 5) ADD_FAILURE() << "index " << i << " visited " << hits[i] << " times";
  EXPECT_EQ(hits[n], 0) << "an index past n was visited";
}

INSTANTIATE_TEST_SUITE_P(Sizes, ForEachHost,
                         ::testing::Combine(::testing::Values(size_t(0), size_t(1), size_t(31), size_t(32), size_t(33),
                                                              size_t(100'003)),
                                            ::testing::Values(size_t(0), size_t(1), size_t(32), size_t(16384))),
                         [](const auto& info) {
                           std::string name = "n";
                           name += std::to_string(std::get<0>(info.param));
                           name += "_grain";
                           name += std::to_string(std::get<1>(info.param));
                           return name;
                         });

// out[i] = a * in[i] through for_each_index on backend b (device buffers on cuda), against the
// float64 product rounded once to float: exact, since the product of two floats fits a double.
void expect_scaled(backend b, size_t n, float a) {
  std::vector<float> in(n), out(n, -7.f);
  for (size_t i = 0; i < n; ++i) in[i] = float(std::sin(double(i) * 0.37) * 1e3) + (i % 7 == 3 ? -0.f : 0.f);
  if (n > 5) in[5] = std::numeric_limits<float>::quiet_NaN();
  if (b == backend::cpu) {
    for_each_index(b, n, detail::scale_copy_index_op{in.data(), out.data(), scale_op{a}});
  } else {
    device_buffer d_in(n * 4), d_out(n * 4);
    d_in.copy_from_host(in.data(), n * 4);
    cuda_stream stream;
    for_each_index(b, n, detail::scale_copy_index_op{d_in.data<float>(), d_out.data<float>(), scale_op{a}}, stream);
    stream.synchronize();
    d_out.copy_to_host(out.data(), n * 4);
  }
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float want = float(double(a) * double(in[i]));
    const bool same = std::isnan(want) ? std::isnan(out[i]) : want == out[i];
    if (!same && bad++ < 5) ADD_FAILURE() << "i=" << i << " want " << want << " got " << out[i];
  }
  EXPECT_EQ(bad, 0u);
}

class ForEachBackend : public ::testing::TestWithParam<std::tuple<backend, size_t>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(ForEachBackend, ScaleOpMatchesFloat64Reference) {
  const auto [b, n] = GetParam();
  expect_scaled(b, n, -2.5f);
}

const auto shell_sizes = ::testing::Values(size_t(0), size_t(1), size_t(31), size_t(32), size_t(33), size_t(1) << 20,
                                           (size_t(1) << 22) + 3);
std::string shell_name(const ::testing::TestParamInfo<ForEachBackend::ParamType>& info) {
  std::string name = "n";
  name += std::to_string(std::get<1>(info.param));
  return name;
}
INSTANTIATE_TEST_SUITE_P(Cpu, ForEachBackend, ::testing::Combine(::testing::Values(backend::cpu), shell_sizes),
                         shell_name);
INSTANTIATE_TEST_SUITE_P(Cuda, ForEachBackend, ::testing::Combine(::testing::Values(backend::cuda), shell_sizes),
                         shell_name);

TEST(ForEachWithoutDevice, CudaBackendThrows) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  std::vector<float> v(64, 1.f);
  const detail::scale_copy_index_op op{v.data(), v.data(), scale_op{2.f}};
  if (!cuda_compiled()) {
    // The one place: whatever n, the message names the build.
    for (size_t n : {size_t(0), size_t(64)}) {
      try {
        for_each_index(backend::cuda, n, op);
        ADD_FAILURE() << "no exception for n=" << n;
      } catch (const cuda_error& e) {
        EXPECT_STREQ(e.what(), "CUDA support not compiled into this build");
      }
    }
  } else {
    EXPECT_THROW(for_each_index(backend::cuda, v.size(), op), cuda_error);  // no device to launch on
  }
  EXPECT_EQ(v[0], 1.f);  // nothing ran on the host instead
}

TEST(ThrowCudaNotCompiled, Message) {
  try {
    throw_cuda_not_compiled();
  } catch (const cuda_error& e) {
    EXPECT_STREQ(e.what(), "CUDA support not compiled into this build");
  }
}

}  // namespace
}  // namespace specmill
