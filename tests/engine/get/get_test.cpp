// `get` through the engine in every format, on a small synthetic store (24 spectra of both eras
// in blocks of 8), against the stored spectra read one at a time (block_reader::read_spectrum):
// the stored form bit for bit in npz, npy, csv, fits and hdf5; the aligned form placed at each
// spectrum's lattice offset, zero elsewhere; the cut-out and resampled forms the same in every
// format; a stream the same bytes as a file (npz: the same members); the spec-file layout.
#include "common/store_setup.hpp"
#include "engine/get/get.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>
#include <random>

#include "common/format_readers.hpp"
#include "core/error.hpp"
#include "engine/ingest/ingest.hpp"
#include "engine/sample/sample_data.hpp"
#include "engine/get/get_store_fixture.hpp"
#include "engine/store_fixture.hpp"
#include "io/fits/sdss_spec_reader.hpp"

using namespace specmill;
namespace fs = std::filesystem;
namespace ts = specmill::test_support;

namespace {

constexpr const char* context = "sdss_dr16";

using test_support::get_store;
std::vector<uint64_t> list_ids() { return test_support::get_list_ids(); }
std::vector<spectrum_id> as_list(const std::vector<uint64_t>& ids) { return test_support::as_id_list(ids); }

// The stored spectra of the list (nullopt: unknown).
std::vector<std::optional<coadd>> stored(const std::vector<uint64_t>& ids) {
  store st(get_store::path(), store::access::read);
  std::vector<std::optional<coadd>> out;
  for (uint64_t id : ids) {
    const auto e = st.catalog().lookup(context, id);
    if (!e || !e->location) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(st.shared_block(e->location->block_id)->read_spectrum(size_t(e->location->row)));
  }
  return out;
}

std::string column_bytes(const coadd& c, column col) {
  auto bytes = [](const auto& v) { return std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4); };
  switch (col) {
    case column::flux: return bytes(c.flux);
    case column::loglam: return bytes(c.loglam);
    case column::ivar: return bytes(c.ivar);
    case column::and_mask: return bytes(c.and_mask);
    case column::or_mask: return bytes(c.or_mask);
    case column::wdisp: return bytes(c.wdisp);
    case column::sky: return bytes(c.sky);
    case column::model: return bytes(c.model);
  }
  return {};
}

const std::vector<column> all_columns{column::flux, column::loglam, column::ivar, column::and_mask,
                                      column::or_mask, column::wdisp, column::sky, column::model};

std::string name_of(column c) { return std::string(column_names[int(c)]); }

get_options options(get_format f, const fs::path& out) {
  get_options o;
  o.store = get_store::path();
  o.format = f;
  o.out = out;
  o.progress = false;
  o.device = backend::cpu;
  o.window_bytes = 20000;  // a few spectra a window: many windows
  return o;
}

// The stored form expected: each column over the found spectra, concatenated.
struct ragged_expected {
  std::vector<uint64_t> ids;
  std::vector<int64_t> offsets{0};
  std::vector<uint8_t> found;
  std::map<column, std::string> columns;
};

ragged_expected expected_ragged(const std::vector<uint64_t>& ids) {
  ragged_expected x;
  x.ids = ids;
  const auto spectra = stored(ids);
  for (const auto& s : spectra) {
    x.found.push_back(s.has_value());
    x.offsets.push_back(x.offsets.back() + (s ? int64_t(s->npix()) : 0));
    for (column c : all_columns)
      if (s) x.columns[c] += column_bytes(*s, c);
  }
  return x;
}

template <class T>
std::string text_to_bytes(const std::string& s) {
  T v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  EXPECT_TRUE(r.ec == std::errc() && r.ptr == s.data() + s.size()) << s;
  return std::string(reinterpret_cast<const char*>(&v), sizeof v);
}

TEST(Get, RaggedEveryFormatHoldsTheStoredPixels) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const ragged_expected x = expected_ragged(ids);
  for (get_format f : {get_format::npz, get_format::npy, get_format::csv, get_format::fits, get_format::hdf5}) {
    SCOPED_TRACE(std::string(to_string(f)));
    const fs::path p = dir / ("ragged." + std::string(to_string(f)));
    const get_summary sum = get_spectra(options(f, p), as_list(ids));
    EXPECT_EQ(sum.requested, ids.size());
    EXPECT_EQ(sum.found, ids.size() - 1);
    EXPECT_EQ(sum.missing, std::vector<std::string>{"12345"});
    EXPECT_EQ(sum.pixels, x.offsets.back());
    switch (f) {
      case get_format::npz: {
        const auto z = ts::parse_npz(ts::read_bytes(p));
        for (column c : all_columns) EXPECT_EQ(ts::member(z, name_of(c)).data, x.columns.at(c)) << name_of(c);
        EXPECT_EQ(ts::member(z, "offsets").values<int64_t>(), x.offsets);
        EXPECT_EQ(ts::member(z, "specobjid").values<uint64_t>(), x.ids);
        EXPECT_EQ(ts::member(z, "found").values<uint8_t>(), x.found);
        break;
      }
      case get_format::npy: {
        const auto a = ts::parse_npy(ts::read_bytes(p));
        ASSERT_EQ(a.fields().size(), all_columns.size());
        for (column c : all_columns) {
          const auto v = a.field<uint32_t>(name_of(c));
          EXPECT_EQ(std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4), x.columns.at(c)) << name_of(c);
        }
        break;
      }
      case get_format::csv: {
        const auto rows = ts::parse_csv(ts::read_bytes(p));
        ASSERT_EQ(rows.size(), size_t(x.offsets.back()) + 1);
        std::map<column, std::string> got;
        size_t line = 1;
        for (size_t i = 0; i < ids.size(); ++i) {
          for (int64_t pix = 0; pix < x.offsets[i + 1] - x.offsets[i]; ++pix, ++line) {
            ASSERT_EQ(rows[line][0], std::to_string(ids[i]));
            ASSERT_EQ(rows[line][1], std::to_string(pix));
            for (size_t k = 0; k < all_columns.size(); ++k)
              got[all_columns[k]] += column_is_int(all_columns[k]) ? text_to_bytes<int32_t>(rows[line][2 + k])
                                                                   : text_to_bytes<float>(rows[line][2 + k]);
          }
        }
        for (column c : all_columns) EXPECT_EQ(got[c], x.columns.at(c)) << name_of(c);
        break;
      }
      case get_format::fits: {
        fits_file file = fits_file::open_read(p);
        file.move_to(1);
        EXPECT_EQ(file.key_string("CONTEXT"), context);
        ASSERT_EQ(size_t(file.rows()), ids.size() - 1);  // one row per found spectrum
        std::map<column, std::string> got;
        long long row = 0;
        for (size_t i = 0; i < ids.size(); ++i) {
          if (!x.found[i]) continue;
          ++row;
          EXPECT_EQ(ts::fits_values<unsigned long long>(file, 1, row, 1)[0], ids[i]);
          const long long npix = x.offsets[i + 1] - x.offsets[i];
          EXPECT_EQ(ts::fits_values<int>(file, 5, row, 1)[0], npix);
          for (size_t k = 0; k < all_columns.size(); ++k) {
            EXPECT_EQ(ts::fits_vla_length(file, int(6 + k), row), npix);
            if (column_is_int(all_columns[k])) {
              const auto v = ts::fits_values<int>(file, int(6 + k), row, npix);
              got[all_columns[k]] += std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
            } else {
              const auto v = ts::fits_values<float>(file, int(6 + k), row, npix);
              got[all_columns[k]] += std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
            }
          }
        }
        for (column c : all_columns) EXPECT_EQ(got[c], x.columns.at(c)) << name_of(c);
        break;
      }
      case get_format::hdf5: {
        for (column c : all_columns)
          EXPECT_EQ(ts::h5_read(p, name_of(c), column_is_int(c) ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT).data,
                    x.columns.at(c))
              << name_of(c);
        EXPECT_EQ(ts::h5_values<int64_t>(ts::h5_read(p, "offsets", H5T_NATIVE_INT64)), x.offsets);
        EXPECT_EQ(ts::h5_values<uint64_t>(ts::h5_read(p, "specobjid", H5T_NATIVE_UINT64)), x.ids);
        EXPECT_EQ(ts::h5_attribute(p, "context"), context);
        break;
      }
    }
  }
}

// Each column of the dense result as [rows, width] 4-byte values, from one format's file.
std::map<std::string, std::string> dense_columns(get_format f, const fs::path& p, const std::vector<std::string>& names,
                                                 size_t rows, size_t width) {
  std::map<std::string, std::string> out;
  switch (f) {
    case get_format::npz: {
      const auto z = ts::parse_npz(ts::read_bytes(p));
      for (const auto& n : names) {
        EXPECT_EQ(ts::member(z, n).shape, (std::vector<uint64_t>{rows, width}));
        out[n] = ts::member(z, n).data;
      }
      break;
    }
    case get_format::npy: {
      const auto a = ts::parse_npy(ts::read_bytes(p));
      EXPECT_EQ(a.shape, (std::vector<uint64_t>{rows, width}));
      for (const auto& n : names) {
        const auto v = a.field<uint32_t>(n);
        out[n] = std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
      }
      break;
    }
    case get_format::csv: {
      const auto lines = ts::parse_csv(ts::read_bytes(p));
      EXPECT_EQ(lines.size(), rows * width + 1);
      for (size_t k = 0; k < names.size(); ++k) {
        EXPECT_EQ(lines[0][3 + k], names[k]);
        for (size_t l = 1; l < lines.size(); ++l)
          out[names[k]] += names[k] == "and_mask" ? text_to_bytes<int32_t>(lines[l][3 + k]) : text_to_bytes<float>(lines[l][3 + k]);
      }
      break;
    }
    case get_format::fits: {
      fits_file file = fits_file::open_read(p);
      file.move_to(1);
      EXPECT_EQ(size_t(file.rows()), rows);
      for (size_t k = 0; k < names.size(); ++k) {
        for (size_t r = 0; r < rows; ++r) {
          if (names[k] == "and_mask") {
            const auto v = ts::fits_values<int>(file, int(3 + k), (long long)r + 1, (long long)width);
            out[names[k]] += std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
          } else {
            const auto v = ts::fits_values<float>(file, int(3 + k), (long long)r + 1, (long long)width);
            out[names[k]] += std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4);
          }
        }
      }
      break;
    }
    case get_format::hdf5:
      for (const auto& n : names) {
        const auto d = ts::h5_read(p, n, n == "and_mask" ? H5T_NATIVE_INT32 : H5T_NATIVE_FLOAT);
        EXPECT_EQ(d.dims, (std::vector<uint64_t>{rows, width}));
        out[n] = d.data;
      }
      break;
  }
  return out;
}

TEST(Get, AlignedEveryFormatPlacesTheStoredPixels) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const auto spectra = stored(ids);
  const list_span_result span = get_list_span(get_store::path(), context, as_list(ids));
  const size_t width = size_t(span.span.width), rows = ids.size();
  // Expected: each spectrum at its lattice offset, zeros around it and for the unknown ID.
  std::map<std::string, std::string> want;
  for (const char* n : {"flux", "ivar", "and_mask"}) want[n] = std::string(rows * width * 4, '\0');
  for (size_t r = 0; r < rows; ++r) {
    if (!spectra[r]) continue;
    const size_t at = (r * width + size_t(spectra[r]->lattice_start - span.span.start)) * 4;
    want["flux"].replace(at, spectra[r]->npix() * 4, column_bytes(*spectra[r], column::flux));
    want["ivar"].replace(at, spectra[r]->npix() * 4, column_bytes(*spectra[r], column::ivar));
    want["and_mask"].replace(at, spectra[r]->npix() * 4, column_bytes(*spectra[r], column::and_mask));
  }
  for (get_format f : {get_format::npz, get_format::npy, get_format::csv, get_format::fits, get_format::hdf5}) {
    SCOPED_TRACE(std::string(to_string(f)));
    const fs::path p = dir / ("aligned." + std::string(to_string(f)));
    get_options o = options(f, p);
    o.align = true;
    o.columns = default_dense_columns;
    const get_summary sum = get_spectra(o, as_list(ids));
    EXPECT_EQ(size_t(sum.width), width);
    const auto got = dense_columns(f, p, {"flux", "ivar", "and_mask"}, rows, width);
    for (const auto& [n, bytes] : want) EXPECT_TRUE(got.at(n) == bytes) << n;
  }
}

TEST(Get, CutoutAndResampleAgreeAcrossFormats) {
  test::temp_dir dir;
  const auto ids = list_ids();
  for (int variant = 0; variant < 2; ++variant) {
    std::map<std::string, std::string> reference;
    size_t width = 0;
    for (get_format f : {get_format::npz, get_format::npy, get_format::csv, get_format::fits, get_format::hdf5}) {
      SCOPED_TRACE(std::string(to_string(f)) + (variant ? " resample" : " cutout"));
      const fs::path p = dir / ("dense" + std::to_string(variant) + "." + std::string(to_string(f)));
      get_options o = options(f, p);
      o.columns = default_dense_columns;
      if (variant == 0) o.cutout = parse_wavelength_range("5000-5100");
      else o.resample = parse_wavelength_grid("lin:4000,6000,2");
      const get_summary sum = get_spectra(o, as_list(ids));
      if (f == get_format::npz) width = size_t(sum.width);
      const auto got = dense_columns(f, p, {"flux", "ivar", "and_mask"}, ids.size(), width);
      if (f == get_format::npz) reference = got;
      else for (const auto& [n, bytes] : reference) EXPECT_TRUE(got.at(n) == bytes) << n;
    }
    EXPECT_GT(width, 0u);
  }
}

// Through opts.sink (the REST service's stream), against the same request to a file.
TEST(Get, StreamIsTheFileBytes) {
  test::temp_dir dir;
  const auto ids = list_ids();
  for (bool dense : {false, true}) {
    for (get_format f : {get_format::npz, get_format::npy, get_format::csv, get_format::fits, get_format::hdf5}) {
      SCOPED_TRACE(std::string(to_string(f)) + (dense ? " dense" : " ragged"));
      const fs::path p = dir / ("file." + std::string(to_string(f)));
      get_options o = options(f, p);
      if (dense) o.cutout = parse_wavelength_range("6000-6400"), o.columns = default_dense_columns;
      get_spectra(o, as_list(ids));
      std::string streamed;
      o.out.clear();
      o.sink = [&](const char* d, size_t n) { streamed.append(d, n); };
      get_spectra(o, as_list(ids));
      const std::string file = ts::read_bytes(p);
      if (f != get_format::npz) {
        EXPECT_TRUE(streamed == file) << streamed.size() << " vs " << file.size();
        continue;
      }
      // npz: the stream carries data descriptors; its members are the file's.
      const auto a = ts::parse_npz(file), b = ts::parse_npz(streamed);
      ASSERT_EQ(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name);
        EXPECT_TRUE(a[i].array.data == b[i].array.data) << a[i].name;
        EXPECT_EQ(a[i].array.descr, b[i].array.descr);
        EXPECT_TRUE(b[i].data_descriptor);
      }
    }
  }
  // No staged or partial files beside the outputs, none left in the temporary directory.
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".part-"), std::string::npos) << e.path();
}

TEST(Get, SpecFileLayoutToFileAndStream) {
  test::temp_dir dir;
  const auto ids = list_ids();
  const uint64_t id = ids.front();
  const auto want = stored({id}).front();
  ASSERT_TRUE(want);
  get_options o = options(get_format::fits, dir / "spec.fits");
  o.spec_file = true;
  get_spectra(o, as_list({id}));
  const sdss_spectrum s = read_sdss_spectrum(dir / "spec.fits");
  EXPECT_EQ(s.meta.specobjid, id);
  EXPECT_EQ(s.data.flux, want->flux);
  EXPECT_EQ(s.data.and_mask, want->and_mask);
  EXPECT_EQ(s.data.lattice_start, want->lattice_start);
  std::string streamed;
  o.out.clear();
  o.sink = [&](const char* d, size_t n) { streamed.append(d, n); };
  get_spectra(o, as_list({id}));
  EXPECT_TRUE(streamed == ts::read_bytes(dir / "spec.fits"));
}

TEST(Get, NothingFoundIsNotFoundAndWritesNothing) {
  test::temp_dir dir;
  for (get_format f : {get_format::npz, get_format::fits, get_format::hdf5}) {
    EXPECT_THROW(get_spectra(options(f, dir / "none.out"), as_list({12345, 67890})), not_found);
  }
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
