// The web page at /ui: static files from the page's folder (web/ in the source tree, copied with
// the vendored npm files into <build>/share/specmill/web by CMake; config `ui_dir` overrides).
// The page talks only to the public REST routes, so this file serves bytes and nothing else:
// no templating, no server-side state. Paths are checked segment by segment before anything is
// opened, so /ui/../.. (raw or %2e-encoded) never leaves the folder.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "api/rest/rest_server.hpp"

namespace specmill::rest {
namespace {

namespace fs = std::filesystem;

// Files the page ships are small; a bigger one is an operator's mistake, not something to stream.
constexpr uintmax_t max_file_bytes = uintmax_t(32) << 20;

std::string content_type_of(const fs::path& p) {
  static const std::map<std::string, std::string> types{
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},           {".map", "application/json"},
      {".svg", "image/svg+xml"},               {".png", "image/png"},
      {".ico", "image/x-icon"},                {".txt", "text/plain; charset=utf-8"},
      {".woff2", "font/woff2"}};
  const auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

// The page's path below /ui ("" for /ui itself), or nullopt for a path that tries to leave the
// folder or name a hidden file: empty, ".", ".." or dot-first segments, backslashes, NULs.
std::optional<std::string> relative_path(const std::string& request_path) {
  std::string rest = request_path.rfind("/spec", 0) == 0 ? request_path.substr(5) : request_path;
  rest = rest.substr(3);  // "/ui"
  if (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
  if (rest.find('\\') != std::string::npos || rest.find('\0') != std::string::npos) return std::nullopt;
  std::istringstream segs(rest);
  std::string seg;
  while (std::getline(segs, seg, '/'))
    if (seg.empty() || seg.front() == '.') return std::nullopt;
  return rest;
}

// Deep links (/ui/spectrum/<id>, /ui/stack, ...) are views of the one page: a path with no file
// extension that is not a file gets index.html, which reads the URL itself.
bool is_view_path(const std::string& rel) { return fs::path(rel).extension().empty(); }

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw not_found("cannot read " + p.filename().string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A weak validator from size and modification time: enough for a browser's revalidation.
std::string etag_of(const fs::path& p) {
  const auto t = fs::last_write_time(p).time_since_epoch().count();
  return fmt::format("W/\"{:x}-{:x}\"", fs::file_size(p), static_cast<uint64_t>(t));
}

fs::path default_ui_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path().parent_path() / "share" / "specmill" / "web";
}

}  // namespace

void add_ui_routes(service& svc) {
  svc.route_tree("/ui", [](call& c) {
    const fs::path root = c.svc.config().ui_dir.empty() ? default_ui_dir() : c.svc.config().ui_dir;
    std::error_code ec;
    if (root.empty() || !fs::is_regular_file(root / "index.html", ec))
      throw not_found("the web page is not installed (build the specmill target, or set ui_dir in the config)");
    const auto rel = relative_path(c.req.path);
    if (!rel) throw invalid_argument("not a path inside the page");
    fs::path file = root / *rel;
    if (rel->empty() || (is_view_path(*rel) && !fs::is_regular_file(file, ec))) file = root / "index.html";
    if (!fs::is_regular_file(file, ec)) throw not_found("no such file in the page: " + *rel);
    // Symlinks inside the folder must not lead out of it either.
    const fs::path real = fs::canonical(file, ec), real_root = fs::canonical(root, ec);
    const auto [r, f] = std::mismatch(real_root.begin(), real_root.end(), real.begin(), real.end());
    if (ec || r != real_root.end()) throw not_found("no such file in the page: " + *rel);
    if (fs::file_size(real) > max_file_bytes) throw too_large("file too large to serve");

    const std::string etag = etag_of(real);
    c.res.set_header("ETag", etag);
    // The page's own files are revalidated on every load (a 304 by ETag costs little), so a new
    // build never runs old scripts against a new index.html; the vendored npm files change only
    // with package-lock.json and may be kept for a day.
    const bool vendored = rel->rfind("vendor/", 0) == 0;
    c.res.set_header("Cache-Control", vendored ? "public, max-age=86400" : "no-cache");
    c.res.set_header("X-Content-Type-Options", "nosniff");
    if (c.req.get_header_value("If-None-Match") == etag) {
      c.res.status = 304;
      return;
    }
    c.text(read_file(real), content_type_of(real));
  });
}

}  // namespace specmill::rest
