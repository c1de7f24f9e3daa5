#pragma once
// stdout ("-") or a file, written through stdio, with errors that name the path.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/error.hpp"

namespace specmill {

class output_file {
 public:
  explicit output_file(const std::filesystem::path& p) : path_(p) {
    if (p == "-") {
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
    if (n && std::fwrite(data, 1, n, f_) != n) throw io_error("write failed: " + path_.string() + ": " + std::strerror(errno));
  }
  void write(const std::string& s) { write(s.data(), s.size()); }
  void close() {
    const int rc = own_ ? std::fclose(f_) : std::fflush(f_);
    f_ = own_ ? nullptr : f_;
    if (rc != 0) throw io_error("write failed: " + path_.string() + ": " + std::strerror(errno));
  }

 private:
  std::filesystem::path path_;
  FILE* f_ = nullptr;
  bool own_ = false;
};

}  // namespace specmill
