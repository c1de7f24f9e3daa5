#pragma once
// Byte-level edits of copies of real FITS files, for tests that need headers CFITSIO would not
// write itself (NAXIS2 = 1000000000000 with the data left as it was).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace specmill::test_support {

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// Copies `from` to `to`, rewriting the value of each header card `key` of HDU `hdu` (0 =
// primary) to `value`, right-justified in columns 11-30 as FITS fixed format puts integers.
inline void patch_header_cards(const std::filesystem::path& from, const std::filesystem::path& to, int hdu,
                               const std::vector<std::pair<std::string, std::string>>& cards) {
  std::string bytes = slurp(from);
  size_t header = 0;
  for (int h = 0; h < hdu; ++h) {
    do {
      header = bytes.find("XTENSION=", header + 1);
    } while (header != std::string::npos && header % 2880 != 0);
    if (header == std::string::npos) throw std::runtime_error("test setup: no HDU " + std::to_string(hdu));
  }
  for (const auto& [key, value] : cards) {
    bool done = false;
    for (size_t at = header; at + 80 <= bytes.size() && !done; at += 80) {
      const std::string name = bytes.substr(at, 8);
      if (name == "END     ") break;
      if (name.substr(0, name.find_last_not_of(' ') + 1) != key) continue;
      std::string fresh = key;
      fresh.resize(8, ' ');
      fresh += "= ";
      fresh += std::string(20 - std::min<size_t>(20, value.size()), ' ') + value;
      fresh.resize(80, ' ');
      bytes.replace(at, 80, fresh);
      done = true;
    }
    if (!done) throw std::runtime_error("test setup: no card " + key + " in HDU " + std::to_string(hdu));
  }
  std::ofstream(to, std::ios::binary) << bytes;
}

}  // namespace specmill::test_support
