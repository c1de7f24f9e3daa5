// Grids of previews: page counts and sizes, the last page partly filled, pages beyond the end,
// a panel per ID with its title, missing IDs as panels, the preview of one stored spectrum.
#include "engine/render/grid_plot.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "engine/render/render_fixture.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

class GridStore : public ::testing::Environment {
 public:
  static inline test::temp_dir* dir = nullptr;
  void SetUp() override {
    dir = new test::temp_dir;
    std::vector<sdss_spectrum> s;
    for (int f = 1; f <= 7; ++f)
      s.push_back(test::synthetic_spectrum(f, 35800, 2000, [f](size_t i) { return float(f + std::sin(i * 0.01)); }, {},
                                           f % 2 ? "GALAXY" : "QSO", 0.05f * float(f)));
    test::build_synthetic_store(root(), std::move(s));
  }
  void TearDown() override { delete dir; }
  static fs::path root() { return dir->path() / "store"; }
};
const auto* const env = ::testing::AddGlobalTestEnvironment(new GridStore);

std::vector<spectrum_id> fibers(int n, int first = 1) {
  std::vector<spectrum_id> v;
  for (int f = first; f < first + n; ++f) v.push_back(parse_spectrum_id(test::id_text(f)));
  return v;
}

grid_options two_by_two(int page) {
  grid_options o;
  o.nx = o.ny = 2;
  o.page = page;
  o.panel.width = 300;
  o.panel.height = 100;
  return o;
}

// Dark pixels in the top strip of cell (cx, cy): the title.
int title_ink(const decoded_png& d, int cx, int cy, const grid_options& o) {
  int n = 0;
  for (int y = cy * o.panel.height; y < cy * o.panel.height + 12; ++y)
    for (int x = cx * o.panel.width; x < cx * o.panel.width + o.panel.width / 2; ++x) {
      const uint8_t* p = d.at(uint32_t(x), uint32_t(y));
      n += p[0] < 100 && p[1] < 100 && p[2] < 100;
    }
  return n;
}

bool cell_white(const decoded_png& d, int cx, int cy, const grid_options& o) {
  for (int y = cy * o.panel.height; y < (cy + 1) * o.panel.height; ++y)
    for (int x = cx * o.panel.width; x < (cx + 1) * o.panel.width; ++x)
      for (int c = 0; c < 3; ++c)
        if (d.at(uint32_t(x), uint32_t(y))[c] != 255) return false;
  return true;
}

TEST(GridPlot, PagesCountFromOneAndTheLastIsPartlyFilled) {
  EXPECT_EQ(grid_page_count(7, two_by_two(1)), 2u);
  EXPECT_EQ(grid_page_count(8, two_by_two(1)), 2u);
  EXPECT_EQ(grid_page_count(9, two_by_two(1)), 3u);
  grid_summary s;
  auto o = two_by_two(1);
  decoded_png d = test::decode(grid_png(GridStore::root(), "sdss_dr16", fibers(7), o, &s));
  EXPECT_EQ(d.width, 600u);
  EXPECT_EQ(d.height, 200u);
  EXPECT_EQ(s.pages, 2u);
  EXPECT_EQ(s.page_ids, 4u);
  for (int k = 0; k < 4; ++k) EXPECT_GT(title_ink(d, k % 2, k / 2, o), 20) << k;
  o.page = 2;
  d = test::decode(grid_png(GridStore::root(), "sdss_dr16", fibers(7), o, &s));
  EXPECT_EQ(s.page_ids, 3u);
  for (int k = 0; k < 3; ++k) EXPECT_FALSE(cell_white(d, k % 2, k / 2, o)) << k;
  EXPECT_TRUE(cell_white(d, 1, 1, o));
}

TEST(GridPlot, PagesBeyondTheEndAndBadShapesAreInvalid) {
  EXPECT_THROW(grid_png(GridStore::root(), "sdss_dr16", fibers(7), two_by_two(3), nullptr), invalid_argument);
  EXPECT_THROW(grid_png(GridStore::root(), "sdss_dr16", fibers(7), two_by_two(0), nullptr), invalid_argument);
  auto o = two_by_two(1);
  o.nx = 0;
  EXPECT_THROW(check_grid_options(o), invalid_argument);
  o = two_by_two(1);
  o.ny = -2;
  EXPECT_THROW(check_grid_options(o), invalid_argument);
  o = two_by_two(1);
  o.nx = 100;  // 100 x 300 px
  EXPECT_THROW(check_grid_options(o), invalid_argument);
  o = two_by_two(1);
  o.panel.width = 20;
  EXPECT_THROW(check_grid_options(o), invalid_argument);
  EXPECT_THROW(grid_png(GridStore::root(), "sdss_dr16", {}, two_by_two(1), nullptr), not_found);
}

TEST(GridPlot, MissingIdsArePanelsAndAPageOfThemIsNotFound) {
  auto ids = fibers(2);
  ids.push_back(parse_spectrum_id("4000-55000-999"));
  grid_summary s;
  auto o = two_by_two(1);
  const decoded_png d = test::decode(grid_png(GridStore::root(), "sdss_dr16", ids, o, &s));
  ASSERT_EQ(s.missing.size(), 1u);
  EXPECT_EQ(s.missing[0], "4000-55000-999");
  EXPECT_GT(title_ink(d, 0, 1, o), 20);  // its panel names it
  EXPECT_THROW(grid_png(GridStore::root(), "sdss_dr16", {parse_spectrum_id("4000-55000-998")}, o, nullptr), not_found);
}

TEST(PreviewOfStore, ReadsTheSpectrumAndItsCatalogRow) {
  plot_options o;
  const auto png = preview_png(GridStore::root(), "sdss_dr16", parse_spectrum_id(test::id_text(3)), o);
  const decoded_png d = test::decode(png);
  EXPECT_EQ(d.width, 400u);
  EXPECT_EQ(d.height, 100u);
  store st(GridStore::root(), store::access::read);
  const spectrum_plot_data p = load_plot_data(st, "sdss_dr16", parse_spectrum_id(test::id_text(3)));
  EXPECT_EQ(p.label, "4000-55000-3");
  EXPECT_EQ(p.class_name, "GALAXY");
  EXPECT_NEAR(*p.z, 0.15, 1e-6);
  EXPECT_NEAR(p.wavelength.front(), std::pow(10.0, 3.58), 1e-9);
  EXPECT_THROW(preview_png(GridStore::root(), "sdss_dr16", parse_spectrum_id("4000-55000-999"), o), not_found);
  EXPECT_THROW(preview_png(GridStore::root(), "nope", parse_spectrum_id(test::id_text(3)), o), invalid_argument);
}

}  // namespace
