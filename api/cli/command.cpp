#include "api/cli/command.hpp"

namespace specmill::cli {

// A function-local static: the cmd_*.cpp initialisers that fill it run in any order.
std::vector<command>& commands() {
  static std::vector<command> registry;
  return registry;
}

bool add_command(command c) {
  commands().push_back(std::move(c));
  return true;
}

}  // namespace specmill::cli
