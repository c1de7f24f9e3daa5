#pragma once
// The options of `specmill photometry`, shared with `specmill batch photometry`
// (api/cli/cmd_batch.cpp), which takes the same ones.
#include <CLI/CLI.hpp>

#include <string>

#include "engine/photometry/photometry.hpp"

namespace specmill::cli {

struct photometry_args {
  photometry_options opts;
  std::string ids = "-";
  std::string device = "auto";
};

void add_photometry_options(CLI::App& sub, photometry_args& a);
// Checks what the parse cannot and chooses the backend.
void finish_photometry_args(photometry_args& a);
// The closing log lines: not-found IDs, rows written, flagged bands.
void report_photometry(const photometry_args& a, const photometry_summary& s);

}  // namespace specmill::cli
