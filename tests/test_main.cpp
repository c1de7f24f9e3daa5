#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  // Tests exercise error paths on purpose; keep their warnings out of the CTest log.
  spdlog::set_level(spdlog::level::err);
  return RUN_ALL_TESTS();
}
