// Catalog rows (table_schema::meta, `get --meta`) in each format that carries them: one record
// per found row, in row order, fed window by window with the pixels; read back through the
// test readers (numpy's structured layout, HDF5 datasets with a units attribute, FITS table
// CATALOG with TUNITn, CSV columns appended).
#include <gtest/gtest.h>

#include <fitsio.h>

#include <cstring>

#include <sstream>

#include "io/formats/sink_detail.hpp"
#include "sink_fixture.hpp"

namespace specmill::test {
namespace {

using test_support::fits_values;
using test_support::h5_read;
using test_support::h5_values;

// The ragged case's found rows (0, 2, 3, 5) with four catalog columns; row 3's class holds a
// comma and a quote, which CSV has to quote.
struct meta_case {
  table_data d = ragged_case();
  std::vector<size_t> found_rows;
  std::string records;  // every found row's record, in order

  meta_case() {
    d.schema.meta.columns = {{"specobjid", meta_type::u8, 0, ""},
                             {"plate", meta_type::i4, 0, ""},
                             {"ra", meta_type::f8, 0, "deg"},
                             {"class", meta_type::text, 8, ""}};
    for (size_t i = 0; i < d.schema.rows(); ++i) {
      if (!d.schema.found[i]) continue;
      found_rows.push_back(i);
      put(records, d.schema.specobjid[i]);
      put(records, plate(i));
      put(records, ra(i));
      std::string cls = klass(i);
      cls.resize(8, '\0');
      records += cls;
    }
  }
  static int32_t plate(size_t i) { return int32_t(7000 + i); }
  static double ra(size_t i) { return 10.5 + 0.1 * double(i); }  // not exact in binary: bit-exact round trips
  static std::string klass(size_t i) { return i == 3 ? "QSO,\"x\"" : "GALAXY"; }
};

// Feeds the case in windows of `rows` rows, each with its found rows' records.
void feed_meta(table_sink& sink, const meta_case& m, size_t rows) {
  const table_schema& s = m.d.schema;
  const size_t rec = s.meta.record_bytes();
  std::vector<const void*> ptrs(m.d.columns.size());
  size_t done_records = 0;
  for (size_t row = 0; row < s.rows(); row += rows) {
    const size_t n = std::min(rows, s.rows() - row);
    const uint64_t first = s.elements(0, row);
    for (size_t k = 0; k < ptrs.size(); ++k) ptrs[k] = m.d.columns[k].data() + first * npy_itemsize(s.columns[k].type);
    const size_t found = s.found_rows(row, n);
    sink.append({row, n, ptrs, {m.records.data() + done_records * rec, found}, {}});
    done_records += found;
  }
  sink.finish();
}

fs::path write_meta(output_format f, const meta_case& m, const temp_dir& dir, const std::string& name, size_t rows = 2) {
  const fs::path p = dir / name;
  auto sink = begin_table(f, m.d.schema, output_target(p));
  feed_meta(*sink, m, rows);
  return p;
}

TEST(MetaSink, RecordLayoutIsNumpys) {
  const meta_case m;
  EXPECT_EQ(m.d.schema.meta.record_bytes(), 8u + 4u + 8u + 8u);
  EXPECT_EQ(m.d.schema.meta.offset(3), 20u);
  EXPECT_EQ(m.d.schema.meta.numpy_descr(), "[('specobjid', '<u8'), ('plate', '<i4'), ('ra', '<f8'), ('class', '|S8'), ]");
  EXPECT_EQ(m.d.schema.meta.units_json(), R"({"specobjid":"","plate":"","ra":"deg","class":""})");
}

TEST(MetaSink, NpzStructuredArrayOfFoundRowsAndUnits) {
  temp_dir dir;
  const meta_case m;
  const auto z = test_support::parse_npz(test_support::read_bytes(write_meta(output_format::npz, m, dir, "m.npz")));
  const auto& meta = test_support::member(z, "meta");
  ASSERT_EQ(meta.shape, std::vector<uint64_t>{4});
  EXPECT_EQ(meta.data, m.records);  // the records as packed, in order
  const auto ids = meta.field<uint64_t>("specobjid");
  const auto ra = meta.field<double>("ra");
  for (size_t j = 0; j < m.found_rows.size(); ++j) {
    EXPECT_EQ(ids[j], m.d.schema.specobjid[m.found_rows[j]]);
    EXPECT_EQ(ra[j], meta_case::ra(m.found_rows[j]));
  }
  const auto units = test_support::member(z, "meta_units").data;
  EXPECT_EQ(units, m.d.schema.meta.units_json());
  // The pixel members are those of an output without meta.
  table_data plain = ragged_case();
  const auto z0 = test_support::parse_npz(write_stream(output_format::npz, plain));
  for (const auto& member : z0) EXPECT_EQ(test_support::member(z, member.name).data, member.array.data) << member.name;
  EXPECT_EQ(z.size(), z0.size() + 2);
}

TEST(MetaSink, NpzStreamHoldsTheFilesMembers) {
  temp_dir dir;
  const meta_case m;
  const std::string file = test_support::read_bytes(write_meta(output_format::npz, m, dir, "m.npz", 1));
  std::string bytes;
  auto sink = begin_table(output_format::npz, m.d.schema,
                          output_target("(test stream)", [&](const char* p, size_t n) { bytes.append(p, n); }));
  feed_meta(*sink, m, 4);
  EXPECT_EQ(test_support::member(test_support::parse_npz(bytes), "meta").data,
            test_support::member(test_support::parse_npz(file), "meta").data);
}

std::string dataset_units(const fs::path& file, const std::string& dataset) {
  h5::file f(h5::check(H5Fopen(file.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), "H5Fopen"));
  h5::attribute a(h5::check(H5Aopen_by_name(f.get(), dataset.c_str(), "units", H5P_DEFAULT, H5P_DEFAULT), "H5Aopen"));
  h5::datatype t(h5::check(H5Aget_type(a.get()), "H5Aget_type"));
  std::string v(H5Tget_size(t.get()), '\0');
  h5::check(H5Aread(a.get(), t.get(), v.data()), "H5Aread");
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v;
}

TEST(MetaSink, Hdf5GroupOfColumnsWithUnits) {
  temp_dir dir;
  const meta_case m;
  const fs::path p = write_meta(output_format::hdf5, m, dir, "m.h5");
  const auto ids = h5_values<uint64_t>(h5_read(p, "meta/specobjid", H5T_NATIVE_UINT64));
  const auto plates = h5_values<int32_t>(h5_read(p, "meta/plate", H5T_NATIVE_INT32));
  const auto ra = h5_values<double>(h5_read(p, "meta/ra", H5T_NATIVE_DOUBLE));
  h5::datatype text(H5Tcopy(H5T_C_S1));
  H5Tset_size(text.get(), 8);
  H5Tset_strpad(text.get(), H5T_STR_NULLPAD);
  const auto cls = h5_read(p, "meta/class", text.get());
  ASSERT_EQ(ids.size(), 4u);
  for (size_t j = 0; j < 4; ++j) {
    const size_t i = m.found_rows[j];
    EXPECT_EQ(ids[j], m.d.schema.specobjid[i]);
    EXPECT_EQ(plates[j], meta_case::plate(i));
    EXPECT_EQ(ra[j], meta_case::ra(i));
    EXPECT_EQ(std::string(cls.data.substr(j * 8, 8).c_str()), meta_case::klass(i));
  }
  EXPECT_EQ(dataset_units(p, "meta/ra"), "deg");
  EXPECT_EQ(dataset_units(p, "meta/plate"), "");
}

TEST(MetaSink, FitsCatalogTableRowForRowWithSpectra) {
  temp_dir dir;
  const meta_case m;
  fits_file f = fits_file::open_read(write_meta(output_format::fits, m, dir, "m.fits", 1));
  f.move_to(1);
  ASSERT_EQ(f.key_string("EXTNAME"), "SPECTRA");
  const long long spectra = f.rows();
  const auto spectra_ids = fits_values<unsigned long long>(f, 1, 1, spectra);
  f.move_to(2);
  ASSERT_EQ(f.key_string("EXTNAME"), "CATALOG");
  ASSERT_EQ(f.rows(), spectra);
  EXPECT_EQ(f.key_string("TTYPE3"), "RA");
  EXPECT_EQ(f.key_string("TUNIT3"), "deg");
  EXPECT_EQ(f.key_string("TFORM4"), "8A");
  const auto ids = fits_values<unsigned long long>(f, 1, 1, 4);
  const auto plates = fits_values<int>(f, 2, 1, 4);
  const auto ra = fits_values<double>(f, 3, 1, 4);
  for (size_t j = 0; j < 4; ++j) {
    const size_t i = m.found_rows[j];
    EXPECT_EQ(ids[j], spectra_ids[j]);
    EXPECT_EQ(ids[j], m.d.schema.specobjid[i]);
    EXPECT_EQ(plates[j], meta_case::plate(i));
    EXPECT_EQ(ra[j], meta_case::ra(i));
    char buf[16] = {};
    char* cell = buf;
    int status = 0, anynul = 0;
    fits_read_col(native(f), TSTRING, 4, (long long)(j + 1), 1, 1, nullptr, &cell, &anynul, &status);
    ASSERT_EQ(status, 0);
    EXPECT_EQ(std::string(buf), meta_case::klass(i));
  }
}

TEST(MetaSink, CsvColumnsOnEveryLineOfTheSpectrum) {
  temp_dir dir;
  const meta_case m;
  const std::string text = test_support::read_bytes(write_meta(output_format::csv, m, dir, "m.csv"));
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "specobjid,pixel,flux,and_mask,plate,ra,class");  // specobjid is not repeated
  size_t lines = 0;
  for (size_t i : m.found_rows) {
    for (int64_t p = m.d.schema.offsets[i]; p < m.d.schema.offsets[i + 1]; ++p, ++lines) {
      ASSERT_TRUE(std::getline(in, line));
      std::string tail = "," + std::to_string(meta_case::plate(i)) + ",";
      std::string num;
      formats_detail::append_number(num, meta_case::ra(i));
      tail += num + "," + (i == 3 ? std::string("\"QSO,\"\"x\"\"\"") : meta_case::klass(i));
      EXPECT_TRUE(line.ends_with(tail)) << line << " / " << tail;
      EXPECT_TRUE(line.starts_with(std::to_string(m.d.schema.specobjid[i]) + ",")) << line;
    }
  }
  EXPECT_EQ(lines, size_t(m.d.schema.offsets.back()));
  EXPECT_FALSE(std::getline(in, line));
}

TEST(MetaSink, WrongRecordCountNpyAndOtherLayoutsAreInvalid) {
  temp_dir dir;
  const meta_case m;
  auto sink = begin_table(output_format::npz, m.d.schema, output_target(dir / "bad.npz"));
  std::vector<const void*> ptrs = {m.d.columns[0].data(), m.d.columns[1].data()};
  // Rows 0 and 1: one found row, two records given.
  EXPECT_THROW(sink->append({0, 2, ptrs, {m.records.data(), 2}, {}}), invalid_argument);
  EXPECT_THROW(begin_table(output_format::npy, m.d.schema, output_target(dir / "m.npy")), invalid_argument);
  table_data dense = dense_case();
  dense.schema.meta = m.d.schema.meta;
  EXPECT_THROW(begin_table(output_format::npz, dense.schema, output_target(dir / "d.npz")), invalid_argument);
}

}  // namespace
}  // namespace specmill::test
