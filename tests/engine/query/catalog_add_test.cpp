// engine/catalog_add: a FITS value-added catalog written here with CFITSIO goes into the store
// as a registered table that `query --catalog` searches exactly; malformed input is refused.
#include "engine/query/catalog_add.hpp"

#include <fitsio.h>
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/query/query.hpp"
#include "engine/store/store.hpp"
#include "io/fits/fits_file.hpp"
#include "engine/store_fixture.hpp"

using namespace specmill;
namespace fs = std::filesystem;

namespace {

constexpr long n_rows = 3000;

struct vac_rows {
  std::vector<unsigned long long> id;
  std::vector<double> ra, dec;
  std::vector<float> z;
};

void ok(int status, const char* what) {
  if (status) {
    char text[FLEN_STATUS];
    fits_get_errstatus(status, text);
    FAIL() << what << ": " << text;
  }
}

// A table like a value-added catalog: an unsigned 64-bit SPECOBJID (TFORM 'W': K + TZERO 2^63),
// positions, a float, a string, a logical, an array column (skipped), an integer with TNULL, a
// column called HEALPIX and names that are not SQL identifiers.
vac_rows write_vac(const fs::path& file, bool with_pmf = false) {
  vac_rows v;
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(0, 1);
  for (long i = 0; i < n_rows; ++i) {
    const int plate = i % 2 ? 9000 + int(i % 500) : 300 + int(i % 500);  // half the IDs >= 2^63
    v.id.push_back(pack_specobjid({plate, 55000 + int(i / 500), 1 + int(i % 1000), 1300}));
    v.ra.push_back(i % 10 == 0 ? 359.99 + 0.02 * u(rng) : 360 * u(rng));
    v.dec.push_back(i == 7 ? std::nan("") : std::asin(2 * u(rng) - 1) * 57.29577951308232);
    v.z.push_back(float(4 * u(rng)));
  }
  const char* names[] = {"SPECOBJID", "RA", "DEC", "Z_VAC", "NAME", "GOOD", "FLUX3", "NPIX", "HEALPIX", "Z-ERR",
                         "2MASS_ID", "PLATE", "MJD", "FIBERID"};
  const char* forms[] = {"1W", "1D", "1D", "1E", "12A", "1L", "3E", "1J", "1J", "1E", "1K", "1J", "1J", "1J"};
  const int ncols = with_pmf ? 14 : 11;
  int status = 0;
  fitsfile* f = nullptr;
  fits_create_file(&f, ("!" + file.string()).c_str(), &status);
  fits_create_tbl(f, BINARY_TBL, n_rows, ncols, const_cast<char**>(names), const_cast<char**>(forms), nullptr, "VAC",
                  &status);
  long tnull = -99;
  fits_write_key(f, TLONG, "TNULL8", &tnull, "undefined NPIX", &status);
  fits_set_hdustruc(f, &status);
  fits_write_col(f, TULONGLONG, 1, 1, 1, n_rows, v.id.data(), &status);
  fits_write_col(f, TDOUBLE, 2, 1, 1, n_rows, v.ra.data(), &status);
  fits_write_col(f, TDOUBLE, 3, 1, 1, n_rows, v.dec.data(), &status);
  fits_write_col(f, TFLOAT, 4, 1, 1, n_rows, v.z.data(), &status);
  std::vector<std::string> names_s(n_rows);
  std::vector<char*> name_p(n_rows);
  std::vector<char> good(n_rows);
  std::vector<float> flux3(3 * n_rows, 1.5f);
  std::vector<int> npix(n_rows), hp(n_rows);
  std::vector<long long> twomass(n_rows);
  for (long i = 0; i < n_rows; ++i) {
    names_s[i] = "obj" + std::to_string(i);
    name_p[i] = names_s[i].data();
    good[i] = char(i % 3 != 0);
    npix[i] = i % 5 == 0 ? -99 : int(4000 + i);
    hp[i] = int(i);
    twomass[i] = 1000000 + i;
  }
  fits_write_col(f, TSTRING, 5, 1, 1, n_rows, name_p.data(), &status);
  fits_write_col(f, TLOGICAL, 6, 1, 1, n_rows, good.data(), &status);
  fits_write_col(f, TFLOAT, 7, 1, 1, 3 * n_rows, flux3.data(), &status);
  fits_write_col(f, TINT, 8, 1, 1, n_rows, npix.data(), &status);
  fits_write_col(f, TINT, 9, 1, 1, n_rows, hp.data(), &status);
  fits_write_col(f, TFLOAT, 10, 1, 1, n_rows, v.z.data(), &status);
  fits_write_col(f, TLONGLONG, 11, 1, 1, n_rows, twomass.data(), &status);
  if (with_pmf) {  // deliberately not what the IDs unpack to: the table's own columns win
    std::vector<int> one(n_rows, 1);
    for (int c = 12; c <= 14; ++c) fits_write_col(f, TINT, c, 1, 1, n_rows, one.data(), &status);
  }
  fits_close_file(f, &status);
  ok(status, "writing the test VAC");
  return v;
}

struct vac_store {
  test::temp_dir tmp;
  fs::path root = tmp.path() / "store";
  fs::path fits = tmp.path() / "vac.fits";
  vac_rows rows;
  vac_store() {
    { store st(root, store::access::write); }
    rows = write_vac(fits);
  }
  catalog_add_options options(const std::string& name = "myvac") const {
    catalog_add_options o;
    o.store = root;
    o.name = name;
    o.file = fits;
    return o;
  }
};

template <class E>
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  return "(no error of that type)";
}

}  // namespace

TEST(CatalogAdd, LoadsScalarColumnsAndRegistersTheTable) {
  vac_store s;
  const auto sum = add_catalog(s.options());
  EXPECT_EQ(sum.table.rows, n_rows);
  EXPECT_EQ(sum.columns, 10u);  // all but FLUX3
  ASSERT_EQ(sum.skipped.size(), 1u);
  EXPECT_EQ(sum.skipped[0].fits_name, "FLUX3");
  EXPECT_EQ(sum.skipped[0].reason, "array of 3 values");
  EXPECT_EQ(sum.invalid_positions, 1u);  // the NaN Dec
  const auto list = list_catalogs(s.root);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].name, "myvac");
  EXPECT_EQ(list[0].id_column, "specobjid");
  EXPECT_EQ(list[0].rows, n_rows);

  catalog_query q(s.root);
  const auto& cols = q.columns("myvac");
  for (const char* c : {"specobjid", "ra", "dec", "z_vac", "name", "good", "npix", "fits_healpix", "z_err",
                        "c2mass_id", "healpix"})
    EXPECT_NE(std::find(cols.begin(), cols.end(), c), cols.end()) << c;
  // Values: unsigned IDs round-trip, strings trimmed, logicals 0/1, TNULL -> NULL.
  query_request r;
  r.catalog = "myvac";
  r.constraint = "name = 'obj5' AND good = 1 AND npix IS NULL AND fits_healpix = 5 AND c2mass_id = 1000005";
  const auto rows = q.run(r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].specobjid, s.rows.id[5]);
  EXPECT_GE(rows[0].specobjid, uint64_t(1) << 63);
  const auto k = unpack_specobjid(s.rows.id[5]);  // no plate/mjd/fiberid columns: unpacked
  EXPECT_EQ(rows[0].plate, k.plate);
  EXPECT_EQ(rows[0].mjd, k.mjd);
  EXPECT_EQ(rows[0].fiberid, k.fiberid);
}

TEST(CatalogAdd, ConeAndPolygonSearchesOfTheCatalogAreExact) {
  vac_store s;
  add_catalog(s.options());
  catalog_query q(s.root);
  const std::vector<sky_region> regions = {sky_region::cone(0, 0, 40), sky_region::cone(359.995, 30, 60),
                                           sky_region::polygon({{350, -20}, {20, -20}, {20, 20}, {5, 0}, {350, 20}})};
  for (const auto& region : regions) {
    std::vector<uint64_t> want;
    for (long i = 0; i < n_rows; ++i)
      if (region.contains(s.rows.ra[i], s.rows.dec[i]) && s.rows.z[i] > 1) want.push_back(s.rows.id[i]);
    std::sort(want.begin(), want.end());
    ASSERT_GT(want.size(), 20u) << region.describe();
    query_request r;
    r.catalog = "myvac";
    r.region = region;
    r.constraint = "z_vac > 1";
    std::vector<uint64_t> got;
    for (const auto& row : q.run(r)) got.push_back(row.specobjid);
    EXPECT_EQ(got, want) << region.describe();
  }
}

TEST(CatalogAdd, ReplaceNamesAndPlateColumns) {
  vac_store s;
  add_catalog(s.options());
  EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(s.options()); }).find("already exists (use --replace"),
            std::string::npos);
  write_vac(s.fits, true);  // now with PLATE, MJD, FIBERID columns
  auto o = s.options();
  o.replace = true;
  EXPECT_EQ(add_catalog(o).table.rows, n_rows);
  catalog_query q(s.root);
  query_request r;
  r.catalog = "myvac";
  r.constraint = "name = 'obj5'";
  const auto rows = q.run(r);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].plate, 1);  // the table's own columns
  for (const char* bad : {"Bad", "1abc", "specobjall", "specobj", "catalogs", "sqlite_x", "specmill_cover", "a-b",
                          "x\"; DROP TABLE specobjall; --", ""})
    EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(s.options(bad)); }).find("catalog name"), std::string::npos)
        << bad;
  r.all = true;
  EXPECT_NE(error_of<invalid_argument>([&] { q.run(r); }).find("--all"), std::string::npos);
}

TEST(CatalogAdd, UnusableColumnsAndMalformedFilesAreRefused) {
  vac_store s;
  auto o = s.options();
  o.ra_column = "nope";
  EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(o); }).find("RA column 'nope' not found"), std::string::npos);
  o.ra_column = "FLUX3";
  EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(o); }).find("cannot be used: array of 3 values"),
            std::string::npos);
  o.ra_column = "NAME";
  EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(o); }).find("holds text"), std::string::npos);
  o = s.options();
  o.id_column = "Z_VAC";
  EXPECT_NE(error_of<invalid_argument>([&] { add_catalog(o); }).find("floating-point"), std::string::npos);
  o.id_column = "NAME";  // text IDs are parsed; these are not numbers
  EXPECT_NE(error_of<data_error>([&] { add_catalog(o); }).find("is not an integer"), std::string::npos);
  EXPECT_TRUE(list_catalogs(s.root).empty());  // nothing half-loaded

  o = s.options();
  o.file = s.tmp.path() / "missing.fits";
  EXPECT_THROW(add_catalog(o), not_found);
  o.file = s.tmp.path() / "garbage.fits";
  std::ofstream(o.file) << "SIMPLE  = this is not a FITS file";
  EXPECT_THROW(add_catalog(o), fits_error);
  o.file = s.tmp.path() / "image.fits";  // a FITS file with only an image
  {
    int status = 0;
    fitsfile* f = nullptr;
    long naxes[2] = {4, 4};
    fits_create_file(&f, ("!" + o.file.string()).c_str(), &status);
    fits_create_img(f, FLOAT_IMG, 2, naxes, &status);
    fits_close_file(f, &status);
    ok(status, "image");
  }
  EXPECT_NE(error_of<data_error>([&] { add_catalog(o); }).find("no binary table"), std::string::npos);
  o.file = s.tmp.path() / "truncated.fits";
  fs::copy_file(s.fits, o.file);
  fs::resize_file(o.file, fs::file_size(o.file) / 2);
  EXPECT_THROW(add_catalog(o), io_error);
  o = s.options();
  o.store = s.tmp.path() / "no-store";
  EXPECT_THROW(add_catalog(o), not_found);
  EXPECT_TRUE(list_catalogs(s.root).empty());
}
