// Tests of the synthetic SDSS sample: determinism, layout, FITS structure and physics. Files
// are re-read with raw CFITSIO calls (not with our own reader) so the writer is checked
// against an independent decoder.
#include <fitsio.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/sample/sample_data.hpp"
#include "io/fits/sdss_spec_writer.hpp"

namespace fs = std::filesystem;
using namespace specmill;

namespace {

struct fits_closer {
  void operator()(fitsfile* f) const {
    int status = 0;
    ffclos(f, &status);
  }
};
using fits_ptr = std::unique_ptr<fitsfile, fits_closer>;

fits_ptr open_fits(const fs::path& p) {
  fitsfile* f = nullptr;
  int status = 0;
  ffopen(&f, p.c_str(), READONLY, &status);
  if (status) ADD_FAILURE() << "cannot open " << p << " status " << status;
  return fits_ptr(f);
}

// A scratch directory per test, removed afterwards.
class sample_test : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() / (std::string("specmill-sample-") + info->name() + "-" + std::to_string(::getpid()));
    fs::remove_all(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  sample_summary make(const std::string& sub, size_t count, uint64_t seed, unsigned jobs = 0,
                      double legacy_fraction = 0.25) {
    sample_options o;
    o.out = root_ / sub;
    o.count = count;
    o.seed = seed;
    o.jobs = jobs;
    o.legacy_fraction = legacy_fraction;
    return write_sample_data(o);
  }
  fs::path root_;
};

std::vector<fs::path> spectra_under(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename().string().starts_with("spec-")) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

struct read_spectrum {
  std::string run2d, cls;
  int32_t plate = 0, mjd = 0, fiber = 0, hdus = 0;
  double coeff0 = 0, coeff1 = 0, z = 0, sn_median_all = 0;
  uint64_t specobjid = 0;
  std::vector<float> flux, loglam, ivar, model;
};

read_spectrum read_file(const fs::path& p) {
  read_spectrum r;
  auto f = open_fits(p);
  int status = 0, type = 0;
  ffthdu(f.get(), &r.hdus, &status);
  long v = 0;
  ffgkyj(f.get(), "PLATEID", &v, nullptr, &status), r.plate = int32_t(v);
  ffgkyj(f.get(), "MJD", &v, nullptr, &status), r.mjd = int32_t(v);
  ffgkyj(f.get(), "FIBERID", &v, nullptr, &status), r.fiber = int32_t(v);
  ffgkyd(f.get(), "COEFF0", &r.coeff0, nullptr, &status);
  ffgkyd(f.get(), "COEFF1", &r.coeff1, nullptr, &status);
  ffmahd(f.get(), 2, &type, &status);
  long long n = 0;
  ffgnrwll(f.get(), &n, &status);
  auto col = [&](const char* name, std::vector<float>& out) {
    int c = 0;
    ffgcno(f.get(), CASEINSEN, const_cast<char*>(name), &c, &status);
    out.resize(size_t(n));
    ffgcv(f.get(), TFLOAT, c, 1, 1, n, nullptr, out.data(), nullptr, &status);
  };
  col("flux", r.flux);
  col("loglam", r.loglam);
  col("ivar", r.ivar);
  col("model", r.model);
  ffmahd(f.get(), 3, &type, &status);
  char text[80] = {}, *texts[] = {text};
  int c = 0;
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("RUN2D"), &c, &status);
  ffgcv(f.get(), TSTRING, c, 1, 1, 1, nullptr, texts, nullptr, &status);
  r.run2d = text;
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("CLASS"), &c, &status);
  ffgcv(f.get(), TSTRING, c, 1, 1, 1, nullptr, texts, nullptr, &status);
  r.cls = text;
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("Z"), &c, &status);
  ffgcv(f.get(), TDOUBLE, c, 1, 1, 1, nullptr, &r.z, nullptr, &status);
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("SN_MEDIAN_ALL"), &c, &status);
  ffgcv(f.get(), TDOUBLE, c, 1, 1, 1, nullptr, &r.sn_median_all, nullptr, &status);
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("SPECOBJID"), &c, &status);
  int tc = 0;
  long rep = 0, width = 0;
  ffgtcl(f.get(), c, &tc, &rep, &width, &status);
  if (tc == TSTRING) {  // legacy: 22A with leading blanks
    ffgcv(f.get(), TSTRING, c, 1, 1, 1, nullptr, texts, nullptr, &status);
    r.specobjid = std::stoull(text);
  } else {  // BOSS: K with TZERO = 2^63, read back as unsigned
    unsigned long long id = 0;
    ffgcv(f.get(), TULONGLONG, c, 1, 1, 1, nullptr, &id, nullptr, &status);
    r.specobjid = id;
  }
  EXPECT_EQ(status, 0) << p;
  return r;
}

}  // namespace

TEST_F(sample_test, same_seed_gives_identical_bytes_whatever_the_thread_count) {
  make("a", 24, 7, 1);
  make("b", 24, 7, 2);
  make("c", 24, 8, 2);
  const auto a = spectra_under(root_ / "a"), b = spectra_under(root_ / "b"), c = spectra_under(root_ / "c");
  ASSERT_EQ(a.size(), 24u);
  ASSERT_EQ(b.size(), 24u);
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(fs::relative(a[i], root_ / "a"), fs::relative(b[i], root_ / "b"));
    EXPECT_EQ(slurp(a[i]), slurp(b[i])) << a[i];
  }
  EXPECT_EQ(slurp(root_ / "a/specObj-sample.fits"), slurp(root_ / "b/specObj-sample.fits"));
  // Another seed: other plates and other bytes.
  std::set<fs::path> names_a, names_c;
  for (const auto& p : a) names_a.insert(fs::relative(p, root_ / "a"));
  for (const auto& p : c) names_c.insert(fs::relative(p, root_ / "c"));
  EXPECT_NE(names_a, names_c);
  EXPECT_NE(slurp(root_ / "a/specObj-sample.fits"), slurp(root_ / "c/specObj-sample.fits"));
}

TEST_F(sample_test, layout_names_and_ids) {
  const auto s = make("x", 60, 11);
  EXPECT_EQ(s.files, 60u);
  EXPECT_EQ(s.catalog, root_ / "x/specObj-sample.fits");
  const auto files = spectra_under(root_ / "x");
  ASSERT_EQ(files.size(), 60u);
  uint64_t bytes = fs::file_size(s.catalog);
  const std::regex pattern(R"((26|v5_13_0)/spectra/lite/(\d{4,5})/spec-(\d{4,5})-(\d{5})-(\d{4})\.fits)");
  std::set<std::tuple<int, int, int>> keys;
  for (const auto& p : files) {
    bytes += fs::file_size(p);
    EXPECT_EQ(fs::file_size(p) % 2880, 0u) << p;
    const std::string rel = fs::relative(p, root_ / "x").string();
    std::smatch m;
    ASSERT_TRUE(std::regex_match(rel, m, pattern)) << rel;
    EXPECT_EQ(m[2], m[3]) << rel;  // plate folder = plate in the name
    const auto r = read_file(p);
    EXPECT_EQ(r.hdus, 4);
    EXPECT_EQ(r.plate, std::stoi(m[3]));
    EXPECT_EQ(r.mjd, std::stoi(m[4]));
    EXPECT_EQ(r.fiber, std::stoi(m[5]));
    EXPECT_EQ(r.run2d, m[1].str());
    EXPECT_EQ(r.specobjid, pack_specobjid({r.plate, r.mjd, r.fiber, run2d_code(r.run2d)})) << rel;
    EXPECT_TRUE(keys.insert({r.plate, r.mjd, r.fiber}).second) << "duplicate " << rel;
    if (r.run2d == "26") {
      EXPECT_GE(r.plate, 266);
      EXPECT_LE(r.plate, 2974);
      EXPECT_LE(r.fiber, 640);
    } else {
      EXPECT_GE(r.plate, 3586);
      EXPECT_LE(r.fiber, 1000);
    }
  }
  EXPECT_EQ(s.bytes, bytes);
}

TEST_F(sample_test, spectra_are_physically_sane_and_on_the_lattice) {
  make("p", 80, 5);
  int qsos = 0, legacy = 0;
  std::map<std::string, int> classes;
  for (const auto& p : spectra_under(root_ / "p")) {
    const auto r = read_file(p);
    const size_t n = r.flux.size();
    ++classes[r.cls];
    EXPECT_DOUBLE_EQ(r.coeff1, 1e-4);
    // loglam exactly on the lattice, starting where the era's coadds start.
    const auto start = int32_t(std::lround(double(r.loglam[0]) / sdss_native_grid.step));
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(r.loglam[i], lattice_loglam(start + int32_t(i))) << p << " pixel " << i;
    const long k = std::lround(double(start) - r.coeff0 / sdss_native_grid.step);
    if (r.run2d == "26") {
      ++legacy;
      EXPECT_GE(k, 0);
      EXPECT_LE(k, 40);
      EXPECT_GE(n, 3800u);
      EXPECT_LE(n, 3850u);
      EXPECT_NEAR(r.loglam[0], 3.581, 0.0025);
    } else {
      EXPECT_EQ(k, 0);
      EXPECT_GE(n, 4580u);
      EXPECT_LE(n, 4640u);
      EXPECT_NEAR(r.loglam[0], 3.555, 0.0045);
    }
    size_t zero = 0;
    std::vector<float> sn;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_TRUE(std::isfinite(r.flux[i]) && std::isfinite(r.ivar[i]) && std::isfinite(r.model[i])) << p;
      ASSERT_GE(r.ivar[i], 0.0f);
      if (r.ivar[i] == 0) ++zero;
      else sn.push_back(r.flux[i] * std::sqrt(r.ivar[i]));
    }
    EXPECT_LT(double(zero) / double(n), 0.02) << p;
    std::nth_element(sn.begin(), sn.begin() + ptrdiff_t(sn.size() / 2), sn.end());
    EXPECT_FLOAT_EQ(float(r.sn_median_all), sn[sn.size() / 2]) << p;
    // Noise consistent with ivar: (flux - model) * sqrt(ivar) has unit variance.
    double chi2 = 0;
    for (size_t i = 0; i < n; ++i) chi2 += double(r.flux[i] - r.model[i]) * (r.flux[i] - r.model[i]) * r.ivar[i];
    EXPECT_NEAR(chi2 / double(n - zero), 1.0, 0.1) << p;

    if (r.cls == "QSO") {
      ++qsos;
      // The strongest emission line (model above its running median, redward of the forest)
      // sits at a known QSO line.
      const size_t w = 150;
      double best = -1e30;
      size_t at = 0;
      for (size_t i = w; i + w < n; ++i) {
        // Blueward of Lya the forest and the Lyman limit make a running median meaningless.
        if (std::pow(10.0, double(r.loglam[i])) < 1150 * (1 + r.z)) continue;
        std::vector<float> win(r.model.begin() + ptrdiff_t(i - w), r.model.begin() + ptrdiff_t(i + w));
        std::nth_element(win.begin(), win.begin() + ptrdiff_t(w), win.end());
        const double excess = (r.model[i] - win[w]) / std::max(1e-3f, std::abs(win[w]));
        if (excess > best) best = excess, at = i;
      }
      const double lam = std::pow(10.0, double(r.loglam[at]));
      const double lines[] = {1215.67, 1240.81, 1399.8, 1549.48, 1908.73, 2800.32, 4341.68, 4862.68, 5008.24, 6564.61};
      double nearest = 1e30;
      for (double l : lines) nearest = std::min(nearest, std::abs(lam / (l * (1 + r.z)) - 1));
      EXPECT_LT(nearest, 0.01) << p << ": strongest line at " << lam << " A, z = " << r.z;
      EXPECT_GT(best, 0.3) << p;
    }
  }
  EXPECT_GT(qsos, 5);
  EXPECT_GT(legacy, 5);
  EXPECT_GT(classes["GALAXY"], classes["QSO"]);
  EXPECT_GT(classes["STAR"], 0);
}

TEST_F(sample_test, catalog_has_one_row_per_file_with_the_same_ids) {
  const auto s = make("cat", 40, 3, 0, 0.5);
  std::set<uint64_t> ids;
  for (const auto& p : spectra_under(root_ / "cat")) ids.insert(read_file(p).specobjid);
  auto f = open_fits(s.catalog);
  int status = 0, type = 0, c = 0, ncols = 0;
  ffmahd(f.get(), 2, &type, &status);
  long long rows = 0;
  ffgnrwll(f.get(), &rows, &status);
  ffgncl(f.get(), &ncols, &status);
  EXPECT_EQ(rows, 40);
  EXPECT_EQ(ncols, 236);
  ffgcno(f.get(), CASEINSEN, const_cast<char*>("SPECOBJID"), &c, &status);
  std::vector<unsigned long long> cat(static_cast<size_t>(rows));
  ffgcv(f.get(), TULONGLONG, c, 1, 1, rows, nullptr, cat.data(), nullptr, &status);
  ASSERT_EQ(status, 0);
  EXPECT_EQ(std::set<uint64_t>(cat.begin(), cat.end()), ids);
}

TEST(sdss_spec_writer, large_plate_specobjid_survives_tzero_and_legacy_coeff0_offset) {
  const auto dir = fs::temp_directory_path() / ("specmill-writer-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* run2d : {"v5_13_0", "26"}) {
    sdss_spectrum s;
    s.meta.run2d = run2d;
    s.meta.plate = std::string(run2d) == "26" ? 300 : 10656;  // >= 8192 sets bit 63
    s.meta.mjd = std::string(run2d) == "26" ? 51700 : 58163;
    s.meta.fiberid = 366;
    s.meta.specobjid = pack_specobjid({s.meta.plate, s.meta.mjd, 366, run2d_code(run2d)});
    s.meta.class_name = "QSO";
    coadd& c = s.data;
    c.lattice_start = 35800;
    for (int i = 0; i < 33; ++i) {
      c.loglam.push_back(lattice_loglam(c.lattice_start + i));
      c.flux.push_back(float(i));
      c.ivar.push_back(1.0f);
      c.and_mask.push_back(i == 3 ? (1 << 23) : 0);
      c.or_mask.push_back(0);
      c.wdisp.push_back(1.1f);
      c.sky.push_back(2.0f);
      c.model.push_back(float(i));
    }
    spec_lite_header h;
    h.coeff0_offset = 17;
    const auto file = dir / (std::string("t-") + run2d + ".fits");
    write_sdss_spec_lite(file, s, h);
    const auto r = read_file(file);
    EXPECT_EQ(r.specobjid, s.meta.specobjid) << run2d;
    EXPECT_EQ(r.flux.size(), 33u);
    EXPECT_EQ(r.flux[32], 32.0f);
    const long k = std::lround((35800 * 1e-4 - r.coeff0) / 1e-4);
    EXPECT_EQ(k, std::string(run2d) == "26" ? 17 : 0) << run2d;
  }
  fs::remove_all(dir);
}

TEST(sdss_spec_writer, rejects_bad_input) {
  EXPECT_EQ(era_of("26"), sdss_era::legacy);
  EXPECT_EQ(era_of("104"), sdss_era::legacy);
  EXPECT_EQ(era_of("v5_13_2"), sdss_era::boss);
  EXPECT_THROW(era_of("v5"), specmill::invalid_argument);
  sdss_spectrum s;
  s.meta.run2d = "26";
  s.data.flux = {1, 2};
  s.data.loglam = {3.58f};  // lengths differ
  EXPECT_THROW(write_sdss_spec_lite(fs::temp_directory_path() / "never.fits", s), specmill::invalid_argument);
}

TEST_F(sample_test, bad_arguments_are_clear_errors) {
  sample_options o;
  o.out = root_ / "bad";
  o.count = 0;
  EXPECT_THROW(write_sample_data(o), specmill::invalid_argument);
  o.count = 3;
  o.legacy_fraction = 1.5;
  EXPECT_THROW(write_sample_data(o), specmill::invalid_argument);
  o.legacy_fraction = 0.25;
  o.out.clear();
  EXPECT_THROW(write_sample_data(o), specmill::invalid_argument);
  // A regular file where the output directory should go: cannot be created.
  fs::create_directories(root_);
  std::ofstream(root_ / "plain-file") << "x";
  o.out = root_ / "plain-file" / "out";
  EXPECT_THROW(write_sample_data(o), specmill::io_error);
}

TEST_F(sample_test, era_mix_follows_legacy_fraction) {
  make("all-legacy", 12, 2, 0, 1.0);
  make("all-boss", 12, 2, 0, 0.0);
  for (const auto& p : spectra_under(root_ / "all-legacy")) EXPECT_EQ(read_file(p).run2d, "26");
  for (const auto& p : spectra_under(root_ / "all-boss")) EXPECT_EQ(read_file(p).run2d, "v5_13_0");
  EXPECT_EQ(spectra_under(root_ / "all-legacy").size(), 12u);
}
