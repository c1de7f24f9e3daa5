#include "core/error.hpp"

#include <filesystem>

namespace specmill::detail {

[[noreturn]] void throw_at(const char* file, int line, const std::string& msg, int kind) {
  // Only the file's base name: users read these messages; full build paths are noise.
  // Built with += : GCC 12 warns falsely (-Wrestrict) on "literal" + std::string chains.
  std::string where = " [";
  where += std::filesystem::path(file).filename().string();
  where += ':';
  where += std::to_string(line);
  where += ']';
  switch (kind) {
    case 0: throw invalid_argument(msg + where);
    case 1: throw data_error(msg + where);
    case 2: throw io_error(msg + where);
    default: throw not_found(msg + where);
  }
}

}  // namespace specmill::detail
