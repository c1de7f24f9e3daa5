#pragma once
// What every fuzz target shares: a specmill::error is the documented answer to bad input
// (the REST front maps its types to 4xx), so it is caught; anything else that escapes (a
// std::out_of_range, a nlohmann::json exception, std::bad_alloc) is a bug and reaches libFuzzer
// as an uncaught exception, which it reports as a crash with the input.
#include <spdlog/spdlog.h>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/error.hpp"

namespace specmill::fuzz {

inline std::string_view as_text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Warnings about bad input are expected by the thousand; keep the fuzzer's output readable.
inline void quiet_logging() {
  static const bool once = [] {
    spdlog::set_level(spdlog::level::off);
    return true;
  }();
  (void)once;
}

template <class F>
void expect_errors(F&& f) {
  try {
    f();
  } catch (const specmill::error&) {
  }
}

}  // namespace specmill::fuzz
