#pragma once
// Subcommands of the `specmill` binary register themselves: each api/cmd_<name>.cpp holds one
//   static const bool registered = specmill::cli::add_command({"name", "help", setup});
// where setup adds the subcommand's options and its callback. main() builds the app from the
// registry, so a new command is one new file.
#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace specmill::cli {

struct command {
  std::string name;
  std::string description;
  std::function<void(CLI::App& sub)> setup;  // add options; set sub.callback(...)
};

bool add_command(command c);
// Every registered command, in registration order (api/cli/command.cpp).
std::vector<command>& commands();

// Exit codes shared by every command (documented in docs/cli.md).
inline constexpr int exit_ok = 0;
inline constexpr int exit_failure = 1;       // data/io failures, nothing done
inline constexpr int exit_usage = 2;         // invalid arguments
inline constexpr int exit_not_found = 3;     // store, file or every requested ID unknown

}  // namespace specmill::cli
