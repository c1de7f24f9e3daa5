#pragma once
// Grids of preview plots (the original service's plotGrid): nx columns by ny rows of panels,
// each a preview (engine/render/preview_plot.hpp) of --width x --height pixels, filled row by row
// from the top left with the IDs of one page of the list.
//
// Pages are numbered from 1: page P shows IDs (P-1)*nx*ny .. P*nx*ny - 1 of the list (in list
// order); the last page may be partly filled, its empty cells left white. A page beyond the
// last is invalid_argument. An ID on the page without pixels gets a panel saying so; a page
// where no ID has pixels is not_found.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "engine/pipeline/id_list.hpp"
#include "engine/render/preview_plot.hpp"

namespace specmill {

struct grid_options {
  int nx = 1, ny = 1;  // panels across and down, 1..100 each
  int page = 1;        // 1-based
  int page_base = 1;   // how the caller numbers pages in messages (the REST service from 0)
  plot_options panel;  // each panel's size and overlays
};
void check_grid_options(const grid_options& o);  // invalid_argument (the grid at most 20000 px a side)

size_t grid_page_count(size_t n_ids, const grid_options& o);

// The in-memory core: panels for the page's items in order (nullopt: no pixels; labels and
// reasons for those in `missing_labels`), composed into one RGB image and PNG-encoded.
std::vector<uint8_t> render_grid(const std::vector<std::optional<spectrum_plot_data>>& panels,
                                 const std::vector<std::string>& missing_labels, const grid_options& o);

struct grid_summary {
  size_t requested = 0;  // IDs in the list
  size_t pages = 0;
  size_t page_ids = 0;   // IDs on this page
  std::vector<std::string> missing;  // IDs on this page without pixels
};

// The whole request: only the page's IDs are resolved and read. PNG bytes in memory.
std::vector<uint8_t> grid_png(const std::filesystem::path& store_root, const std::string& context,
                              const std::vector<spectrum_id>& ids, const grid_options& o, grid_summary* summary = nullptr);

}  // namespace specmill
