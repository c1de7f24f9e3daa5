#pragma once
// The compute backend is chosen once, at start-up, and passed down (STYLE.md rule 2).
#include <string>
#include <string_view>

namespace specmill {

enum class backend { cpu, cuda };

// "cpu", "cuda" or "auto" (cuda when this build has CUDA and a device is present).
// Throws invalid_argument for other text, cuda_error for "cuda" without a usable device.
backend choose_backend(std::string_view request);
std::string_view to_string(backend b);

}  // namespace specmill
