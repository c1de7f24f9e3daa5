#pragma once
// The options of `specmill ingest`, shared with `specmill batch ingest` (api/cli/cmd_batch.cpp),
// which takes the same ones.
#include <CLI/CLI.hpp>

#include <string>

#include "engine/ingest/ingest.hpp"

namespace specmill::cli {

struct ingest_args {
  ingest_options opts;
  std::string catalog;
  bool strict = false;
  bool check_stale = false;
};

void add_ingest_options(CLI::App& sub, ingest_args& a);
// Checks what the parse cannot (--check-stale takes no inputs) and fills opts from the flags.
void finish_ingest_args(ingest_args& a);
// The summary lines on stdout; throws CLI::RuntimeError (exit 1) when nothing usable was
// ingested, or any file failed under --strict.
void report_ingest(const ingest_args& a, const ingest_summary& s);
// --check-stale: one line per file that is not unchanged, then the counts. Changes nothing.
void report_stale(const ingest_args& a);

}  // namespace specmill::cli
