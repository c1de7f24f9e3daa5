// scale_copy against a float64 reference on both backends. Tolerance: exact. A float times a
// float is exact in double (24 + 24 significand bits < 53), so rounding the double product to
// float gives the correctly rounded product, which is what IEEE float multiply on either backend
// must return (no fast-math on the kernel files, denormals kept).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/memory/device_buffer.hpp"
#include "kernels/launch/for_each.hpp"
#include "kernels/scale_copy.hpp"

namespace specmill {
// gtest prints parameters with this (found by ADL) instead of raw bytes.
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

constexpr float nan_f = std::numeric_limits<float>::quiet_NaN();
constexpr float inf_f = std::numeric_limits<float>::infinity();

// Finite values across many binades, with NaNs, infinities, zeros of both signs and denormals
// sprinkled in.
std::vector<float> make_input(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mantissa(-2.f, 2.f);
  std::uniform_int_distribution<int> exponent(-30, 30);
  std::vector<float> x(n);
  for (size_t i = 0; i < n; ++i) x[i] = std::ldexp(mantissa(rng), exponent(rng));
  const float specials[] = {nan_f, -nan_f, inf_f, -inf_f, 0.f, -0.f,
                            std::numeric_limits<float>::denorm_min(), 1e-40f};
  for (size_t i = 0; i < n; i += 7) x[i] = specials[(i / 7) % std::size(specials)];
  return x;
}

float reference(float a, float x) { return static_cast<float>(double(a) * double(x)); }

// Equal as IEEE values with NaN == NaN (payload and sign of a NaN are not specified).
bool same(float expected, float got) {
  if (std::isnan(expected)) return std::isnan(got);
  uint32_t e, g;
  std::memcpy(&e, &expected, 4);
  std::memcpy(&g, &got, 4);
  return e == g;  // also tells +0 from -0
}

void expect_matches_reference(backend b, size_t n, float a, bool in_place) {
  const std::vector<float> in = make_input(n, unsigned(n) + 1);
  std::vector<float> out(n, 12345.f);
  if (in_place) {
    out = in;
    scale_copy(b, out.data(), out.data(), n, a);
  } else {
    scale_copy(b, in.data(), out.data(), n, a);
  }
  size_t bad = 0;
  for (size_t i = 0; i < n; ++i) {
    const float want = reference(a, in[i]);
    if (!same(want, out[i]) && bad++ < 5)
      ADD_FAILURE() << "n=" << n << " a=" << a << " i=" << i << " x=" << in[i] << " want " << want
                    << " got " << out[i];
  }
  EXPECT_EQ(bad, 0u) << "mismatches out of " << n;
}

class ScaleCopy : public ::testing::TestWithParam<std::tuple<backend, size_t, float>> {
 protected:
  void SetUp() override {
    if (std::get<0>(GetParam()) == backend::cuda && cuda_device_count() == 0)
      GTEST_SKIP() << "no CUDA device";
  }
};

TEST_P(ScaleCopy, MatchesFloat64Reference) {
  const auto [b, n, a] = GetParam();
  expect_matches_reference(b, n, a, false);
}

TEST_P(ScaleCopy, InPlace) {
  const auto [b, n, a] = GetParam();
  expect_matches_reference(b, n, a, true);
}

const auto sizes = ::testing::Values(size_t(0), size_t(1), size_t(31), size_t(32), size_t(33),
                                     size_t(1000003), size_t(1) << 20);
const auto factors = ::testing::Values(2.5f, 0.f, -1.f, nan_f);

std::string case_name(const ::testing::TestParamInfo<ScaleCopy::ParamType>& info) {
  const float a = std::get<2>(info.param);
  std::string as = std::isnan(a) ? "nan" : a == 0.f ? "zero" : a < 0 ? "minus1" : "2p5";
  // Appends rather than "n" + std::string: GCC 12 warns falsely (-Wrestrict) on the latter.
  std::string name = "n";
  name += std::to_string(std::get<1>(info.param));
  name += "_a";
  name += as;
  return name;
}

INSTANTIATE_TEST_SUITE_P(Cpu, ScaleCopy, ::testing::Combine(::testing::Values(backend::cpu), sizes, factors),
                         case_name);
INSTANTIATE_TEST_SUITE_P(Cuda, ScaleCopy,
                         ::testing::Combine(::testing::Values(backend::cuda), sizes, factors), case_name);

TEST(ScaleCopyOp, NanSafe) {
  EXPECT_TRUE(std::isnan(scale_op{0.f}(nan_f)));  // a masked pixel stays masked under a zero scale
  EXPECT_TRUE(std::isnan(scale_op{nan_f}(1.f)));
  EXPECT_TRUE(std::isnan(scale_op{0.f}(inf_f)));
  EXPECT_EQ(scale_op{-2.f}(3.f), -6.f);
}

TEST(ScaleCopyWithoutDevice, DevicePathThrows) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a CUDA device is present";
  std::vector<float> in(64, 1.f), out(64);
  EXPECT_THROW(scale_copy(backend::cuda, in.data(), out.data(), in.size(), 2.f), cuda_error);
  EXPECT_THROW(scale_copy_device(in.data(), out.data(), in.size(), 2.f), cuda_error);
  if (!cuda_compiled()) {
    // The build has no CUDA at all: the cuda path refuses even empty work, so a misconfigured
    // deployment fails on its first call rather than on its first non-empty one.
    EXPECT_THROW(scale_copy(backend::cuda, nullptr, nullptr, 0, 2.f), cuda_error);
  }
}

TEST(ScaleCopyCuda, DevicePointersOnAStreamAndMisalignedTails) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  const size_t n = (1 << 16) + 3;
  const std::vector<float> in = make_input(n, 99);
  device_buffer d_in(n * sizeof(float)), d_out(n * sizeof(float));
  d_in.copy_from_host(in.data(), d_in.size());
  cuda_stream stream;
  // Offset by one float: the arrays are then only 4-byte aligned, exercising the scalar kernel.
  for (size_t offset : {size_t(0), size_t(1)}) {
    std::vector<float> out(n - offset, 7.f);
    scale_copy_device(d_in.data<float>() + offset, d_out.data<float>(), n - offset, 3.f, stream);
    stream.synchronize();
    d_out.copy_to_host(out.data(), out.size() * sizeof(float));
    for (size_t i = 0; i < out.size(); ++i)
      ASSERT_TRUE(same(reference(3.f, in[i + offset]), out[i])) << "offset " << offset << " i " << i;
  }
}

// The float4 functor's host form: groups of four, in place or not, the same bits as the scalar
// functor (the device form is the same arithmetic on one 16-byte load; checked below on a GPU).
TEST(ScaleCopy4, HostFormMatchesTheScalarOp) {
  for (size_t groups : {size_t(0), size_t(1), size_t(8), size_t(1000)}) {
    const std::vector<float> in = make_input(4 * groups, unsigned(groups) + 5);
    std::vector<float> out(in.size(), 7.f), same_place = in;
    for_each_index_host(groups, detail::scale_copy4_index_op{in.data(), out.data(), scale_op{-1.5f}});
    for_each_index_host(groups, detail::scale_copy4_index_op{same_place.data(), same_place.data(), scale_op{-1.5f}});
    for (size_t i = 0; i < in.size(); ++i) {
      ASSERT_TRUE(same(reference(-1.5f, in[i]), out[i])) << groups << " " << i;
      ASSERT_TRUE(same(reference(-1.5f, in[i]), same_place[i])) << groups << " " << i;
    }
  }
}

// scale_copy_device on aligned arrays (the float4 kernel for n / 4 * 4 elements, the scalar one
// for the tail), in place and not, at 31, 32, 33 elements and a large odd count.
TEST(ScaleCopyCuda, Float4KernelWithScalarTailInPlaceAndNot) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  for (size_t n : {size_t(1), size_t(3), size_t(31), size_t(32), size_t(33), size_t((1 << 20) + 5)}) {
    const std::vector<float> in = make_input(n, unsigned(n) + 17);
    for (bool in_place : {false, true}) {
      device_buffer d_in(n * sizeof(float)), d_out(n * sizeof(float));
      d_in.copy_from_host(in.data(), d_in.size());
      float* dst = in_place ? d_in.data<float>() : d_out.data<float>();
      scale_copy_device(d_in.data<float>(), dst, n, 0.75f);
      std::vector<float> out(n, 7.f);
      (in_place ? d_in : d_out).copy_to_host(out.data(), n * sizeof(float));
      for (size_t i = 0; i < n; ++i)
        ASSERT_TRUE(same(reference(0.75f, in[i]), out[i])) << "n " << n << " in place " << in_place << " i " << i;
    }
  }
}

}  // namespace
}  // namespace specmill
