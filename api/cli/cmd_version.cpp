#include <iostream>

#include "api/cli/command.hpp"
#include "engine/store/build_info.hpp"

namespace {
const bool registered = specmill::cli::add_command(
    {"version", "Print the version, CUDA devices and library versions",
     [](CLI::App& sub) { sub.callback([] { std::cout << specmill::build_info(); }); }});
}  // namespace
