#pragma once
// `specmill ingest --check-stale`: which of the files a context was ingested from have changed
// since, without changing anything (the store is opened for reading; no lock is taken).
// A file is unchanged when its size and mtime are those on record; otherwise its bytes are
// digested (file_digest): the same digest is a touched file (ingest only updates its record),
// another is a changed file (ingest replaces its spectrum). Missing files are listed too.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace specmill {

enum class file_state { unchanged, touched, changed, missing, unreadable };
const char* to_string(file_state s);

struct stale_file {
  std::string path;
  uint64_t specobjid = 0;
  file_state state = file_state::unchanged;
  std::string note;  // why: "size 1200 -> 1300", "no digest on record", the read error
};

struct stale_report {
  size_t recorded = 0;  // files on record for the context
  size_t unchanged = 0, touched = 0, changed = 0, missing = 0, unreadable = 0;
  std::vector<stale_file> files;  // every file that is not unchanged, up to max_listed, in path order
};

stale_report check_stale(const std::filesystem::path& store_root, const std::string& context, size_t max_listed = 100000);

}  // namespace specmill
