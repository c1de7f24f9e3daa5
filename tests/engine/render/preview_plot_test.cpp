// Preview plots checked for what they show: the flux line's pixels where the data put them
// (a step, a spike that robust limits send off the top, a masked stretch left undrawn), line
// markers at lambda_rest * (1 + z), overlays by colour, sizes, ticks, errors. Positions are
// compared within 1.5 px (antialiasing spreads a 1-px line over two pixels).
#include "engine/render/preview_plot.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "engine/render/emission_lines.hpp"
#include "engine/render/plot_axes.hpp"
#include "io/image/png_writer.hpp"

using namespace specmill;

namespace {

// Lattice pixels from 10^3.6 to 10^3.95 A (3981..8913 A), flux(wavelength), ivar 1 except
// where bad(wavelength).
spectrum_plot_data make_data(const std::function<float(double)>& flux, const std::function<bool(double)>& bad = {},
                             std::optional<double> z = 0.1) {
  spectrum_plot_data d;
  d.label = "4000-55000-7";
  d.class_name = "GALAXY";
  d.z = z;
  for (int k = 36000; k <= 39500; ++k) {
    const double wl = std::pow(10.0, k * 1e-4);
    d.wavelength.push_back(wl);
    d.flux.push_back(flux(wl));
    d.ivar.push_back(bad && bad(wl) ? 0.f : 1.f);
    d.sky.push_back(0.5f);
    d.model.push_back(flux(wl) * 0.9f);
  }
  return d;
}

struct picture {
  decoded_png png;
  plot_frame f;
};

picture render(const spectrum_plot_data& d, plot_options o) {
  const rendered_plot r = render_preview(d, o);
  return {decode_png(r.png.data(), r.png.size()), r.frame};
}

bool dark(const uint8_t* p) { return p[0] < 110 && p[1] < 110 && p[2] < 110; }
bool blue(const uint8_t* p) { return p[2] > 150 && p[0] < 120 && p[2] - p[0] > 80; }
bool orange(const uint8_t* p) { return p[0] > 180 && p[2] < 90 && p[0] - p[2] > 120; }
bool red(const uint8_t* p) { return p[0] > 150 && p[1] < 100 && p[2] < 100; }

// Mean y of the pixels matching `is` in column x, strictly inside the frame; NaN when none.
double mean_y(const picture& p, int x, bool (*is)(const uint8_t*)) {
  double sum = 0;
  int n = 0;
  for (int y = int(p.f.top) + 2; y < int(p.f.bottom) - 1; ++y)
    if (is(p.png.at(uint32_t(x), uint32_t(y)))) {
      sum += y + 0.5;
      ++n;
    }
  return n ? sum / n : std::nan("");
}

int count_in_frame(const picture& p, bool (*is)(const uint8_t*)) {
  int n = 0;
  for (int y = int(p.f.top) + 2; y < int(p.f.bottom) - 1; ++y)
    for (int x = int(p.f.left) + 2; x < int(p.f.right) - 1; ++x) n += is(p.png.at(uint32_t(x), uint32_t(y)));
  return n;
}

TEST(PlotAxes, NiceTicks) {
  auto t = nice_ticks(3800, 9200, 7);
  EXPECT_EQ(t.step, 1000);
  EXPECT_EQ(t.values, (std::vector<double>{4000, 5000, 6000, 7000, 8000, 9000}));
  t = nice_ticks(0, 1, 5);
  EXPECT_EQ(t.step, 0.5);
  EXPECT_EQ(t.decimals, 1);
  t = nice_ticks(-3.3, 41.2, 3);
  EXPECT_EQ(t.values, (std::vector<double>{0, 20, 40}));
  t = nice_ticks(-0.3, 1.5, 3);  // step 0.5 gives four: step 1, two
  EXPECT_EQ(t.values, (std::vector<double>{0, 1}));
  t = nice_ticks(0.1, 1.9, 2);  // step 1 leaves a single tick: step 0.5's three instead
  EXPECT_EQ(t.values, (std::vector<double>{0.5, 1, 1.5}));
  t = nice_ticks(0.1, 0.9, 2);  // step 0.5 leaves one: step 0.2 gives four
  EXPECT_EQ(t.values.size(), 4u);
  EXPECT_TRUE(nice_ticks(1, 1, 5).values.empty());
  EXPECT_TRUE(nice_ticks(0, std::nan(""), 5).values.empty());
  EXPECT_EQ(format_tick(4000, 0), "4000");
  EXPECT_EQ(format_tick(-0.0001, 2), "0.00");
  EXPECT_EQ(format_tick(-1.5, 1), "-1.5");
}

TEST(PreviewPlot, DefaultSizeIsTheOriginalServices) {
  const plot_options o;
  EXPECT_EQ(o.width, 400);
  EXPECT_EQ(o.height, 100);
  const picture p = render(make_data([](double) { return 1.f; }), o);
  EXPECT_EQ(p.png.width, 400u);
  EXPECT_EQ(p.png.height, 100u);
  EXPECT_EQ(p.png.channels, 3);
  EXPECT_GT(p.f.right - p.f.left, 300);  // the data area is most of the plot
  EXPECT_GT(p.f.bottom - p.f.top, 50);
}

TEST(PreviewPlot, StepLiesWhereTheDataPutIt) {
  const auto d = make_data([](double wl) { return wl < 5000 ? 1.f : 3.f; });
  for (auto [w, h] : {std::pair{400, 100}, {900, 300}}) {
    plot_options o;
    o.width = w;
    o.height = h;
    const picture p = render(d, o);
    SCOPED_TRACE(std::to_string(w) + "x" + std::to_string(h));
    EXPECT_NEAR(p.f.x_lo, d.wavelength.front(), 1e-9);
    EXPECT_NEAR(p.f.x_hi, d.wavelength.back(), 1e-9);
    EXPECT_NEAR(p.f.y_lo, 1 - 0.16, 1e-6);  // percentiles 1 and 3, widened by 8%
    EXPECT_NEAR(p.f.y_hi, 3 + 0.16, 1e-6);
    EXPECT_NEAR(mean_y(p, int(p.f.x_of(4500)), dark), p.f.y_of(1), 1.5);
    EXPECT_NEAR(mean_y(p, int(p.f.x_of(7000)), dark), p.f.y_of(3), 1.5);
  }
}

TEST(PreviewPlot, SpikeRunsOffTheTopInsteadOfSettingTheLimits) {
  const double spike = 6000;
  auto d = make_data([](double wl) { return float(2 + std::sin(wl / 200)); });
  size_t k = 0;
  while (d.wavelength[k] < spike) ++k;
  d.flux[k] = 100;
  plot_options o;
  o.width = 800;
  o.height = 200;
  const picture p = render(d, o);
  EXPECT_LT(p.f.y_hi, 3.5);
  const int x = int(p.f.x_of(d.wavelength[k]));
  bool reaches_top = false;
  for (int dx = -1; dx <= 1; ++dx) reaches_top |= dark(p.png.at(uint32_t(x + dx), uint32_t(p.f.top + 2)));
  EXPECT_TRUE(reaches_top);
  const double wl = 5000;
  EXPECT_NEAR(mean_y(p, int(p.f.x_of(wl)), dark), p.f.y_of(2 + std::sin(wl / 200)), 1.5);
}

TEST(PreviewPlot, MaskedPixelsAreNotDrawn) {
  // Ramp 0..10 over the range; ivar 0 (and flux 5, which a line through would show) in 6000-6500.
  auto d = make_data([](double wl) { return float((wl - 3981) / 500); },
                     [](double wl) { return wl > 6000 && wl < 6500; });
  for (size_t i = 0; i < d.flux.size(); ++i)
    if (d.ivar[i] == 0) d.flux[i] = 5;
  plot_options o;
  o.width = 800;
  o.height = 200;
  const picture p = render(d, o);
  EXPECT_TRUE(std::isnan(mean_y(p, int(p.f.x_of(6250)), dark)));
  EXPECT_NEAR(mean_y(p, int(p.f.x_of(5500)), dark), p.f.y_of((5500 - 3981) / 500.0), 1.5);
}

TEST(PreviewPlot, LineMarkersSitAtTheRedshiftedWavelength) {
  const double z = 0.1;
  plot_options o;
  o.width = 1200;
  o.height = 300;
  o.lines = true;
  const picture p = render(make_data([](double) { return 1.f; }, {}, z), o);
  const auto check = [&](const char* name, bool (*is)(const uint8_t*)) {
    const double wl = observed_wavelength(find_line(name)->rest_aa, z);
    const int expect = int(std::floor(p.f.x_of(wl)));
    int best = -1, best_n = 0;
    for (int x = expect - 6; x <= expect + 6; ++x) {
      int n = 0;
      for (int y = int(p.f.top) + 2; y < int(p.f.bottom) - 1; ++y) n += is(p.png.at(uint32_t(x), uint32_t(y)));
      if (n > best_n) best_n = n, best = x;
    }
    EXPECT_NEAR(best, expect, 1) << name;
    EXPECT_GT(best_n, (p.f.bottom - p.f.top) * 0.3) << name;  // a dashed line: half its pixels
  };
  check("H-beta", blue);
  check("Mg b", orange);
  o.lines = false;
  EXPECT_EQ(count_in_frame(render(make_data([](double) { return 1.f; }, {}, z), o), blue), 0);
}

TEST(PreviewPlot, OverlaysAppearOnlyWhenAsked) {
  const auto d = make_data([](double wl) { return float(1 + wl / 2000); });
  plot_options o;
  o.width = 600;
  o.height = 200;
  const picture plain = render(d, o);
  EXPECT_EQ(count_in_frame(plain, red), 0);
  o.model = true;
  o.sky = true;
  o.error = true;
  const picture all = render(d, o);
  EXPECT_GT(count_in_frame(all, red), 100);  // the model
  const auto band = [](const uint8_t* q) { return q[0] > 160 && q[0] < 200 && q[2] > 230; };
  EXPECT_GT(count_in_frame(all, band), 1000);  // flux +- 1 (ivar 1) fills a wide band
  // The sky (0.5) lies below the y range of this spectrum: clipped, never drawn outside.
  EXPECT_EQ(*all.png.at(0, all.png.height - 1), 255);
}

TEST(PreviewPlot, TitleAndTickLabelsAreDrawn) {
  const picture p = render(make_data([](double) { return 1.f; }), plot_options{});
  int title = 0, labels = 0;
  for (uint32_t y = 0; y < uint32_t(p.f.top) - 1; ++y)
    for (uint32_t x = 0; x < 200; ++x) title += dark(p.png.at(x, y));
  for (uint32_t y = uint32_t(p.f.bottom) + 5; y < p.png.height; ++y)
    for (uint32_t x = 0; x < p.png.width; ++x) labels += dark(p.png.at(x, y));
  EXPECT_GT(title, 30);   // a font was found and used
  EXPECT_GT(labels, 30);
}

TEST(PreviewPlot, SizesOutOfRangeAreInvalid) {
  const auto d = make_data([](double) { return 1.f; });
  for (auto [w, h] : {std::pair{49, 100}, {400, 49}, {10001, 100}, {400, 10001}, {0, 0}}) {
    plot_options o;
    o.width = w;
    o.height = h;
    EXPECT_THROW(render_preview(d, o), invalid_argument) << w << "x" << h;
  }
  plot_options small;
  small.width = small.height = 50;
  EXPECT_EQ(render(d, small).png.width, 50u);  // degrades, does not fail
}

TEST(PreviewPlot, CutoutSetsTheRange) {
  plot_options o;
  o.cutout = wavelength_range{6000, 6100};
  const picture p = render(make_data([](double wl) { return float(wl); }), o);
  EXPECT_EQ(p.f.x_lo, 6000);
  EXPECT_EQ(p.f.x_hi, 6100);
  EXPECT_GT(p.f.y_lo, 5900);
  EXPECT_LT(p.f.y_hi, 6200);
}

}  // namespace

namespace {
bool overlap_shade(const uint8_t* p) { return p[0] == 230 && p[1] == 230 && p[2] == 204; }
}  // namespace

// A spectrum on the DESI grid: titled by TARGETID, the b/r (5760-5800 A) and r/z (7520-7620 A)
// camera overlaps shaded in their colour, nowhere else; the same data on the SDSS lattice gets
// no shading.
TEST(PreviewPlot, DesiCameraOverlapsAreShaded) {
  coadd c;
  c.lattice_start = desi_brz_start;
  c.flux.assign(size_t(desi_brz_npix), 1.f);
  c.ivar.assign(c.flux.size(), 1.f);
  spec_meta m;
  m.thing_id = 39627358369480854;
  m.run2d = "main";
  m.programname = "dark";
  m.class_name = "QSO";
  const spectrum_plot_data d = plot_data(c, m, desi_native_grid);
  EXPECT_EQ(d.label, "39627358369480854 main/dark");
  ASSERT_EQ(d.camera_overlaps.size(), 2u);
  EXPECT_NEAR(d.camera_overlaps[0].lo, 5760.0, 1e-9);
  EXPECT_NEAR(d.camera_overlaps[0].hi, 5800.0, 1e-9);
  EXPECT_NEAR(d.camera_overlaps[1].lo, 7520.0, 1e-9);
  EXPECT_NEAR(d.camera_overlaps[1].hi, 7620.0, 1e-9);
  EXPECT_NEAR(d.wavelength.front(), 3600.0, 1e-9);
  EXPECT_NEAR(d.wavelength.back(), 9824.0, 1e-9);
  plot_options o;
  o.width = 1000;
  o.height = 300;
  const picture p = render(d, o);
  const uint32_t y = uint32_t((p.f.top + p.f.bottom) / 4);  // above the flat spectrum's line
  for (double wl : {5780.0, 7570.0}) EXPECT_TRUE(overlap_shade(p.png.at(uint32_t(p.f.x_of(wl)), y))) << wl;
  for (double wl : {4500.0, 5700.0, 5860.0, 7000.0, 7680.0, 9000.0})
    EXPECT_FALSE(overlap_shade(p.png.at(uint32_t(p.f.x_of(wl)), y))) << wl;
  c.lattice_start = 35563;  // the same pixels on the SDSS lattice
  const spectrum_plot_data s = plot_data(c, m, sdss_native_grid);
  EXPECT_TRUE(s.camera_overlaps.empty());
  EXPECT_EQ(count_in_frame(render(s, o), overlap_shade), 0);
}
