// The specmill command-line front: global logging options, then one subcommand.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <vector>

#include "api/cli/command.hpp"
#include "core/error.hpp"
#include "engine/store/build_info.hpp"

namespace {
// The message alone goes to the user; where a SPECMILL_ macro threw is for debugging (-v).
void report(const std::exception& e) {
  spdlog::error("{}", e.what());
  if (const auto* located = dynamic_cast<const specmill::error*>(&e); located && !located->where().empty())
    spdlog::debug("thrown at {}", located->where());
}
}  // namespace

int main(int argc, char** argv) {
  using namespace specmill;
  CLI::App app{"specmill: serve and process SDSS spectra in bulk (CUDA and CPU)"};
  app.require_subcommand(1);
  bool verbose = false, quiet = false;
  app.add_flag("-v,--verbose", verbose, "Log debug detail");
  app.add_flag("-q,--quiet", quiet, "Log errors only (no progress)");
  app.set_version_flag("--version", [] { return build_info(); });

  auto& commands = cli::commands();
  std::sort(commands.begin(), commands.end(), [](auto& a, auto& b) { return a.name < b.name; });
  for (auto& c : commands) c.setup(*app.add_subcommand(c.name, c.description));

  // Logging goes to stderr so that stdout stays clean for data (`query`, `get --out -`).
  auto logger = spdlog::stderr_color_mt("specmill");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%^%l%$: %v");
  app.parse_complete_callback([&] {
    spdlog::set_level(quiet ? spdlog::level::err : verbose ? spdlog::level::debug : spdlog::level::info);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::RuntimeError& e) {  // a command's own non-zero exit, already reported
    return e.get_exit_code();
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? cli::exit_ok : cli::exit_usage;
  } catch (const invalid_argument& e) {
    report(e);
    return cli::exit_usage;
  } catch (const not_found& e) {
    report(e);
    return cli::exit_not_found;
  } catch (const std::exception& e) {
    report(e);
    return cli::exit_failure;
  }
  return cli::exit_ok;
}
