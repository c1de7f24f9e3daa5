// Tests io/block_file.*: round trips, rectangles, validation and atomic writes of block files.
#include "io/store/block_file.hpp"
#include "io/store/block_check.hpp"
#include "io/store/hdf5_handle.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>

namespace specmill {
namespace {

namespace fs = std::filesystem;

// Random bits that form a finite float (no NaN, no Inf): every bit pattern class is exercised.
float finite_random(std::mt19937& rng) {
  uint32_t b = rng();
  if (((b >> 23) & 0xffu) == 0xffu) b &= ~(1u << 23);
  return std::bit_cast<float>(b);
}

sdss_spectrum make_spectrum(std::mt19937& rng, uint64_t id, int32_t lattice_start, size_t npix,
                            bool exact = true) {
  sdss_spectrum s;
  s.meta.specobjid = id;
  s.meta.plate = int32_t(3000 + id % 7);
  s.meta.mjd = int32_t(55000 + id % 11);
  s.meta.fiberid = int32_t(1 + id % 1000);
  coadd& c = s.data;
  c.lattice_start = lattice_start;
  c.loglam_exact = exact;
  for (auto* v : {&c.flux, &c.ivar, &c.wdisp, &c.sky, &c.model}) {
    v->resize(npix);
    for (auto& x : *v) x = finite_random(rng);
  }
  for (auto* v : {&c.and_mask, &c.or_mask}) {
    v->resize(npix);
    for (auto& x : *v) x = int32_t(rng());
  }
  c.loglam.resize(npix);
  for (size_t i = 0; i < npix; ++i) {
    const float l = lattice_loglam(lattice_start + int32_t(i));
    c.loglam[i] = exact ? l : std::nextafter(l, 10.0f);  // one ulp off the lattice
  }
  return s;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

void expect_same_coadd(const coadd& got, const coadd& want) {
  EXPECT_EQ(got.lattice_start, want.lattice_start);
  EXPECT_EQ(got.loglam_exact, want.loglam_exact);
  EXPECT_TRUE(same_bits(got.flux, want.flux));
  EXPECT_TRUE(same_bits(got.loglam, want.loglam));
  EXPECT_TRUE(same_bits(got.ivar, want.ivar));
  EXPECT_TRUE(same_bits(got.wdisp, want.wdisp));
  EXPECT_TRUE(same_bits(got.sky, want.sky));
  EXPECT_TRUE(same_bits(got.model, want.model));
  EXPECT_TRUE(same_bits(got.and_mask, want.and_mask));
  EXPECT_TRUE(same_bits(got.or_mask, want.or_mask));
}

// The padded [n_spectra][n_pixels] image of one column as 32-bit words, built independently of
// the writer: the reference for every rectangle read.
std::vector<uint32_t> reference_column(const std::vector<sdss_spectrum>& specs, column c,
                                       int32_t block_start, size_t n_pixels) {
  std::vector<uint32_t> out(specs.size() * n_pixels, 0);
  for (size_t r = 0; r < specs.size(); ++r) {
    const coadd& d = specs[r].data;
    const size_t off = size_t(d.lattice_start - block_start);
    for (size_t j = 0; j < n_pixels; ++j) {
      const bool inside = j >= off && j < off + d.npix();
      const size_t i = j - off;
      uint32_t w = 0;
      switch (c) {
        case column::flux: w = inside ? std::bit_cast<uint32_t>(d.flux[i]) : 0; break;
        case column::ivar: w = inside ? std::bit_cast<uint32_t>(d.ivar[i]) : 0; break;
        case column::wdisp: w = inside ? std::bit_cast<uint32_t>(d.wdisp[i]) : 0; break;
        case column::sky: w = inside ? std::bit_cast<uint32_t>(d.sky[i]) : 0; break;
        case column::model: w = inside ? std::bit_cast<uint32_t>(d.model[i]) : 0; break;
        case column::and_mask: w = inside ? uint32_t(d.and_mask[i]) : 0; break;
        case column::or_mask: w = inside ? uint32_t(d.or_mask[i]) : 0; break;
        case column::loglam:
          w = std::bit_cast<uint32_t>(inside && !d.loglam_exact ? d.loglam[i]
                                                                : lattice_loglam(block_start + int32_t(j)));
          break;
      }
      out[r * n_pixels + j] = w;
    }
  }
  return out;
}

class block_file_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("specmill-block-test-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write_block(const std::vector<sdss_spectrum>& specs, const block_layout& layout = {},
                       int64_t id = 7) {
    block_builder b;
    for (const auto& s : specs) b.add(s);
    const fs::path p = dir_ / block_relative_path(id).filename();
    b.write(p, id, layout);
    return p;
  }

  // Mixed starts and lengths, including 31/32/33 pixels and a row one ulp off the lattice.
  std::vector<sdss_spectrum> mixed_spectra(bool with_inexact) {
    std::mt19937 rng(1234);
    std::vector<sdss_spectrum> v;
    const int32_t starts[] = {35800, 35750, 36010, 35799, 35900, 35760, 36200};
    const size_t npix[] = {400, 31, 32, 33, 700, 1, 250};
    for (size_t i = 0; i < std::size(starts); ++i) {
      v.push_back(make_spectrum(rng, 1000 + i, starts[i], npix[i], !(with_inexact && i == 4)));
    }
    return v;
  }

  fs::path dir_;
};

const block_layout test_layouts[] = {
    block_layout{},                        // the defaults (contiguous)
    block_layout{1, 1u << 20, 0, false},   // one row per chunk, clamped to the block width
    block_layout{4, 64, 0, false},         // block wider than chunk_pixels, partial edge chunks
    block_layout{3, 100, 1},               // shuffle + deflate (chunked although contiguous is set)
};

TEST_F(block_file_test, RoundTripIsBitExactForEveryColumnAndLayout) {
  const auto specs = mixed_spectra(true);
  for (const auto& layout : test_layouts) {
    SCOPED_TRACE(std::to_string(layout.chunk_rows) + "x" + std::to_string(layout.chunk_pixels));
    const fs::path p = write_block(specs, layout, 42);
    block_reader r(p);
    EXPECT_EQ(r.block_id(), 42);
    ASSERT_EQ(r.n_spectra(), specs.size());
    EXPECT_EQ(r.lattice_start(), 35750);
    EXPECT_EQ(r.n_pixels(), size_t(35900 + 700 - 35750));
    for (size_t i = 0; i < specs.size(); ++i) {
      const auto& m = r.rows()[i];
      EXPECT_EQ(m.specobjid, specs[i].meta.specobjid);
      EXPECT_EQ(m.plate, specs[i].meta.plate);
      EXPECT_EQ(m.mjd, specs[i].meta.mjd);
      EXPECT_EQ(m.fiberid, specs[i].meta.fiberid);
      EXPECT_EQ(m.lattice_start, specs[i].data.lattice_start);
      EXPECT_EQ(m.npix, int32_t(specs[i].data.npix()));
      EXPECT_EQ(m.loglam_exact, specs[i].data.loglam_exact);
      expect_same_coadd(r.read_spectrum(i), specs[i].data);
    }
  }
}

TEST_F(block_file_test, FullRectanglesMatchReferenceWithZeroPadding) {
  for (bool inexact : {false, true}) {
    const auto specs = mixed_spectra(inexact);
    const fs::path p = write_block(specs, {4, 64, 0, false});
    block_reader r(p);
    for (int c = 0; c < n_columns; ++c) {
      SCOPED_TRACE(column_names[c]);
      const auto want = reference_column(specs, column(c), r.lattice_start(), r.n_pixels());
      std::vector<uint32_t> got(want.size(), 0xdeadbeef);
      r.read(column(c), 0, r.n_spectra(), 0, r.n_pixels(), got.data());
      EXPECT_EQ(got, want);
    }
  }
}

TEST_F(block_file_test, LoglamDatasetOnlyWhenSomeRowIsInexact) {
  auto has_loglam = [](const fs::path& p) {
    hid_t f = H5Fopen(p.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const bool yes = H5Lexists(f, "loglam", H5P_DEFAULT) > 0;
    H5Fclose(f);
    return yes;
  };
  EXPECT_FALSE(has_loglam(write_block(mixed_spectra(false), {}, 1)));
  EXPECT_TRUE(has_loglam(write_block(mixed_spectra(true), {}, 2)));
}

TEST_F(block_file_test, SubRectanglesAndScatteredRowsMatchReference) {
  const auto specs = mixed_spectra(true);
  const fs::path p = write_block(specs, {2, 50, 0, false});
  block_reader r(p);
  const size_t P = r.n_pixels();
  struct rect { size_t row0, nrows, pix0, npix; };
  const rect rects[] = {{0, 1, 0, 1}, {1, 3, 45, 60}, {2, 5, 0, P}, {6, 1, P - 1, 1}, {0, 7, 300, 300}};
  const std::vector<std::vector<uint32_t>> row_lists = {{0}, {0, 2, 3, 6}, {1, 2, 3}, {0, 1, 2, 3, 4, 5, 6}, {6}, {1, 4, 5}};
  for (int c = 0; c < n_columns; ++c) {
    SCOPED_TRACE(column_names[c]);
    const auto ref = reference_column(specs, column(c), r.lattice_start(), P);
    for (const rect& q : rects) {
      std::vector<uint32_t> got(q.nrows * q.npix, 0xdeadbeef), want;
      for (size_t i = 0; i < q.nrows; ++i)
        for (size_t j = 0; j < q.npix; ++j) want.push_back(ref[(q.row0 + i) * P + q.pix0 + j]);
      r.read(column(c), q.row0, q.nrows, q.pix0, q.npix, got.data());
      EXPECT_EQ(got, want) << "rect at row " << q.row0 << " pix " << q.pix0;
    }
    for (const auto& rows : row_lists) {
      for (const auto& [pix0, npix] : {std::pair<size_t, size_t>{0, P}, {49, 52}, {P - 33, 33}}) {
        std::vector<uint32_t> got(rows.size() * npix, 0xdeadbeef), want;
        for (uint32_t row : rows)
          for (size_t j = 0; j < npix; ++j) want.push_back(ref[row * P + pix0 + j]);
        r.read_rows(column(c), rows, pix0, npix, got.data());
        EXPECT_EQ(got, want) << rows.size() << " rows from pixel " << pix0;
      }
    }
  }
}

// read_row_span: the pread path (contiguous blocks) and the HDF5 fallback (chunked, deflated)
// give the same bits as read(), for every column, at the edges of the block and of each row.
TEST_F(block_file_test, RowSpansMatchReadOnEveryLayout) {
  const auto specs = mixed_spectra(true);
  for (const auto& layout : test_layouts) {
    block_reader r(write_block(specs, layout, 11));
    const bool want_direct = layout.contiguous && layout.deflate == 0;
    const size_t P = r.n_pixels();
    std::mutex hdf5;
    for (int c = 0; c < n_columns; ++c) {
      SCOPED_TRACE(std::string(column_names[c]) + " layout " + std::to_string(layout.chunk_rows) + "x" +
                   std::to_string(layout.chunk_pixels) + (want_direct ? " direct" : " hdf5"));
      EXPECT_EQ(r.direct(column(c)), want_direct && column(c) != column::loglam);
      for (size_t row = 0; row < r.n_spectra(); ++row) {
        for (const auto& [pix0, npix] : {std::pair<size_t, size_t>{0, P}, {0, 1}, {P - 1, 1}, {17, 33}, {P / 2, 0}}) {
          std::vector<uint32_t> want(npix + 1, 0xdeadbeef), got(npix + 1, 0xdeadbeef);
          r.read(column(c), row, 1, pix0, npix, want.data());
          r.read_row_span(column(c), row, pix0, npix, got.data());
          EXPECT_EQ(got, want) << "row " << row << " pix " << pix0 << "+" << npix;
          std::vector<uint32_t> locked(npix + 1, 0xdeadbeef);  // the thread-safe form: the same bits
          r.read_row_span(column(c), row, pix0, npix, locked.data(), hdf5);
          EXPECT_EQ(locked, want) << "row " << row << " pix " << pix0 << "+" << npix << " (locked)";
        }
      }
    }
    uint32_t sink;
    EXPECT_THROW(r.read_row_span(column::flux, r.n_spectra(), 0, 1, &sink), invalid_argument);
    EXPECT_THROW(r.read_row_span(column::flux, 0, P, 1, &sink), invalid_argument);
    EXPECT_THROW(r.read_row_span(column::flux, 0, P, 1, &sink, hdf5), invalid_argument);
    EXPECT_TRUE(hdf5.try_lock()) << "the lock is released, also after a throw";
    hdf5.unlock();
  }
}

// mapped_row_span: on a direct (contiguous, unfiltered) block every column but loglam is
// readable in place, with the bits read() gives; chunked or deflated blocks answer null (the
// caller copies through read_row_span), and bad rows or pixels are refused like read_row_span's.
TEST_F(block_file_test, MappedRowSpansAreTheStoredBits) {
  const auto specs = mixed_spectra(true);
  for (const auto& layout : test_layouts) {
    block_reader r(write_block(specs, layout, 13));
    const bool want_direct = layout.contiguous && layout.deflate == 0;
    const size_t P = r.n_pixels();
    size_t mapped = 0;
    for (int c = 0; c < n_columns; ++c) {
      for (size_t row = 0; row < r.n_spectra(); ++row) {
        for (const auto& [pix0, npix] : {std::pair<size_t, size_t>{0, P}, {P - 1, 1}, {17, 33}}) {
          const void* p = r.mapped_row_span(column(c), row, pix0, npix);
          if (!want_direct || column(c) == column::loglam) {
            EXPECT_EQ(p, nullptr);
            continue;
          }
          ASSERT_NE(p, nullptr) << column_names[c];
          ++mapped;
          std::vector<uint32_t> want(npix), got(npix);
          r.read(column(c), row, 1, pix0, npix, want.data());
          std::memcpy(got.data(), p, npix * 4);
          EXPECT_EQ(got, want) << column_names[c] << " row " << row << " pix " << pix0 << "+" << npix;
        }
      }
    }
    EXPECT_EQ(mapped > 0, want_direct);
    if (want_direct) {
      EXPECT_THROW(r.mapped_row_span(column::flux, r.n_spectra(), 0, 1), invalid_argument);
      EXPECT_THROW(r.mapped_row_span(column::flux, 0, P, 1), invalid_argument);
    }
  }
}

// A contiguous block cut short is refused at open (its rows would be read past the end).
TEST_F(block_file_test, TruncatedContiguousBlockIsRefused) {
  const fs::path p = write_block(mixed_spectra(false), {}, 12);
  fs::resize_file(p, fs::file_size(p) - 4096);
  EXPECT_THROW(block_reader{p}, error);
}

TEST_F(block_file_test, OneSpectrumBlockAndPixelCounts31To33) {
  for (size_t npix : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(4700)}) {
    for (const auto& layout : test_layouts) {
      std::mt19937 rng{static_cast<unsigned>(npix)};
      const std::vector<sdss_spectrum> specs = {make_spectrum(rng, 5, 36000, npix)};
      block_reader r(write_block(specs, layout));
      ASSERT_EQ(r.n_spectra(), 1u);
      EXPECT_EQ(r.n_pixels(), npix);
      expect_same_coadd(r.read_spectrum(0), specs[0].data);
    }
  }
}

TEST_F(block_file_test, BuilderMovesAndCountsMemory) {
  std::mt19937 rng(9);
  block_builder b;
  EXPECT_EQ(b.size(), 0u);
  EXPECT_EQ(b.pixel_bytes(), 0u);
  auto s = make_spectrum(rng, 1, 36000, 100);
  const auto copy = s;
  const float* flux_data = s.data.flux.data();
  b.add(std::move(s));
  EXPECT_TRUE(s.data.flux.empty());  // moved, not copied
  b.add(copy);
  EXPECT_EQ(b.size(), 2u);
  EXPECT_GE(b.pixel_bytes(), 2u * 7 * 100 * 4);  // exact rows keep no loglam
  EXPECT_LT(b.pixel_bytes(), 2u * 8 * 100 * 4);
  const fs::path p = dir_ / "b.h5";
  b.write(p, 3);
  block_reader r(p);
  expect_same_coadd(r.read_spectrum(0), copy.data);
  expect_same_coadd(r.read_spectrum(1), copy.data);
  (void)flux_data;
  b.clear();
  EXPECT_EQ(b.size(), 0u);
  EXPECT_THROW(b.write(p, 3), invalid_argument);
}

// The check batch ingest runs where a spectrum is decoded refuses what add refuses, in the same
// words, and passes what add takes.
TEST_F(block_file_test, CheckAloneRefusesWhatAddRefuses) {
  std::mt19937 rng(4);
  auto bad = make_spectrum(rng, 1, 36000, 10);
  bad.data.ivar.pop_back();
  auto empty = make_spectrum(rng, 1, 36000, 0);
  auto lying = make_spectrum(rng, 1, 36000, 10, false);
  lying.data.loglam_exact = true;
  for (const auto* s : {&bad, &empty, &lying}) {
    std::string by_add, by_check;
    block_builder b;
    try { b.add(*s); } catch (const error& e) { by_add = e.what(); }
    try { check_block_spectrum(*s, sdss_native_grid); } catch (const error& e) { by_check = e.what(); }
    EXPECT_FALSE(by_add.empty());
    EXPECT_EQ(by_check, by_add);
    EXPECT_EQ(b.size(), 0u);
  }
  EXPECT_NO_THROW(check_block_spectrum(make_spectrum(rng, 2, 36000, 10), sdss_native_grid));
}

TEST_F(block_file_test, InvalidArgumentsThrow) {
  std::mt19937 rng(3);
  block_builder b;
  auto bad = make_spectrum(rng, 1, 36000, 10);
  bad.data.ivar.pop_back();
  EXPECT_THROW(b.add(bad), invalid_argument);
  auto empty = make_spectrum(rng, 1, 36000, 0);
  EXPECT_THROW(b.add(empty), invalid_argument);
  auto lying = make_spectrum(rng, 1, 36000, 10, false);
  lying.data.loglam_exact = true;  // claims the lattice but is one ulp off
  EXPECT_THROW(b.add(lying), data_error);
  auto no_loglam = make_spectrum(rng, 2, 36000, 10);
  no_loglam.data.loglam.clear();  // allowed for exact rows: the lattice rebuilds it
  EXPECT_NO_THROW(b.add(no_loglam));
  EXPECT_EQ(b.size(), 1u);
  EXPECT_THROW(b.write(dir_ / "x.h5", 1, {0, 64, 0}), invalid_argument);
  EXPECT_THROW(b.write(dir_ / "x.h5", 1, {16, 64, 10}), invalid_argument);
  EXPECT_THROW(block_relative_path(-1), invalid_argument);
  EXPECT_EQ(block_relative_path(42), fs::path("blocks/blk-00000042.h5"));

  block_reader r(write_block(mixed_spectra(false)));
  const size_t N = r.n_spectra(), P = r.n_pixels();
  float buf[8];
  EXPECT_THROW(r.read(column::flux, N, 1, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read(column::flux, 0, N + 1, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read(column::flux, 0, 1, P, 1, buf), invalid_argument);
  EXPECT_THROW(r.read(column::flux, 0, 1, 1, P, buf), invalid_argument);
  EXPECT_THROW(r.read(column(99), 0, 1, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read(column::flux, 0, 1, 0, 1, nullptr), invalid_argument);
  EXPECT_NO_THROW(r.read(column::flux, N, 0, P, 0, nullptr));  // empty rectangle at the edge
  const uint32_t unsorted[] = {3, 1}, dup[] = {2, 2}, out[] = {0, uint32_t(N)};
  EXPECT_THROW(r.read_rows(column::flux, unsorted, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read_rows(column::flux, dup, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read_rows(column::flux, out, 0, 1, buf), invalid_argument);
  EXPECT_THROW(r.read_spectrum(N), invalid_argument);
}

TEST_F(block_file_test, WriteIsAtomicAndReplacesOnlyAtRename) {
  const auto specs = mixed_spectra(false);
  const fs::path p = write_block(specs, {}, 1);
  EXPECT_FALSE(fs::exists(fs::path(p.string() + ".tmp")));
  // A failing write (the .tmp path is a non-empty directory, so HDF5 cannot create it) leaves
  // the existing block intact.
  fs::create_directories(p.string() + ".tmp/blocker");
  block_builder b;
  std::mt19937 rng(5);
  b.add(make_spectrum(rng, 99, 36000, 50));
  EXPECT_THROW(b.write(p, 2), hdf5_error);
  EXPECT_EQ(block_reader(p).block_id(), 1);
  fs::remove_all(p.string() + ".tmp");
  // A successful one replaces it whole.
  b.write(p, 2);
  block_reader r(p);
  EXPECT_EQ(r.block_id(), 2);
  EXPECT_EQ(r.n_spectra(), 1u);
  for (const auto& e : fs::directory_iterator(dir_)) EXPECT_NE(e.path().extension(), ".tmp");
}

TEST_F(block_file_test, ForeignAndDamagedFilesThrowCleanly) {
  auto throws_cleanly = [](const fs::path& p) {
    try {
      block_reader r(p);
      // Damage past the metadata shows when the pixels are read.
      for (size_t i = 0; i < r.n_spectra(); ++i) (void)r.read_spectrum(i);
      ADD_FAILURE() << p << " opened and read without error";
    } catch (const data_error&) {
    } catch (const hdf5_error&) {
    }
  };
  const fs::path text = dir_ / "text.h5";
  std::ofstream(text) << "this is not an HDF5 file\n";
  EXPECT_THROW(block_reader{text}, data_error);

  EXPECT_THROW(block_reader{dir_ / "missing.h5"}, io_error);

  const fs::path good = write_block(mixed_spectra(true), {4, 64, 0});
  const auto size = fs::file_size(good);
  for (double frac : {0.9, 0.5, 0.1, 0.001}) {
    const fs::path cut = dir_ / ("cut" + std::to_string(frac) + ".h5");
    fs::copy_file(good, cut);
    fs::resize_file(cut, uintmax_t(double(size) * frac));
    SCOPED_TRACE(cut.string());
    throws_cleanly(cut);
  }

  const fs::path bare = dir_ / "bare.h5";
  H5Fclose(H5Fcreate(bare.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  EXPECT_THROW(block_reader{bare}, data_error);

  // Right signature, wrong version.
  const fs::path v2 = dir_ / "v2.h5";
  fs::copy_file(good, v2);
  {
    hid_t f = H5Fopen(v2.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    const int32_t two = 2;
    H5Awrite(a, H5T_NATIVE_INT32, &two);
    H5Aclose(a);
    H5Fclose(f);
  }
  EXPECT_THROW(block_reader{v2}, data_error);
}

// h5py (Debian's /usr/bin/python3, not the python3 on PATH) must read the block: checksums of
// every column and the meta fields must agree with the test's own sums.
TEST_F(block_file_test, H5pyReadsTheBlock) {
  if (std::system("/usr/bin/python3 -c 'import h5py' >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "/usr/bin/python3 has no h5py";
  }
  const auto specs = mixed_spectra(true);
  const fs::path p = write_block(specs, {4, 64, 0}, 77);
  const std::string script =
      "import h5py,numpy as np,sys\n"
      "f=h5py.File(sys.argv[1],'r')\n"
      "a=f.attrs\n"
      "print(a['specmill_format'].decode(), int(a['format_version']), int(a['block_id']),"
      " a['grid_type'].decode(), int(a['lattice_start']), int(a['n_spectra']), int(a['n_pixels']))\n"
      "for n in ['flux','ivar','wdisp','sky','model','loglam','and_mask','or_mask']:\n"
      "  print(n, int(np.asarray(f[n]).view(np.uint32).astype(np.uint64).sum()))\n"
      "m=f['meta'][:]\n"
      "print('meta', int(m['specobjid'].sum()), int(m['plate'].sum()), int(m['mjd'].sum()),"
      " int(m['fiberid'].sum()), int(m['lattice_start'].sum()), int(m['npix'].sum()),"
      " int(m['loglam_exact'].sum()))\n";
  const fs::path py = dir_ / "check.py";
  std::ofstream(py) << script;
  const std::string cmd = "/usr/bin/python3 " + py.string() + " " + p.string() + " 2>&1";
  std::string out;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  char buf[512];
  while (std::fgets(buf, sizeof buf, pipe)) out += buf;
  ASSERT_EQ(::pclose(pipe), 0) << out;

  block_reader r(p);
  std::string want = "specmill-block 1 77 log-linear " + std::to_string(r.lattice_start()) + " " +
                     std::to_string(r.n_spectra()) + " " + std::to_string(r.n_pixels()) + "\n";
  for (const char* n : {"flux", "ivar", "wdisp", "sky", "model", "loglam", "and_mask", "or_mask"}) {
    const column c = column(std::find(column_names.begin(), column_names.end(), n) - column_names.begin());
    // The stored loglam dataset holds the inexact rows' values and zeros elsewhere.
    std::vector<uint32_t> ref;
    if (c == column::loglam) {
      ref.assign(r.n_spectra() * r.n_pixels(), 0);
      for (size_t i = 0; i < specs.size(); ++i)
        for (size_t j = 0; j < specs[i].data.npix(); ++j)
          ref[i * r.n_pixels() + size_t(specs[i].data.lattice_start - r.lattice_start()) + j] =
              std::bit_cast<uint32_t>(specs[i].data.loglam[j]);
    } else {
      ref = reference_column(specs, c, r.lattice_start(), r.n_pixels());
    }
    uint64_t sum = 0;
    for (uint32_t w : ref) sum += w;
    want += std::string(n) + " " + std::to_string(sum) + "\n";
  }
  uint64_t id = 0, plate = 0, mjd = 0, fiber = 0, ls = 0, np = 0, ex = 0;
  for (const auto& s : specs) {
    id += s.meta.specobjid, plate += s.meta.plate, mjd += s.meta.mjd, fiber += s.meta.fiberid;
    ls += s.data.lattice_start, np += s.data.npix(), ex += s.data.loglam_exact;
  }
  want += "meta " + std::to_string(id) + " " + std::to_string(plate) + " " + std::to_string(mjd) +
          " " + std::to_string(fiber) + " " + std::to_string(ls) + " " + std::to_string(np) + " " +
          std::to_string(ex) + "\n";
  EXPECT_EQ(out, want);
}

}  // namespace
}  // namespace specmill
