// wavelength_grid: parsing (good and malformed text), pixel counts and edge geometry.
#include "core/wavelength_grid.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "core/error.hpp"

namespace specmill {
namespace {

using scale = wavelength_grid::scale;

TEST(WavelengthGridParse, LogGrid) {
  const wavelength_grid g = parse_wavelength_grid("log:3.55,4.0,1e-4");
  EXPECT_EQ(g.kind, scale::log);
  EXPECT_EQ(g.start, 3.55);
  EXPECT_EQ(g.stop, 4.0);
  EXPECT_EQ(g.step, 1e-4);
  // (4.0 - 3.55) / 1e-4 is 4499.99999999... in double; the 1e-9 slack keeps the stop pixel.
  EXPECT_EQ(g.size(), 4501);
  EXPECT_NEAR(g.center_angstrom(0), std::pow(10.0, 3.55), 1e-12 * 3548);
  EXPECT_NEAR(g.center_angstrom(4500), 1e4, 1e-12 * 1e4);
}

TEST(WavelengthGridParse, LinearGridAndBlanks) {
  const wavelength_grid g = parse_wavelength_grid("  lin: 3600 , 9000,1.5 ");
  EXPECT_EQ(g.kind, scale::linear);
  EXPECT_EQ(g.size(), 3601);
  EXPECT_EQ(g.center_angstrom(1), 3601.5);
  EXPECT_EQ(g.lower_edge_angstrom(0), 3599.25);
  EXPECT_EQ(g.upper_edge_angstrom(0), 3600.75);
  EXPECT_EQ(parse_wavelength_grid("lin:+3600,9000,+1.5").start, 3600);
}

TEST(WavelengthGridParse, OnePixelAndPartialLastStep) {
  EXPECT_EQ(parse_wavelength_grid("log:3.6,3.6,1e-4").size(), 1);
  EXPECT_EQ(parse_wavelength_grid("lin:4000,4002.9,1").size(), 3);  // last center 4002 <= 4002.9
  EXPECT_EQ(parse_wavelength_grid("lin:4000,4003,1").size(), 4);
}

TEST(WavelengthGridParse, RoundTripsThroughToString) {
  for (const char* text : {"log:3.55,4,1e-04", "lin:3600,9000,1.5", "log:-1.25,0.5,0.002"}) {
    const wavelength_grid g = parse_wavelength_grid(text);
    EXPECT_EQ(to_string(g), text);
    const wavelength_grid back = parse_wavelength_grid(to_string(g));
    EXPECT_EQ(back.kind, g.kind);
    EXPECT_EQ(back.start, g.start);
    EXPECT_EQ(back.stop, g.stop);
    EXPECT_EQ(back.step, g.step);
  }
}

TEST(WavelengthGrid, EdgesAreSharedBitForBitAndCentersInside) {
  for (const char* text : {"log:3.55,4.0,1e-4", "lin:3600,9000,0.7"}) {
    const wavelength_grid g = parse_wavelength_grid(text);
    for (int64_t k = 0; k + 1 < g.size(); k += 97) {
      EXPECT_EQ(g.upper_edge_angstrom(k), g.lower_edge_angstrom(k + 1));
      EXPECT_LT(g.lower_edge_angstrom(k), g.center_angstrom(k));
      EXPECT_LT(g.center_angstrom(k), g.upper_edge_angstrom(k));
      EXPECT_NEAR(g.lower_edge_log10(k), std::log10(g.lower_edge_angstrom(k)), 1e-14);
    }
  }
}

TEST(WavelengthGrid, SizeOfUncheckedGridsIsSafe) {
  EXPECT_EQ(wavelength_grid{}.size(), 0);  // step 0
  EXPECT_EQ((wavelength_grid{scale::log, 4.0, 3.0, 1e-4}.size()), 0);
  EXPECT_EQ((wavelength_grid{scale::log, NAN, 3.0, 1e-4}.size()), 0);
  EXPECT_EQ((wavelength_grid{scale::linear, 0, 1e300, 1e-300}.size()), int64_t(9e18));
}

// Each malformed text throws invalid_argument whose message quotes it and contains `why`.
void expect_rejected(const std::string& text, const std::string& why) {
  try {
    parse_wavelength_grid(text);
    ADD_FAILURE() << "'" << text << "' was accepted";
  } catch (const invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("'" + text + "'"), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << "'" << text << "': " << msg;
    EXPECT_NE(msg.find("expected log:START,STOP,STEP"), std::string::npos) << msg;
  }
}

TEST(WavelengthGridParse, RejectsMalformedText) {
  expect_rejected("", "empty");
  expect_rejected("   ", "empty");
  expect_rejected("abc", "must start with 'log:' or 'lin:'");
  expect_rejected("LOG:3.5,4,1e-4", "must start with");
  expect_rejected("log3.5,4,1e-4", "must start with");
  expect_rejected("log:", "exactly 3 numbers START,STOP,STEP, got 0");
  expect_rejected("log:1,2", "got 2");
  expect_rejected("log:1,2,3,4", "got 4");
  expect_rejected("log:3.5,4,", "a number is missing");
  expect_rejected("lin:a,b,c", "'a' is not a number");
  expect_rejected("lin:3600,9000,1.5x", "'1.5x' is not a number");
  expect_rejected("lin:3600,9000,1e999", "out of the range");
  expect_rejected("log:nan,4,1e-4", "finite");
  expect_rejected("lin:3600,inf,1", "finite");
  expect_rejected("lin:3600,9000,-inf", "finite");
  expect_rejected("lin:3600,9000,0", "STEP must be > 0");
  expect_rejected("lin:3600,9000,-1.5", "STEP must be > 0");
  expect_rejected("lin:9000,3600,1", "STOP must be >= START");
  expect_rejected("lin:-100,3600,1", "must be > 0 Angstrom");
  expect_rejected("lin:0,3600,1", "must be > 0 Angstrom");
  expect_rejected("log:3600,9000,1e-4",
                  "log grid takes log10(Angstrom); did you mean log:3.5563,3.9542,1e-4?");
  expect_rejected("log:3.5,9000,1e-4", "log grid takes log10(Angstrom)");
  expect_rejected("log:3.5,4.0,1e-7", "more than 1,000,000 pixels");
  expect_rejected("lin:3000,10000,0.001", "more than 1,000,000 pixels");
  expect_rejected("lin:5000,5000.01,1e-5", "finer than 1e-8");
  expect_rejected("log:3.5,3.5,1e-10", "finer than 1e-8");
}

TEST(WavelengthGridParse, LimitsAreInclusive) {
  EXPECT_EQ(parse_wavelength_grid("lin:1000,1999.999,0.001").size(), 1'000'000);
  expect_rejected("lin:1000,2000,0.001", "more than 1,000,000 pixels");
}

TEST(WavelengthGrid, CheckRejectsGridsBuiltInCode) {
  EXPECT_THROW(check_wavelength_grid(wavelength_grid{}), invalid_argument);
  EXPECT_THROW(check_wavelength_grid({scale::linear, 3600, 9000, NAN}), invalid_argument);
  EXPECT_NO_THROW(check_wavelength_grid({scale::linear, 3600, 9000, 1.5}));
}

}  // namespace
}  // namespace specmill
