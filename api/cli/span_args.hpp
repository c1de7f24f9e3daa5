#pragma once
// The options and the JSON of `specmill span`, shared with `specmill batch span`
// (api/cli/cmd_batch.cpp), which takes the same options and prints the same line.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "core/default_context.hpp"
#include "engine/get/get.hpp"

namespace specmill::cli {

struct span_args {
  std::filesystem::path store;
  std::string context{specmill::default_context};
  std::string ids = "-";
};

void add_span_options(CLI::App& sub, span_args& a);
// The listSpan JSON object of `r`, one line on standard output.
void print_span(const list_span_result& r);

}  // namespace specmill::cli
