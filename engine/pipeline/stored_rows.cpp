#include "engine/pipeline/stored_rows.hpp"

#include <string>

#include "core/error.hpp"

namespace specmill {

void stored_rows::open(std::span<const stored_item> items) {
  for (const stored_item& it : items) {
    auto b = blocks_.find(it.block_id);
    if (b == blocks_.end()) b = blocks_.emplace(it.block_id, store_.shared_block(it.block_id)).first;
    SPECMILL_DATA_CHECK(size_t(it.row) < b->second->n_spectra(),
                        "catalog row " + std::to_string(it.row) + " beyond block " + std::to_string(it.block_id));
  }
}

void stored_rows::close_unused(std::span<const stored_item> items) {
  if (blocks_.size() <= max_open_blocks) return;
  std::vector<int64_t> used;
  for (const stored_item& it : items)
    if (used.empty() || used.back() != it.block_id) used.push_back(it.block_id);
  std::erase_if(blocks_, [&](const auto& kv) { return !std::binary_search(used.begin(), used.end(), kv.first); });
}

const block_reader& stored_rows::block(int64_t block_id) const {
  const auto b = blocks_.find(block_id);
  SPECMILL_EXPECTS(b != blocks_.end(), "stored_rows: block " + std::to_string(block_id) + " is not open");
  return *b->second;
}

void stored_rows::check_columns(std::span<const column> columns, const char* who) {
  constexpr size_t max_columns = sizeof(stored_row::data) / sizeof(stored_row::data[0]);
  SPECMILL_EXPECTS(columns.size() <= max_columns, std::string(who) + ": at most 4 columns");
  for (column c : columns) SPECMILL_EXPECTS(c != column::loglam, std::string(who) + ": loglam is not stored in place");
}

stored_row stored_rows::row(const stored_item& it, std::span<const column> columns, stored_row_buffers& copies) const {
  const spectrum_location loc = ids_[it.index].location();
  const block_reader& b = *blocks_.find(it.block_id)->second;  // open(): every item's block is open
  const size_t npix = size_t(loc.npix), pix0 = size_t(loc.lattice_start - b.lattice_start());
  stored_row r;
  r.lattice_start = loc.lattice_start;
  r.npix = loc.npix;
  for (size_t j = 0; j < columns.size(); ++j) {
    r.data[j] = b.mapped_row_span(columns[j], size_t(it.row), pix0, npix);
    if (r.data[j]) continue;
    void* to = nullptr;
    if (column_is_int(columns[j])) {
      copies.ints[j].resize(npix);
      to = copies.ints[j].data();
    } else {
      copies.floats[j].resize(npix);
      to = copies.floats[j].data();
    }
    b.read_row_span(columns[j], size_t(it.row), pix0, npix, to, hdf5_);
    r.data[j] = to;
  }
  return r;
}

}  // namespace specmill
