// `get --meta`: each found spectrum's catalog row beside its pixels, on a synthetic store of 24
// spectra in blocks of 8, read in windows of a few spectra. The rows are checked against the
// catalog read one ID at a time (catalog_reader::lookup), in the list's order, an unknown ID
// skipped like its spectrum; --meta no leaves the output exactly as before.
#include "common/store_setup.hpp"
#include "engine/get/get.hpp"
#include "engine/get/get_meta.hpp"

#include <gtest/gtest.h>

#include <fitsio.h>

#include <algorithm>
#include <random>

#include "common/format_readers.hpp"
#include "core/error.hpp"
#include "engine/get/get_store_fixture.hpp"
#include "engine/store_fixture.hpp"
#include "io/fits/fits_native.hpp"

using namespace specmill;
namespace fs = std::filesystem;
namespace ts = specmill::test_support;

namespace {

constexpr const char* context = "sdss_dr16";

using test_support::get_store;
std::vector<uint64_t> list_ids() { return test_support::get_list_ids(); }
std::vector<spectrum_id> as_list(const std::vector<uint64_t>& ids) { return test_support::as_id_list(ids); }

// The catalog rows of the found IDs, in list order.
std::vector<spec_meta> expected_rows(const std::vector<uint64_t>& ids) {
  store st(get_store::path(), store::access::read);
  std::vector<spec_meta> out;
  for (uint64_t id : ids)
    if (const auto e = st.catalog().lookup(context, id); e && e->location) out.push_back(e->meta);
  return out;
}

get_options options(get_format f, const fs::path& out, bool meta) {
  get_options o;
  o.store = get_store::path();
  o.format = f;
  o.out = out;
  o.progress = false;
  o.window_bytes = 20000;  // a few spectra a window: many windows
  o.meta = meta;
  return o;
}

std::string text_field(const ts::npy_array& a, const std::string& name, size_t row) {
  size_t record = 0, at = SIZE_MAX, width = 0;
  for (const auto& [n, t] : a.fields()) {
    if (n == name) at = record, width = ts::npy_array::itemsize(t);
    record += ts::npy_array::itemsize(t);
  }
  EXPECT_NE(at, SIZE_MAX) << name;
  return std::string(a.data.substr(row * record + at, width).c_str());
}

TEST(GetMeta, NpzRowsLineUpWithTheFoundSpectra) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const auto want = expected_rows(ids);
  ASSERT_EQ(want.size(), ids.size() - 1);  // the unknown ID has none
  get_spectra(options(get_format::npz, dir / "m.npz", true), as_list(ids));
  const auto z = ts::parse_npz(ts::read_bytes(dir / "m.npz"));
  const auto& meta = ts::member(z, "meta");
  ASSERT_EQ(meta.shape, std::vector<uint64_t>{want.size()});
  // meta lines up with specobjid[found]
  const auto spec_ids = ts::member(z, "specobjid").values<uint64_t>();
  const auto found = ts::member(z, "found").values<uint8_t>();
  std::vector<uint64_t> found_ids;
  for (size_t i = 0; i < spec_ids.size(); ++i)
    if (found[i]) found_ids.push_back(spec_ids[i]);
  EXPECT_EQ(meta.field<uint64_t>("specobjid"), found_ids);
  const auto plate = meta.field<int32_t>("plate"), mjd = meta.field<int32_t>("mjd"), fiber = meta.field<int32_t>("fiberid");
  const auto zz = meta.field<double>("z"), ra = meta.field<double>("ra"), dec = meta.field<double>("dec");
  const auto zwarning = meta.field<int32_t>("zwarning");
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(found_ids[j], want[j].specobjid);
    EXPECT_EQ(plate[j], want[j].plate);
    EXPECT_EQ(mjd[j], want[j].mjd);
    EXPECT_EQ(fiber[j], want[j].fiberid);
    EXPECT_EQ(zz[j], double(want[j].z));
    EXPECT_EQ(ra[j], want[j].plug_ra);
    EXPECT_EQ(dec[j], want[j].plug_dec);
    EXPECT_EQ(zwarning[j], want[j].zwarning);
    EXPECT_EQ(text_field(meta, "class", j), want[j].class_name);
    EXPECT_EQ(text_field(meta, "subclass", j), want[j].subclass);
  }
  const std::string units = ts::member(z, "meta_units").data;
  EXPECT_NE(units.find(R"("ra":"deg")"), std::string::npos) << units;
  EXPECT_NE(units.find(R"("z":"")"), std::string::npos) << units;
}

TEST(GetMeta, WithoutMetaTheOutputIsAsBefore) {
  test::temp_dir dir;
  const auto ids = list_ids();
  get_spectra(options(get_format::npz, dir / "plain.npz", false), as_list(ids));
  get_spectra(options(get_format::npz, dir / "meta.npz", true), as_list(ids));
  const auto plain = ts::parse_npz(ts::read_bytes(dir / "plain.npz"));
  const auto meta = ts::parse_npz(ts::read_bytes(dir / "meta.npz"));
  for (const auto& m : plain) EXPECT_EQ(ts::member(meta, m.name).data, m.array.data) << m.name;
  EXPECT_EQ(meta.size(), plain.size() + 2);
  EXPECT_THROW(ts::member(plain, "meta"), std::runtime_error);
  // fits and hdf5 without meta: no CATALOG table, no meta group
  get_spectra(options(get_format::fits, dir / "plain.fits", false), as_list(ids));
  fits_file f = fits_file::open_read(dir / "plain.fits");
  int hdus = 0, status = 0;
  fits_get_num_hdus(native(f), &hdus, &status);
  EXPECT_EQ(hdus, 2);  // primary, SPECTRA
}

TEST(GetMeta, FitsCatalogTableRowForRow) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const auto want = expected_rows(ids);
  get_spectra(options(get_format::fits, dir / "m.fits", true), as_list(ids));
  fits_file f = fits_file::open_read(dir / "m.fits");
  f.move_to(1);
  const auto spectra_ids = ts::fits_values<unsigned long long>(f, 1, 1, f.rows());
  f.move_to(2);
  ASSERT_EQ(f.key_string("EXTNAME"), "CATALOG");
  ASSERT_EQ(size_t(f.rows()), want.size());
  ASSERT_EQ(spectra_ids.size(), want.size());
  EXPECT_EQ(f.key_string("TTYPE8"), "Z");
  EXPECT_EQ(f.key_string("TUNIT6"), "deg");  // RA
  const auto ids_got = ts::fits_values<unsigned long long>(f, 1, 1, f.rows());
  const auto z = ts::fits_values<double>(f, 8, 1, f.rows());
  const auto mjd = ts::fits_values<int>(f, 3, 1, f.rows());
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(ids_got[j], spectra_ids[j]);
    EXPECT_EQ(ids_got[j], want[j].specobjid);
    EXPECT_EQ(z[j], double(want[j].z));
    EXPECT_EQ(mjd[j], want[j].mjd);
  }
}

TEST(GetMeta, Hdf5AndCsvCarryTheSameRows) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const auto want = expected_rows(ids);
  get_spectra(options(get_format::hdf5, dir / "m.h5", true), as_list(ids));
  const auto z = ts::h5_values<double>(ts::h5_read(dir / "m.h5", "meta/z", H5T_NATIVE_DOUBLE));
  const auto fiber = ts::h5_values<int32_t>(ts::h5_read(dir / "m.h5", "meta/fiberid", H5T_NATIVE_INT32));
  ASSERT_EQ(z.size(), want.size());
  for (size_t j = 0; j < want.size(); ++j) {
    EXPECT_EQ(z[j], double(want[j].z));
    EXPECT_EQ(fiber[j], want[j].fiberid);
  }
  get_spectra(options(get_format::csv, dir / "m.csv", true), as_list(ids));
  const auto rows = ts::parse_csv(ts::read_bytes(dir / "m.csv"));
  const auto& head = rows.at(0);
  const size_t zcol = size_t(std::find(head.begin(), head.end(), "z") - head.begin());
  const size_t platecol = size_t(std::find(head.begin(), head.end(), "plate") - head.begin());
  ASSERT_LT(zcol, head.size());
  ASSERT_LT(platecol, head.size());
  EXPECT_EQ(std::count(head.begin(), head.end(), "specobjid"), 1);  // the line's own, not repeated
  // Every line's catalog columns are its spectrum's; spectra come in list order.
  size_t j = 0;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r][1] == "0" && r > 1) ++j;
    ASSERT_LT(j, want.size());
    EXPECT_EQ(rows[r][0], std::to_string(want[j].specobjid));
    EXPECT_EQ(rows[r][platecol], std::to_string(want[j].plate));
    EXPECT_EQ(std::stod(rows[r][zcol]), double(want[j].z));
  }
  EXPECT_EQ(j + 1, want.size());
}

TEST(GetMeta, AutoYesNo) {
  EXPECT_TRUE(wants_meta(meta_mode::automatic, output_format::npz, false));
  EXPECT_TRUE(wants_meta(meta_mode::automatic, output_format::hdf5, false));
  EXPECT_TRUE(wants_meta(meta_mode::automatic, output_format::fits, false));
  EXPECT_FALSE(wants_meta(meta_mode::automatic, output_format::csv, false));
  EXPECT_FALSE(wants_meta(meta_mode::automatic, output_format::npy, false));
  EXPECT_FALSE(wants_meta(meta_mode::automatic, output_format::npz, true));  // dense forms: none yet
  EXPECT_TRUE(wants_meta(meta_mode::yes, output_format::csv, false));
  EXPECT_FALSE(wants_meta(meta_mode::no, output_format::npz, false));
  EXPECT_THROW(wants_meta(meta_mode::yes, output_format::npy, false), invalid_argument);
  EXPECT_THROW(wants_meta(meta_mode::yes, output_format::npz, true), invalid_argument);
  EXPECT_THROW(parse_meta_mode("maybe"), invalid_argument);
  EXPECT_EQ(parse_meta_mode("auto"), meta_mode::automatic);
  // The engine refuses what the CLI would not produce.
  test::temp_dir dir;
  EXPECT_THROW(get_spectra(options(get_format::npy, dir / "m.npy", true), as_list(list_ids())), invalid_argument);
  EXPECT_FALSE(fs::exists(dir / "m.npy"));
}

}  // namespace
