#pragma once
// Where an output's bytes go, and the one way every output format writes them.
//
//   output_target  a file path ("-": standard output) or a byte stream (a function taking each
//                  chunk in order, e.g. an HTTP response; it may throw to abort)
//   byte_output    buffered sequential writes to a target; to a regular file also writes at
//                  an offset (npz patches and fills its members in place)
//   spool_file     an unnamed scratch file: bytes kept aside now, handed back in order later
//   staged_file    a named file for a library that writes by path itself (CFITSIO, HDF5):
//                  beside the output, renamed over it on commit; for a stream, in the
//                  temporary directory, copied into the stream on commit
//
// A file is written under a fresh name beside `path` (`<path>.part-<pid>-<n>`) and renamed over
// it by close()/commit(): an output abandoned before that (an exception, a cancelled request)
// leaves no partial file, and an existing file at `path` stays untouched until the end (a
// process killed outright leaves its .part file, never a truncated `path`). Paths that are not regular
// files (a device such as /dev/null, a FIFO) are written in place. Errors from the OS are
// io_error naming the path.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace specmill {

using byte_stream = std::function<void(const char*, size_t)>;

struct output_target {
  std::filesystem::path path;  // "-": standard output; with a stream only a name for messages
  byte_stream stream;          // when set, the bytes go here

  output_target() = default;
  output_target(std::filesystem::path p, byte_stream s = {}) : path(std::move(p)), stream(std::move(s)) {}
  bool is_stream() const { return static_cast<bool>(stream); }
  bool is_stdout() const { return !stream && path == "-"; }
  // What messages call it: the path, "(standard output)" or "(stream)".
  std::string name() const;
};

class byte_output {
 public:
  explicit byte_output(output_target target);
  // The historical constructor of io/formats/output_file.hpp: a path, or a stream when given.
  byte_output(const std::filesystem::path& path, byte_stream stream = {})
      : byte_output(output_target(path, std::move(stream))) {}
  ~byte_output();  // without a successful close(): a file being written is removed
  byte_output(const byte_output&) = delete;
  byte_output& operator=(const byte_output&) = delete;

  // A regular file written here: write_at() may place bytes anywhere.
  bool seekable() const { return regular_; }
  // Bytes written so far by write() (the end of the sequential output).
  uint64_t position() const { return flushed_ + used_; }
  const std::string& name() const { return name_; }

  void write(const void* data, size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  // seekable() only: `n` bytes at `offset`, which may lie past position() (a later write
  // fills what lies between). Moves position() to the end of the bytes when they reach past it.
  void write_at(uint64_t offset, const void* data, size_t n);

  // Flushes; a file is closed and renamed over its path. Further writes are invalid_argument.
  void close();

 private:
  void flush();
  void emit(const char* p, size_t n);
  void discard() noexcept;
  [[noreturn]] void fail(const char* what) const;

  output_target target_;
  std::string name_;
  std::filesystem::path temp_;  // the fresh file renamed over target_.path by close()
  int fd_ = -1;
  bool own_ = false;      // fd_ is ours (not standard output)
  bool regular_ = false;  // fd_ is the fresh regular file temp_
  bool closed_ = false;
  std::vector<char> buf_;
  size_t used_ = 0;
  uint64_t flushed_ = 0;
};

// An unnamed scratch file in `dir` (the temporary directory when empty): it vanishes when
// closed or when the process dies.
class spool_file {
 public:
  explicit spool_file(const std::filesystem::path& dir = {});
  ~spool_file();
  spool_file(const spool_file&) = delete;
  spool_file& operator=(const spool_file&) = delete;

  void append(const void* data, size_t n);
  uint64_t size() const { return size_; }
  // Hands the whole content back in order, in chunks of a few MiB.
  void replay(const byte_stream& take) const;

 private:
  int fd_ = -1;
  uint64_t size_ = 0;
};

// A file for a library that creates its output by name. path() is where to write it (a name
// no file has yet); commit() moves it to the target: renamed over a regular file's path, or
// copied into a stream, standard output or a device, then removed. Destroyed uncommitted:
// removed. (A library never gets the target path itself: CFITSIO's create removes what is
// there first, which for /dev/null is not a file to lose.)
class staged_file {
 public:
  explicit staged_file(output_target target);
  ~staged_file();
  staged_file(const staged_file&) = delete;
  staged_file& operator=(const staged_file&) = delete;

  const std::filesystem::path& path() const { return path_; }
  const output_target& target() const { return target_; }
  void commit();

 private:
  output_target target_;
  std::filesystem::path path_;
  bool beside_ = false;  // staged beside a regular file target (else in the temporary directory)
  bool done_ = false;
};

}  // namespace specmill
