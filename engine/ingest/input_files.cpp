#include "engine/ingest/input_files.hpp"

#include "core/error.hpp"

namespace fs = std::filesystem;

namespace specmill {

input_files::input_files(std::vector<std::string> inputs) : inputs_(std::move(inputs)) {
  for (const auto& in : inputs_) {
    const fs::path p = in.rfind('@', 0) == 0 ? fs::path(in.substr(1)) : fs::path(in);
    if (!fs::exists(p)) throw not_found("input not found: " + p.string());
  }
}

bool input_files::is_spec_file_name(const fs::path& p) {
  const std::string name = p.filename().string();
  // spec-*: SDSS coadds; coadd-*: DESI healpix coadds (ingest tells them apart by content).
  if (name.rfind("spec-", 0) != 0 && name.rfind("coadd-", 0) != 0) return false;
  const auto ends = [&](std::string_view suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends(".fits") || ends(".fits.gz");
}

bool input_files::open_next_input() {
  dir_.reset();
  list_.reset();
  single_.reset();
  if (next_input_ >= inputs_.size()) return false;
  const std::string& in = inputs_[next_input_++];
  if (in.rfind('@', 0) == 0) {
    list_ = std::make_unique<std::ifstream>(in.substr(1));
    if (!*list_) throw io_error("cannot read list file " + in.substr(1));
  } else if (fs::is_directory(in)) {
    dir_.emplace(in, fs::directory_options::skip_permission_denied);
  } else {
    single_ = fs::path(in);
  }
  return true;
}

std::optional<fs::path> input_files::next() {
  for (;;) {
    if (single_) {
      auto p = std::move(single_);
      single_.reset();
      return p;
    }
    if (dir_) {
      auto& it = *dir_;
      while (it != fs::recursive_directory_iterator()) {
        const fs::directory_entry entry = *it;
        std::error_code ec;
        it.increment(ec);
        if (ec) throw io_error("cannot walk " + entry.path().string() + ": " + ec.message());
        // Not only regular files: a FIFO, socket, device or broken link named spec-*.fits is
        // handed on so that the reader reports it (it opens only regular files), not dropped
        // without a word.
        if (is_spec_file_name(entry.path()) && !entry.is_directory(ec)) return entry.path();
      }
      dir_.reset();
    }
    if (list_) {
      std::string line;
      while (std::getline(*list_, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
        if (line.empty() || line[0] == '#') continue;
        return fs::path(line);
      }
      list_.reset();
    }
    if (!open_next_input()) return std::nullopt;
  }
}

size_t input_files::count(const std::vector<std::string>& inputs) {
  input_files files(inputs);
  size_t n = 0;
  while (files.next()) ++n;
  return n;
}

}  // namespace specmill
