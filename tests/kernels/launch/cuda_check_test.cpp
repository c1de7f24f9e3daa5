// SPECMILL_CUDA_TRY and SPECMILL_CUDA_CHECK_LAUNCH (kernels/launch/cuda_check.hpp): a failed
// runtime call becomes a cuda_error carrying the runtime's code (cuda_status) and the call site
// in where(), not in what(). The checks of a returned status need no device; the launch check
// does (SKIPPED without one).
#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "kernels/launch/device.hpp"

#ifdef SPECMILL_WITH_CUDA
#include "kernels/launch/cuda_check.hpp"

namespace specmill {
namespace {

TEST(CudaCheck, TryThrowsCudaErrorCarryingTheStatus) {
  const int line = __LINE__ + 2;
  try {
    SPECMILL_CUDA_TRY(cudaErrorInvalidValue);
    FAIL() << "did not throw";
  } catch (const cuda_error& e) {
    EXPECT_EQ(cuda_status(e), cudaErrorInvalidValue);
    EXPECT_EQ(e.code(), int(cudaErrorInvalidValue));
    const std::string what = e.what();
    EXPECT_NE(what.find("cudaErrorInvalidValue failed: cudaErrorInvalidValue"), std::string::npos) << what;
    EXPECT_EQ(what.find(".cpp"), std::string::npos) << what;
    EXPECT_EQ(e.where(), "cuda_check_test.cpp:" + std::to_string(line));
  }
}

TEST(CudaCheck, SuccessDoesNotThrow) { EXPECT_NO_THROW(SPECMILL_CUDA_TRY(cudaSuccess)); }

TEST(CudaCheckCuda, CheckLaunchPassesWithNothingPending) {
  if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  EXPECT_NO_THROW(SPECMILL_CUDA_CHECK_LAUNCH());
}

}  // namespace
}  // namespace specmill
#else
TEST(CudaCheck, NotCompiledIn) { GTEST_SKIP() << "CUDA support not compiled into this build"; }
#endif
