#pragma once
// Small results in each layout, fed to a format's sink in windows, to a file or a stream; shared
// by tests/io/formats/*_sink_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "common/format_readers.hpp"
#include "core/error.hpp"
#include "common/temp_dir.hpp"
#include "io/formats/table_sink.hpp"

namespace specmill::test {

namespace fs = std::filesystem;
using test_support::temp_dir;

// A schema and every element of each column (all rows, in order), as bytes.
struct table_data {
  table_schema schema;
  std::vector<std::string> columns;

  template <class T>
  std::vector<T> column(size_t k) const {
    std::vector<T> v(columns[k].size() / sizeof(T));
    if (!v.empty()) std::memcpy(v.data(), columns[k].data(), columns[k].size());
    return v;
  }
};

// Awkward float values: negative zero, a denormal, the largest float, a non-terminating
// decimal; CSV has to bring each back bit for bit.
inline float sample_float(size_t i, size_t k) {
  static const float specials[] = {-0.0f, 1e-45f, std::numeric_limits<float>::max(), 0.1f, -2.5e-7f};
  if ((i + k) % 7 == 3) return specials[(i / 7 + k) % 5];
  return float(i) * 1.25f - float(k) * 3.0f + 0.0625f;
}
inline int32_t sample_int(size_t i, size_t k) {
  return i % 5 == 2 ? std::numeric_limits<int32_t>::min() : int32_t(i * 4097 + k * 16) - 100;
}

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}

// Fills every column of d.schema with the sample values.
inline void fill(table_data& d) {
  const uint64_t n = d.schema.elements(0, d.schema.rows());
  d.columns.assign(d.schema.columns.size(), {});
  for (size_t k = 0; k < d.schema.columns.size(); ++k) {
    for (size_t i = 0; i < n; ++i) {
      switch (d.schema.columns[k].type) {
        case npy_dtype::f4: put(d.columns[k], sample_float(i, k)); break;
        case npy_dtype::f8: put(d.columns[k], 3000.0 + double(i) * 0.5 + 1e-9 * double(k)); break;
        case npy_dtype::i4: put(d.columns[k], sample_int(i, k)); break;
        default: FAIL() << "no sample values for this type";
      }
    }
  }
}

// 6 list items, pixels {3, 0, 4, 1, 0, 2}: items 1 and 4 have none (not found). Columns flux
// (f4) and and_mask (i4).
inline table_data ragged_case(size_t rows = 6) {
  static const int64_t npix[] = {3, 0, 4, 1, 0, 2};
  table_data d;
  table_schema& s = d.schema;
  s.layout = table_layout::ragged;
  s.columns = {{"flux", npy_dtype::f4, ""}, {"and_mask", npy_dtype::i4, ""}};
  s.metadata = {{"context", std::string("sdss_dr16"), "CONTEXT", "specmill context"}};
  s.offsets = {0};
  for (size_t i = 0; i < rows; ++i) {
    s.offsets.push_back(s.offsets.back() + npix[i % 6]);
    s.specobjid.push_back(i == 2 ? ~uint64_t(0) - 5 : 1000 + i);  // one ID above 2^63
    s.found.push_back(npix[i % 6] > 0);
    s.plate.push_back(int32_t(266 + i));
    s.mjd.push_back(int32_t(51602 + i));
    s.fiberid.push_back(int32_t(13 + i));
  }
  fill(d);
  return d;
}

// 3 list items (the second not found) of width 4 on a grid; columns flux, ivar (f4) and
// and_mask (i4).
inline table_data dense_case(size_t rows = 3, int64_t width = 4) {
  table_data d;
  table_schema& s = d.schema;
  s.layout = table_layout::dense;
  s.columns = {{"flux", npy_dtype::f4, ""}, {"ivar", npy_dtype::f4, ""}, {"and_mask", npy_dtype::i4, ""}};
  s.metadata = {{"context", std::string("sdss_dr16"), "CONTEXT", "specmill context"},
                {"grid", std::string("lattice 35500+4 (loglam = index * 1e-4)"), "GRID", "wavelength grid of the vector columns"}};
  for (size_t i = 0; i < rows; ++i) {
    s.specobjid.push_back(2000 + i);
    s.found.push_back(i != 1);
  }
  s.width = width;
  for (int64_t j = 0; j < width; ++j) {
    s.loglam.push_back(3.55 + 1e-4 * double(j));
    s.wavelength.push_back(std::pow(10.0, s.loglam.back()));
  }
  fill(d);
  return d;
}

// A stack-like table: 5 rows of wavelength (f8), flux (f4), n (i4), with metadata.
inline table_data table_case(uint64_t rows = 5) {
  table_data d;
  table_schema& s = d.schema;
  s.layout = table_layout::table;
  s.extname = "STACK";
  s.columns = {{"wavelength", npy_dtype::f8, "Angstrom"}, {"flux", npy_dtype::f4, ""}, {"n", npy_dtype::i4, ""}};
  s.metadata = {{"specmill", std::string("test"), "SPECMILL", "specmill version"},
                {"method", std::string("median"), "METHOD", "stacking method"},
                {"sigma", 3.0, "SIGMA", "clip beyond SIGMA x 1.4826 MAD"},
                {"n_used", int64_t(10), "NUSED", "spectra stacked"},
                {"tiles", int64_t(2), "", ""}};
  s.n_rows = rows;
  fill(d);
  return d;
}

// Feeds the rows to the sink in windows of these sizes (the last one repeated), then finishes.
inline void feed(table_sink& sink, const table_data& d, std::vector<size_t> window_rows = {1, 2}, bool finish = true,
                 size_t max_windows = SIZE_MAX) {
  const table_schema& s = d.schema;
  std::vector<const void*> ptrs(d.columns.size());
  size_t row = 0, w = 0;
  while (row < s.rows() && w < max_windows) {
    const size_t n = std::min<size_t>(window_rows[std::min(w, window_rows.size() - 1)], s.rows() - row);
    const uint64_t first = s.elements(0, row);
    for (size_t k = 0; k < d.columns.size(); ++k)
      ptrs[k] = d.columns[k].data() + first * npy_itemsize(s.columns[k].type);
    sink.append({row, n, ptrs, {}, {}});
    row += n;
    ++w;
  }
  if (finish) sink.finish();
}

inline std::string write_file(output_format f, const table_data& d, const fs::path& p) {
  auto sink = begin_table(f, d.schema, output_target(p));
  feed(*sink, d);
  return test_support::read_bytes(p);
}

inline std::string write_stream(output_format f, const table_data& d, size_t* chunks = nullptr) {
  std::string bytes;
  auto sink = begin_table(f, d.schema, output_target("(test stream)", [&](const char* p, size_t n) {
                            bytes.append(p, n);
                            if (chunks) ++*chunks;
                          }));
  feed(*sink, d, {2});  // other windows than the file's: the bytes must not depend on them
  return bytes;
}

// Nothing but `keep` left in the directory.
inline void expect_only(const fs::path& dir, const std::vector<std::string>& keep) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  std::vector<std::string> want = keep;
  std::sort(want.begin(), want.end());
  EXPECT_EQ(names, want);
}

// A sink destroyed after its first window (an exception, a cancelled request): no output file,
// no staged or partial file beside it, and an older file of that name untouched.
inline void expect_abandon_leaves_nothing(output_format f, const table_data& d) {
  temp_dir dir;
  {
    auto sink = begin_table(f, d.schema, output_target(dir / "out"));
    feed(*sink, d, {1}, false, 1);
  }
  expect_only(dir.path(), {});
}

inline void expect_abandon_keeps_older_file(output_format f, const table_data& d) {
  temp_dir dir;
  { std::ofstream(dir / "out") << "older"; }
  {
    auto sink = begin_table(f, d.schema, output_target(dir / "out"));
    feed(*sink, d, {1}, false, 1);
  }
  expect_only(dir.path(), {"out"});
  EXPECT_EQ(test_support::read_bytes(dir / "out"), "older");
}

// TMPDIR pointed at `dir` for a scope: where a stream's staged file goes.
class scoped_tmpdir {
 public:
  explicit scoped_tmpdir(const fs::path& dir) {
    if (const char* old = std::getenv("TMPDIR")) old_ = old, had_ = true;
    ::setenv("TMPDIR", dir.c_str(), 1);
  }
  ~scoped_tmpdir() {
    if (had_) ::setenv("TMPDIR", old_.c_str(), 1);
    else ::unsetenv("TMPDIR");
  }

 private:
  std::string old_;
  bool had_ = false;
};

// A sink that throws from its stream mid-way: the exception comes out of append/finish.
inline void expect_stream_error_propagates(output_format f, const table_data& d) {
  auto run = [&] {
    auto sink = begin_table(f, d.schema, output_target("(test stream)", [](const char*, size_t) {
                              throw io_error("client went away");
                            }));
    feed(*sink, d);
  };
  EXPECT_THROW(run(), io_error);
}

}  // namespace specmill::test
