#include "engine/store/catalog_setting.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "io/catalog/pg.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {
const char* setting_file = "catalog.url";
}

std::optional<std::string> catalog_url(const fs::path& root) {
  std::ifstream in(root / setting_file);
  if (!in) return std::nullopt;
  std::string line;
  std::getline(in, line);
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty() || line == "sqlite") return std::nullopt;
  return line;
}

void set_catalog_url(const fs::path& root, const std::string& url) {
  if (!fs::exists(root / "catalog.sqlite")) throw not_found("no store at " + root.string());
  if (url == "sqlite") {
    std::error_code ec;
    fs::remove(root / setting_file, ec);
    if (ec) throw io_error("cannot remove " + (root / setting_file).string() + ": " + ec.message());
    return;
  }
  if (!is_postgres_url(url) || url.find('\n') != std::string::npos)
    throw invalid_argument("catalog: expected `sqlite` or a PostgreSQL URL (postgresql://...), not '" + url + "'");
  const fs::path tmp = root / (std::string(setting_file) + ".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw io_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
  const std::string text = url + "\n";
  const bool ok = ::write(fd, text.data(), text.size()) == ssize_t(text.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok) throw io_error("cannot write " + tmp.string());
  fs::rename(tmp, root / setting_file);
}

}  // namespace specmill
