// meta_reader on a catalog held in memory: the records of a window's found IDs only, packed as
// the schema says, in list order; a row that vanished or a text wider than its column is a
// data_error, never a cut or invented value.
#include "engine/get/get_meta.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"

using namespace specmill;

namespace {

// Answers lookup() from a map; the rest of the interface is not used by meta_reader.
class map_catalog final : public catalog_reader {
 public:
  std::map<uint64_t, spec_meta> rows;
  std::string backend() const override { return "test"; }
  int version() const override { return 2; }
  bool has_healpix_index() const override { return false; }
  bool has_context(std::string_view) override { return true; }
  std::vector<context_info> contexts() override { return {}; }
  std::optional<spectrum_location> find_pixels(uint64_t) override { return std::nullopt; }
  std::optional<catalog_entry> lookup(std::string_view context, uint64_t id) override {
    const auto it = rows.find(id);
    if (it == rows.end()) return std::nullopt;
    return catalog_entry{std::string(context), it->second, spectrum_location{}};
  }
  std::optional<catalog_entry> lookup(std::string_view, int32_t, int32_t, int32_t) override { return std::nullopt; }
  std::vector<block_record> blocks() override { return {}; }
  void for_each_located(std::string_view, const std::function<void(const catalog_entry&)>&) override {}
  std::vector<catalog_table_info> catalog_tables() override { return {}; }
  std::unique_ptr<catalog_locator> locator(std::string) override { return nullptr; }
};

spec_meta row(uint64_t id, const char* cls) {
  spec_meta m;
  m.specobjid = id;
  m.plate = int32_t(id % 1000);
  m.mjd = 55000 + int32_t(id % 7);
  m.fiberid = int32_t(id % 13);
  m.plug_ra = 0.1 * double(id);
  m.plug_dec = -0.3;
  m.z = 0.25f + float(id) * 1e-3f;
  m.class_name = cls;
  m.subclass = "";
  return m;
}

// A resolved list item: found (with a location) or not.
resolved_id item(uint64_t id, bool found) {
  if (!found) return resolved_id::make_missing(id, 0);
  spec_meta keys;
  keys.specobjid = id;
  return resolved_id::from_entry(catalog_entry{"", keys, spectrum_location{0, 0, 0, 10}});
}

template <class T>
T at(const meta_schema& s, const char* records, size_t r, const std::string& name) {
  for (size_t k = 0; k < s.columns.size(); ++k) {
    if (s.columns[k].name != name) continue;
    T v;
    std::memcpy(&v, records + r * s.record_bytes() + s.offset(k), sizeof v);
    return v;
  }
  throw std::runtime_error("no column " + name);
}

TEST(MetaReader, RecordsOfTheWindowsFoundIdsInOrder) {
  map_catalog cat;
  for (uint64_t id : {11, 12, 14, 15}) cat.rows[id] = row(id, id == 14 ? "QSO" : "GALAXY");
  const std::vector<resolved_id> ids = {item(11, true), item(13, false), item(15, true), item(14, true), item(12, true)};
  meta_reader reader(cat, "ctx", meta_columns::sdss);
  const meta_schema& s = reader.schema();
  const meta_window w = reader.read(ids, 1, 4);  // 13 (not found), 15, 14
  ASSERT_EQ(w.rows, 2u);
  const char* rec = static_cast<const char*>(w.records);
  EXPECT_EQ(at<uint64_t>(s, rec, 0, "specobjid"), 15u);
  EXPECT_EQ(at<uint64_t>(s, rec, 1, "specobjid"), 14u);
  EXPECT_EQ(at<int32_t>(s, rec, 1, "mjd"), 55000 + 14 % 7);
  EXPECT_EQ(at<double>(s, rec, 0, "ra"), 0.1 * 15.0);
  EXPECT_EQ(at<double>(s, rec, 1, "z"), double(0.25f + 14.0f * 1e-3f));
  size_t cls = 0;
  while (s.columns[cls].name != "class") ++cls;
  EXPECT_EQ(std::string(rec + s.record_bytes() + s.offset(cls)), "QSO");
  EXPECT_EQ(std::string(rec + s.offset(cls)), "GALAXY");
  EXPECT_EQ(reader.read(ids, 1, 2).rows, 0u);  // a window of only a missing ID
}

TEST(MetaReader, VanishedRowOrTooWideTextIsDataError) {
  map_catalog cat;
  cat.rows[11] = row(11, "GALAXY");
  meta_reader reader(cat, "ctx", meta_columns::sdss);
  EXPECT_THROW(reader.read(std::vector<resolved_id>{item(12, true)}, 0, 1), data_error);  // resolved, then gone from the catalog
  cat.rows[11].subclass = std::string(40, 'x');                   // the subclass column holds 32 bytes
  EXPECT_THROW(reader.read(std::vector<resolved_id>{item(11, true)}, 0, 1), data_error);
}

TEST(MetaReader, DesiNamesAndNoSdssOnlyColumns) {
  const meta_schema s = get_meta_schema(meta_columns::desi);
  std::vector<std::string> names;
  for (const auto& c : s.columns) names.push_back(c.name);
  for (const char* want : {"targetid", "survey", "program", "healpix", "z", "zerr", "zwarn", "spectype", "flux_r"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const char* absent : {"mjd", "fiberid", "class", "sn_median_all"})
    EXPECT_EQ(std::find(names.begin(), names.end(), absent), names.end()) << absent;
  EXPECT_EQ(meta_columns_of(desi_native_grid), meta_columns::desi);
  EXPECT_EQ(meta_columns_of(sdss_native_grid), meta_columns::sdss);
}

}  // namespace
