#include "engine/store/verify.hpp"

#include <cstring>
#include <map>
#include <set>

#include "core/error.hpp"
#include "engine/store/store.hpp"
#include "engine/store/verify_extras.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {

constexpr size_t max_problems = 1000;  // a badly broken store should not flood the terminal

void check_padding(const block_reader& b, const std::string& name, verify_report& rep) {
  const size_t width = b.n_pixels();
  std::vector<float> row(width);
  for (int c = 0; c < n_columns; ++c) {
    const column col = column(c);
    if (col == column::loglam) continue;
    for (size_t r = 0; r < b.n_spectra(); ++r) {
      b.read(col, r, 1, 0, width, row.data());
      const auto& m = b.rows()[r];
      const size_t first = size_t(m.lattice_start - b.lattice_start()), last = first + size_t(m.npix);
      for (size_t p = 0; p < width; ++p) {
        if (p >= first && p < last) continue;
        uint32_t bits;
        std::memcpy(&bits, &row[p], 4);
        if (bits != 0) {
          if (rep.problems.size() < max_problems)
            rep.problems.push_back(name + ": row " + std::to_string(r) + " column " +
                                   std::string(column_names[size_t(c)]) + " is not zero outside its coverage");
          break;
        }
      }
    }
  }
}

}  // namespace

verify_report verify_store(const fs::path& root, bool deep) {
  store st(root, store::access::read);
  verify_report rep;
  auto problem = [&](std::string p) {
    if (rep.problems.size() < max_problems) rep.problems.push_back(std::move(p));
  };

  std::map<int64_t, std::vector<block_row_meta>> block_rows;
  std::set<std::string> known_files;
  for (const auto& b : st.catalog().blocks()) {
    ++rep.blocks;
    known_files.insert(fs::path(b.path).filename().string());
    const fs::path path = root / b.path;
    if (!fs::exists(path)) {
      problem("block " + std::to_string(b.block_id) + ": file missing: " + path.string());
      continue;
    }
    try {
      const block_reader reader(path);
      if (reader.block_id() != b.block_id) problem(b.path + ": block_id attribute " + std::to_string(reader.block_id()) + " != catalog " + std::to_string(b.block_id));
      if (int64_t(reader.n_spectra()) != b.n_spectra) problem(b.path + ": " + std::to_string(reader.n_spectra()) + " spectra, catalog says " + std::to_string(b.n_spectra));
      rep.spectra += reader.n_spectra();
      block_rows[b.block_id] = reader.rows();
      if (deep) {
        check_padding(reader, b.path, rep);
        check_block_extras(reader, b.path, rep.problems, max_problems);
      }
    } catch (const error& e) {
      problem(b.path + ": cannot read: " + e.what());
    }
  }
  for (const auto& entry : fs::directory_iterator(root / "blocks")) {
    const std::string name = entry.path().filename().string();
    if (!known_files.count(name))
      rep.notes.push_back("unreferenced file blocks/" + name + " (left by an interrupted ingest; the next ingest removes it)");
  }

  st.catalog().for_each_located("", [&](const catalog_entry& e) {
    ++rep.rows;
    const auto& loc = *e.location;
    const std::string who = e.context + "/" + std::to_string(e.meta.specobjid);
    auto it = block_rows.find(loc.block_id);
    if (it == block_rows.end()) {
      problem(who + ": points at unknown or unreadable block " + std::to_string(loc.block_id));
      return;
    }
    if (loc.row < 0 || size_t(loc.row) >= it->second.size()) {
      problem(who + ": row " + std::to_string(loc.row) + " beyond block " + std::to_string(loc.block_id));
      return;
    }
    const auto& m = it->second[size_t(loc.row)];
    if (m.specobjid != e.meta.specobjid || m.plate != e.meta.plate || m.mjd != e.meta.mjd ||
        m.fiberid != e.meta.fiberid)
      problem(who + ": block " + std::to_string(loc.block_id) + " row " + std::to_string(loc.row) +
              " holds SPECOBJID " + std::to_string(m.specobjid) + " instead");
    if (m.lattice_start != loc.lattice_start || m.npix != loc.npix)
      problem(who + ": pixel range in catalog (" + std::to_string(loc.lattice_start) + "+" + std::to_string(loc.npix) +
              ") differs from block (" + std::to_string(m.lattice_start) + "+" + std::to_string(m.npix) + ")");
  });
  return rep;
}

}  // namespace specmill
