#include "core/error.hpp"

#include <cstring>

namespace specmill {
namespace {
// The base name of __FILE__: full build paths are noise in a log and differ per checkout.
const char* base_name(const char* file) noexcept {
  if (!file) return nullptr;
  const char* slash = std::strrchr(file, '/');
  return slash ? slash + 1 : file;
}
}  // namespace

error::error(const std::string& what, source_location where)
    : std::runtime_error(what), where_{base_name(where.file), where.line} {}

std::string error::where() const {
  if (!where_.file) return {};
  std::string s = where_.file;
  s += ':';
  s += std::to_string(where_.line);
  return s;
}

std::string log_text(const std::exception& e) {
  std::string s = e.what();
  if (const auto* located = dynamic_cast<const error*>(&e)) {
    // Built with += : GCC 12 warns falsely (-Wrestrict) on "literal" + std::string chains.
    if (const std::string w = located->where(); !w.empty()) {
      s += " [";
      s += w;
      s += ']';
    }
  }
  return s;
}

}  // namespace specmill
