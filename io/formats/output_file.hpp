#pragma once
// stdout ("-"), a file (through stdio), or a byte sink (a function taking each chunk, e.g. an
// HTTP response; it may throw to abort), with errors that name the path.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>

#include "core/error.hpp"

namespace specmill {

using byte_sink = std::function<void(const char*, size_t)>;

class output_file {
 public:
  explicit output_file(const std::filesystem::path& p, byte_sink sink = {}) : path_(p), sink_(std::move(sink)) {
    if (sink_) {
      path_ = "(stream)";
    } else if (p == "-") {
      f_ = stdout;
    } else {
      f_ = std::fopen(p.c_str(), "wb");
      if (!f_) throw io_error("cannot write " + p.string() + ": " + std::strerror(errno));
      own_ = true;
    }
  }
  ~output_file() {
    if (own_ && f_) std::fclose(f_);
  }
  output_file(const output_file&) = delete;
  output_file& operator=(const output_file&) = delete;

  void write(const void* data, size_t n) {
    if (sink_) {
      if (n) sink_(static_cast<const char*>(data), n);
      return;
    }
    if (n && std::fwrite(data, 1, n, f_) != n) throw io_error("write failed: " + path_.string() + ": " + std::strerror(errno));
  }
  void write(const std::string& s) { write(s.data(), s.size()); }
  void close() {
    if (sink_) return;
    const int rc = own_ ? std::fclose(f_) : std::fflush(f_);
    f_ = own_ ? nullptr : f_;
    if (rc != 0) throw io_error("write failed: " + path_.string() + ": " + std::strerror(errno));
  }

 private:
  std::filesystem::path path_;
  byte_sink sink_;
  FILE* f_ = nullptr;
  bool own_ = false;
};

}  // namespace specmill
