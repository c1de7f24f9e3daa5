#pragma once
// The options of `specmill stack`, shared with `specmill batch stack` (api/cli/cmd_batch.cpp),
// which takes the same ones.
#include <CLI/CLI.hpp>

#include <string>

#include "engine/stack/stack.hpp"

namespace specmill::cli {

struct stack_args {
  stack_options opts;
  std::string ids = "-";
  std::string method = "weighted_mean";
  std::string grid, normalize, redshifts, format;
  std::string mask_bits = "default";
  std::string device = "auto";
  double memory_mib = 1024;
};

// Adds the options to `sub`, bound to `a` (which must outlive the parse).
void add_stack_options(CLI::App& sub, stack_args& a);
// The parsed options checked and turned into a.opts (reads --redshifts; chooses the backend).
void finish_stack_args(stack_args& a);
// The closing log lines of a stack: not-found IDs, what was stacked, where it went.
void report_stack(const stack_args& a, const stack_summary& s);

}  // namespace specmill::cli
