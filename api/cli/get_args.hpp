#pragma once
// The options of `specmill get`, shared with `specmill batch get` (api/cli/cmd_batch.cpp), which
// takes the same ones.
#include <CLI/CLI.hpp>

#include <string>

#include "engine/get/get.hpp"

namespace specmill::cli {

struct get_args {
  get_options opts;
  std::string ids = "-";
  std::string format;
  std::string columns;  // default: all (stored form), flux,ivar,and_mask (dense forms)
  std::string cutout;
  std::string resample;
  std::string redshifts;
  std::string mask_bits = "0";
  std::string device = "auto";
  std::string meta = "auto";
  std::string camera;  // DESI: b, r or z
};

void add_get_options(CLI::App& sub, get_args& a);
// The parsed options checked and turned into a.opts (reads --redshifts; chooses the backend).
void finish_get_args(get_args& a);
// The closing log lines: not-found IDs, what was written where.
void report_get(const get_args& a, const get_summary& s);

}  // namespace specmill::cli
