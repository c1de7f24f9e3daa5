#include <spdlog/spdlog.h>

#include <cstdlib>
#include <fstream>

#include "api/cli/command.hpp"
#include "api/cli/stack_args.hpp"

namespace {

// The process's peak resident set since exec (VmHWM, kB); 0 where /proc is not there. Not
// getrusage: its ru_maxrss also counts the parent's pages a fork carried in before the exec.
long peak_resident_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);
  return 0;
}

void run(specmill::cli::stack_args& a) {
  using namespace specmill;
  cli::finish_stack_args(a);
  const auto s = run_stack(a.opts, load_id_list(a.ids));
  cli::report_stack(a, s);
  spdlog::debug("stack: peak resident memory {} KiB", peak_resident_kib());
}

const bool registered = specmill::cli::add_command(
    {"stack", "Stack a list of spectra into one composite (weighted mean, mean, exact median, sigma-clipped mean)",
     [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::stack_args>();
       specmill::cli::add_stack_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
