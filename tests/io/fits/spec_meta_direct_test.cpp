// read_spec_meta_direct (HDU 2 parsed from the file's bytes) against the CFITSIO path
// (spec_meta_table) on every real file, on synthetic files of both eras, and on damaged
// headers, which must give nullopt (the CFITSIO path then answers) and never a wrong value.
#include "io/fits/spec_meta_direct.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "engine/sample/sample_data.hpp"
#include "io/fits/fits_test_util.hpp"
#include "io/fits/spec_meta_table.hpp"

namespace specmill {
namespace {

namespace fs = std::filesystem;
using test::temp_dir;

struct both_paths {
  std::optional<spec_meta> direct;
  spec_meta cfitsio;
};

// The direct reader from HDU 1 (as sdss_spec_reader does), then the CFITSIO path.
std::optional<spec_meta> direct_only(const fs::path& file) {
  fits_file f = fits_file::open_read(file);
  const auto run2d = f.key_string("RUN2D");
  f.move_to(1);
  return read_spec_meta_direct(f, f.hdu_address().data_end, run2d);
}

both_paths read_both(const fs::path& file) {
  both_paths out;
  out.direct = direct_only(file);
  fits_file f = fits_file::open_read(file);
  const auto run2d = f.key_string("RUN2D");
  f.move_to(2);
  out.cfitsio = spec_meta_table(f, run2d).read(f, 0, 1).front();
  return out;
}

std::vector<fs::path> spec_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && name.starts_with("spec-") && name.ends_with(".fits")) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(spec_meta_direct, equals_cfitsio_on_every_real_file) {
  const auto files = spec_files(test::shared_data() / "spectra");
  ASSERT_EQ(files.size(), 10u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const both_paths r = read_both(file);
    ASSERT_TRUE(r.direct.has_value()) << "a real file fell back to CFITSIO";
    test::expect_same_meta(*r.direct, r.cfitsio);
  }
}

TEST(spec_meta_direct, equals_cfitsio_on_synthetic_files_of_both_eras) {
  temp_dir dir;
  sample_options o;
  o.out = dir.path();
  o.count = 40;
  o.seed = 7;
  o.legacy_fraction = 0.5;
  o.jobs = 1;
  write_sample_data(o);
  const auto files = spec_files(dir.path());
  ASSERT_EQ(files.size(), 40u);
  for (const auto& file : files) {
    SCOPED_TRACE(file.string());
    const both_paths r = read_both(file);
    ASSERT_TRUE(r.direct.has_value());
    test::expect_same_meta(*r.direct, r.cfitsio);
    // And the whole reader (direct HDU 2) against the CFITSIO-only pieces.
    test::expect_same_meta(read_sdss_spectrum(file).meta, r.cfitsio);
  }
}

// A real file's bytes with HDU 2's header and row located, for editing.
struct file_image {
  std::vector<char> bytes;
  size_t header = 0;  // HDU 2's first byte
  size_t data = 0;    // its row's first byte

  explicit file_image(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
    fits_file f = fits_file::open_read(file);
    f.move_to(2);
    const auto a = f.hdu_address();
    header = size_t(a.header_start);
    data = size_t(a.data_start);
  }
  // The card of HDU 2 whose first 8 columns start with `key` (padded to a keyword).
  char* card(const std::string& key) {
    std::string k = key;
    k.resize(8, ' ');
    for (size_t p = header; p < data; p += 80) {
      if (std::memcmp(&bytes[p], k.data(), 8) == 0) return &bytes[p];
    }
    ADD_FAILURE() << "no card " << key;
    return &bytes[header];
  }
  int column_of(const std::string& name) {
    for (size_t p = header; p < data; p += 80) {
      const std::string c(&bytes[p], 80);
      if (c.starts_with("TTYPE") && c.find("'" + name + " ") != std::string::npos) return std::stoi(c.substr(5, 3));
      if (c.starts_with("TTYPE") && c.find("'" + name + "'") != std::string::npos) return std::stoi(c.substr(5, 3));
    }
    ADD_FAILURE() << "no column " << name;
    return 0;
  }
  void set_card(const std::string& key, const std::string& text) {
    std::string t = text;
    t.resize(80, ' ');
    std::memcpy(card(key), t.data(), 80);
  }
  fs::path write(const temp_dir& dir, const std::string& name) const {
    const fs::path p = dir.path() / name;
    std::ofstream(p, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
    return p;
  }
};

const char* boss = "3655-55240-0002";
const char* legacy = "0266-51602-0013";

// The damaged file must not be read by the direct path, and the whole reader must throw
// `Error` (the CFITSIO path's verdict), never return a value.
template <class Error>
void expect_fallback_error(const fs::path& file) {
  EXPECT_FALSE(direct_only(file).has_value());
  EXPECT_THROW(read_sdss_spectrum(file), Error);
}

TEST(spec_meta_direct, missing_required_column_falls_back_to_the_cfitsio_error) {
  temp_dir dir;
  file_image img(test::real_spectrum(boss));
  const int z = img.column_of("Z");
  img.set_card("TTYPE" + std::to_string(z), "TTYPE" + std::to_string(z) + (z < 100 ? "  " : " ") + "= 'ZED'");
  const fs::path file = img.write(dir, "no-z.fits");
  expect_fallback_error<data_error>(file);
  try {
    read_sdss_spectrum(file);
  } catch (const data_error& e) {
    EXPECT_NE(std::string(e.what()).find("has no Z column"), std::string::npos) << e.what();
  }
}

TEST(spec_meta_direct, missing_end_falls_back) {
  temp_dir dir;
  file_image img(test::real_spectrum(boss));
  img.set_card("END", "COMMENT no end here");
  // CFITSIO then runs on into the row and later HDUs looking for END: whatever it decides,
  // the direct path must not have answered.
  EXPECT_FALSE(direct_only(img.write(dir, "no-end.fits")).has_value());
}

TEST(spec_meta_direct, bad_tform_falls_back_to_the_cfitsio_error) {
  temp_dir dir;
  file_image img(test::real_spectrum(boss));
  const int z = img.column_of("Z");
  const std::string key = "TFORM" + std::to_string(z);
  img.set_card(key, key + std::string(8 - key.size(), ' ') + "= 'W       '");
  const fs::path file = img.write(dir, "bad-tform.fits");
  EXPECT_FALSE(direct_only(file).has_value());
  EXPECT_THROW(read_sdss_spectrum(file), error);
}

TEST(spec_meta_direct, naxis1_disagreeing_with_the_columns_falls_back) {
  temp_dir dir;
  file_image img(test::real_spectrum(boss));
  img.set_card("NAXIS1", "NAXIS1  =                 3880");
  const fs::path file = img.write(dir, "bad-naxis1.fits");
  EXPECT_FALSE(direct_only(file).has_value());
  EXPECT_THROW(read_sdss_spectrum(file), error);
}

TEST(spec_meta_direct, scaled_integer_column_falls_back_to_cfitsio_value) {
  temp_dir dir;
  file_image img(test::real_spectrum(boss));
  // A TZERO on ZWARNING, in END's place, END moved one card on (the record has room).
  const int zw = img.column_of("ZWARNING");
  char* spare = img.card("END");
  ASSERT_LT(size_t(spare - img.bytes.data()) + 80, img.data);
  std::memcpy(spare + 80, spare, 80);
  std::string card = "TZERO" + std::to_string(zw);
  card.resize(8, ' ');
  card += "=                    5";
  card.resize(80, ' ');
  std::memcpy(spare, card.data(), 80);
  const fs::path file = img.write(dir, "tzero.fits");
  EXPECT_FALSE(direct_only(file).has_value());
  const both_paths r = read_both(file);
  EXPECT_EQ(read_sdss_spectrum(file).meta.zwarning, r.cfitsio.zwarning);
}

TEST(spec_meta_direct, truncated_inside_hdu2_falls_back_to_the_cfitsio_error) {
  temp_dir dir;
  for (size_t cut : {size_t(1), size_t(2880), size_t(5000)}) {
    file_image img(test::real_spectrum(boss));
    img.bytes.resize(img.header + cut);
    const fs::path file = img.write(dir, "cut-" + std::to_string(cut) + ".fits");
    SCOPED_TRACE(cut);
    EXPECT_FALSE(direct_only(file).has_value());
    EXPECT_THROW(read_sdss_spectrum(file), error);
  }
  // Cut inside the row (header intact): geometry check, not a short read.
  file_image img(test::real_spectrum(boss));
  img.bytes.resize(img.data + 100);
  const fs::path file = img.write(dir, "cut-row.fits");
  EXPECT_FALSE(direct_only(file).has_value());
  EXPECT_THROW(read_sdss_spectrum(file), error);
}

// The direct reader reads through CFITSIO's buffers; on a truncated file it must leave them so
// that CFITSIO's own move to HDU 2 then fails exactly as it does without it (same status and
// message: a partial record in its cache once turned "error reading" into "keyword out of bounds").
TEST(spec_meta_direct, cfitsio_reports_a_truncated_hdu2_as_it_does_without_the_direct_read) {
  temp_dir dir;
  auto move_error = [](const fs::path& file, bool direct_first) {
    fits_file f = fits_file::open_read(file);
    f.move_to(1);
    if (direct_first) {
      EXPECT_FALSE(read_spec_meta_direct(f, f.hdu_address().data_end, std::nullopt).has_value());
    }
    try {
      f.move_to(2);
      const auto layout_rows = f.rows();
      return std::string("moved; rows ") + std::to_string(layout_rows);
    } catch (const fits_error& e) {
      return std::to_string(e.status) + ": " + e.what();
    }
  };
  for (size_t cut : {size_t(1), size_t(2880), size_t(5000), size_t(2880 * 14 + 100), size_t(2880 * 15 - 1)}) {
    file_image img(test::real_spectrum(boss));
    img.bytes.resize(img.header + cut);
    const fs::path file = img.write(dir, "cut-" + std::to_string(cut) + ".fits");
    SCOPED_TRACE(cut);
    EXPECT_EQ(move_error(file, true), move_error(file, false));
  }
}

TEST(spec_meta_direct, specobjid_disagreeing_with_plate_falls_back_to_the_cfitsio_error) {
  temp_dir dir;
  for (const char* stem : {boss, legacy}) {
    file_image img(test::real_spectrum(stem));
    // PLATE's value in the row, found from the header as the direct reader does.
    const auto layout = parse_bintable_header(std::span(reinterpret_cast<const unsigned char*>(&img.bytes[img.header]),
                                                        img.data - img.header));
    ASSERT_TRUE(layout.has_value());
    const bintable_field* plate = layout->find("PLATE");
    ASSERT_NE(plate, nullptr);
    img.bytes[img.data + size_t(plate->offset) + 3] ^= 1;
    const fs::path file = img.write(dir, std::string("plate-") + stem + ".fits");
    SCOPED_TRACE(stem);
    expect_fallback_error<data_error>(file);
  }
}

TEST(spec_meta_direct, string_with_nul_and_blanks_reads_as_cfitsio_reads_it) {
  temp_dir dir;
  file_image img(test::real_spectrum(legacy));  // CLASS 6A, SUBCLASS 21A
  const auto layout = parse_bintable_header(std::span(reinterpret_cast<const unsigned char*>(&img.bytes[img.header]),
                                                      img.data - img.header));
  ASSERT_TRUE(layout.has_value());
  const bintable_field* subclass = layout->find("SUBCLASS");
  const bintable_field* cls = layout->find("CLASS");
  ASSERT_TRUE(subclass && cls);
  std::memcpy(&img.bytes[img.data + size_t(subclass->offset)], "  AB\0CD  EF          ", 21);
  std::memcpy(&img.bytes[img.data + size_t(cls->offset)], "\0QSO  ", 6);
  const both_paths r = read_both(img.write(dir, "strings.fits"));
  ASSERT_TRUE(r.direct.has_value());
  test::expect_same_meta(*r.direct, r.cfitsio);
  EXPECT_EQ(r.direct->subclass, "AB");
  EXPECT_EQ(r.direct->class_name, "");
}

TEST(spec_meta_direct, gzip_input_still_reads) {
  // .gz goes through CFITSIO's memory file; the direct path reads its bytes the same way.
  temp_dir dir;
  const fs::path plain = dir.copy_of(boss);
  ASSERT_EQ(std::system(("gzip -k '" + plain.string() + "'").c_str()), 0);
  test::expect_same_meta(read_sdss_spectrum(fs::path(plain.string() + ".gz")).meta, read_both(plain).cfitsio);
}

TEST(spec_meta_direct, parser_refuses_what_is_not_the_plain_layout) {
  // A header built card by card: the plain one parses; each damage gives nullopt.
  auto header = [](std::vector<std::string> cards) {
    std::string h;
    for (auto c : cards) {
      c.resize(80, ' ');
      h += c;
    }
    h.resize((h.size() + 2879) / 2880 * 2880, ' ');
    return h;
  };
  auto parse = [](const std::string& h) {
    return parse_bintable_header(std::span(reinterpret_cast<const unsigned char*>(h.data()), h.size()));
  };
  const std::vector<std::string> plain = {
      "XTENSION= 'BINTABLE'", "BITPIX  =                    8", "NAXIS   =                    2",
      "NAXIS1  =                   12", "NAXIS2  =                    1", "PCOUNT  =                    0",
      "GCOUNT  =                    1", "TFIELDS =                    2", "TTYPE1  = 'PLATE   '",
      "TFORM1  = 'J       '",           "TTYPE2  = 'CLASS'",              "TFORM2  = '8A'",
      "END"};
  const std::string plain_header = header(plain);  // the layout's names view these bytes: kept alive
  const auto ok = parse(plain_header);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->fields.size(), 2u);
  EXPECT_EQ(ok->find("class")->offset, 4);
  EXPECT_EQ(ok->find("plate")->type, 'J');

  auto damaged = [&](size_t i, const std::string& card) {
    auto cards = plain;
    cards[i] = card;
    return parse(header(cards));
  };
  EXPECT_FALSE(damaged(12, "COMMENT").has_value());                           // no END
  EXPECT_FALSE(damaged(11, "TFORM2  = '8Q'").has_value());                    // unknown type
  EXPECT_FALSE(damaged(11, "TFORM2  = '1PE(8)'").has_value());                // variable length
  EXPECT_FALSE(damaged(11, "TFORM2  = '9A'").has_value());                    // widths != NAXIS1
  EXPECT_FALSE(damaged(11, "COMMENT").has_value());                           // no TFORM2
  EXPECT_FALSE(damaged(5, "PCOUNT  =                   10").has_value());    // a heap
  EXPECT_FALSE(damaged(3, "NAXIS1  =                 12.0").has_value());    // not an integer
  EXPECT_FALSE(damaged(8, "TTYPE01 = 'PLATE'").has_value());                 // CFITSIO reads as 1
  EXPECT_FALSE(damaged(8, "TTYPE1  = 'PL''ATE'").has_value());               // escaped quote
  EXPECT_FALSE(damaged(0, "XTENSION= 'A3DTABLE'").has_value());
  EXPECT_FALSE(damaged(8, std::string("TTYPE1  = 'PL\x01TE'")).has_value()); // not printable
  auto cards = plain;
  cards.insert(cards.begin() + 8, "ZIMAGE  =                    T");
  EXPECT_FALSE(parse(header(cards)).has_value());
  // Truncated: bytes without an END.
  EXPECT_EQ(bintable_header_bytes(std::span(reinterpret_cast<const unsigned char*>(plain_header.data()), 960)), 0);
}

}  // namespace
}  // namespace specmill
