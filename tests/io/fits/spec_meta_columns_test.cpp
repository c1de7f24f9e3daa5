// meta_columns is the one list both HDU 2 parsers read: a one-row table holding every column of
// it, each with a value of its own, must read the same through spec_meta_table (CFITSIO) and
// decode through spec_meta_direct (the bytes), field by field. A column added to the list is
// then checked here without a change to this test.
#include "io/fits/spec_meta_columns.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "core/specobjid.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/spec_meta_direct.hpp"
#include "io/fits/spec_meta_table.hpp"

namespace specmill {
namespace {

using test::temp_dir;

// A value of its own for column k, sane for the four columns the ID is packed from.
spec_meta distinct_values() {
  spec_meta m;
  for (size_t k = 0; k < meta_columns.size(); ++k) {
    const std::string_view name = meta_columns[k].name;
    std::visit(
        [&](auto field) {
          auto& v = m.*field;
          using T = std::remove_reference_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            v = "text" + std::to_string(k);
          } else if constexpr (std::is_same_v<T, std::array<float, 5>>) {
            for (int i = 0; i < 5; ++i) v[size_t(i)] = float(k) + 0.25f * float(i);
          } else {
            v = T(1000 + k) + T(k % 2 ? 0.5 : 0);
          }
        },
        meta_columns[k].field);
    if (name == "PLATE") m.plate = 1234;
    if (name == "MJD") m.mjd = 55000;
    if (name == "FIBERID") m.fiberid = 77;
    if (name == "RUN2D") m.run2d = "v5_13_0";
  }
  m.specobjid = pack_specobjid({m.plate, m.mjd, m.fiberid, run2d_code(m.run2d)});
  return m;
}

// One-row table of every column in meta_columns except `leave_out`, after an empty primary.
void write_table(const std::filesystem::path& file, const spec_meta& m, std::string_view leave_out = {}) {
  fits_file f = fits_file::create(file);
  int status = 0;
  fits_create_img(native(f), BYTE_IMG, 0, nullptr, &status);
  test::ok(status, f, "primary");
  std::vector<fits_file::table_column> cols;
  std::vector<const meta_column*> written;
  for (const meta_column& c : meta_columns) {
    if (c.name == leave_out) continue;
    const char* form = std::visit(
        [](auto field) {
          using T = std::remove_reference_t<decltype(std::declval<spec_meta&>().*field)>;
          if constexpr (std::is_same_v<T, int32_t>) return "J";
          else if constexpr (std::is_same_v<T, float>) return "E";
          else if constexpr (std::is_same_v<T, double>) return "D";
          else if constexpr (std::is_same_v<T, int64_t>) return "K";
          else if constexpr (std::is_same_v<T, std::string>) return "16A";
          else return "5E";
        },
        c.field);
    cols.push_back({c.name, form, ""});
    written.push_back(&c);
  }
  f.create_table("SPECOBJ", cols, 1);
  for (size_t k = 0; k < written.size(); ++k) {
    std::visit(
        [&](auto field) {
          const auto& v = m.*field;
          using T = std::remove_cvref_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            f.write_column(int(k) + 1, 1, std::span<const std::string>(&v, 1));
          } else if constexpr (std::is_same_v<T, std::array<float, 5>>) {
            f.write_column(int(k) + 1, 1, std::span<const float>(v));
          } else {
            f.write_column(int(k) + 1, 1, std::span<const T>(&v, 1));
          }
        },
        written[k]->field);
  }
  f.close();
}

spec_meta read_with_cfitsio(const std::filesystem::path& file) {
  fits_file f = fits_file::open_read(file);
  f.move_to(1);
  return spec_meta_table(f, std::nullopt).read(f, 0, 1).front();
}

std::optional<spec_meta> read_direct(const std::filesystem::path& file) {
  fits_file f = fits_file::open_read(file);
  return read_spec_meta_direct(f, f.hdu_address().data_end, std::nullopt);
}

TEST(spec_meta_columns, every_column_reaches_both_parsers) {
  temp_dir dir;
  const auto file = dir.path() / "meta.fits";
  const spec_meta want = distinct_values();
  write_table(file, want);
  const spec_meta cfitsio = read_with_cfitsio(file);
  const auto direct = read_direct(file);
  ASSERT_TRUE(direct.has_value()) << "the plain table fell back";
  test::expect_same_meta(cfitsio, *direct);
  test::expect_same_meta(cfitsio, want);
  for (const meta_column& c : meta_columns) {
    std::visit([&](auto field) { EXPECT_TRUE(cfitsio.*field == want.*field) << c.name; }, c.field);
  }
}

TEST(spec_meta_columns, a_missing_required_column_is_reported_by_cfitsio_and_left_to_it_by_direct) {
  temp_dir dir;
  const spec_meta want = distinct_values();
  for (const meta_column& c : meta_columns) {
    const auto file = dir.path() / (std::string("without-") + c.name + ".fits");
    write_table(file, want, c.name);
    if (c.required(false)) {
      try {
        (void)read_with_cfitsio(file);
        ADD_FAILURE() << c.name << " missing, no error";
      } catch (const data_error& e) {
        EXPECT_NE(std::string(e.what()).find(std::string("has no ") + c.name + " column"), std::string::npos)
            << e.what();
      }
      EXPECT_FALSE(read_direct(file).has_value()) << c.name;
    } else {
      const auto direct = read_direct(file);
      ASSERT_TRUE(direct.has_value()) << c.name;
      test::expect_same_meta(read_with_cfitsio(file), *direct);
    }
  }
}

TEST(spec_meta_columns, settle_specobjid_fills_checks_and_explains) {
  spec_meta m = distinct_values();
  const uint64_t id = m.specobjid;
  m.specobjid = 0;
  EXPECT_EQ(settle_specobjid(m, std::nullopt, std::nullopt), "");
  EXPECT_EQ(m.specobjid, id);
  m.specobjid = 0;
  EXPECT_EQ(settle_specobjid(m, id, std::nullopt), "");
  EXPECT_EQ(m.specobjid, id);
  EXPECT_NE(settle_specobjid(m, id + 1, std::nullopt).find("does not match PLATE/MJD/FIBERID/RUN2D"),
            std::string::npos);
  m.run2d.clear();
  EXPECT_EQ(settle_specobjid(m, id, std::string("v5_13_0")), "");
  EXPECT_EQ(m.run2d, "v5_13_0");
  m.run2d = "nonsense";
  EXPECT_EQ(settle_specobjid(m, std::nullopt, std::nullopt).rfind("cannot form SPECOBJID: ", 0), 0u);
}

}  // namespace
}  // namespace specmill
