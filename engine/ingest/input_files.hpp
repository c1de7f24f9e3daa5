#pragma once
// Expands ingest inputs into spec files, lazily (a directory tree of millions of files is
// walked, never listed into memory):
//   FILE          taken as given (a non-SDSS file is then reported by the reader)
//   DIRECTORY     searched recursively for spec-*.fits[.gz] (SDSS) and coadd-*.fits[.gz] (DESI)
//                 (any such name that
//                 is not a directory; the reader refuses FIFOs, sockets and devices by name)
//   @LISTFILE     one input per line (blank lines and # comments ignored)
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace specmill {

class input_files {
 public:
  explicit input_files(std::vector<std::string> inputs);
  // The next file, or nullopt at the end. Missing inputs throw not_found up front.
  std::optional<std::filesystem::path> next();

  static bool is_spec_file_name(const std::filesystem::path& p);
  // Walks every input once and counts the files (for progress and ETA).
  static size_t count(const std::vector<std::string>& inputs);

 private:
  bool open_next_input();

  std::vector<std::string> inputs_;
  size_t next_input_ = 0;
  std::optional<std::filesystem::recursive_directory_iterator> dir_;
  std::unique_ptr<std::ifstream> list_;
  std::optional<std::filesystem::path> single_;
};

}  // namespace specmill
