#include "io/catalog/pg_catalog.hpp"

#include "core/error.hpp"
#include "io/catalog/catalog_db.hpp"

namespace specmill {
namespace {

std::string entry_columns() {
  std::string s = "context";
  for (auto c : specobjall_meta_columns()) s += ", " + pg_connection::quote_identifier(c);
  return s + ", block_id, block_row, lattice_start, npix";
}

const std::string& select_entry_sql() {
  static const std::string sql = "SELECT " + entry_columns() + " FROM specobjall ";
  return sql;
}

std::string text(const pg_result_set& r, int row, int c) { return std::string(r.text(row, c)); }
double f64_or_0(const pg_result_set& r, int row, int c) { return r.is_null(row, c) ? 0.0 : r.f64(row, c); }
int64_t i64_or_0(const pg_result_set& r, int row, int c) { return r.is_null(row, c) ? 0 : r.i64(row, c); }

// A row selected as select_entry_sql() (the same order as catalog_db's reader).
catalog_entry read_entry(const pg_result_set& r, int row) {
  catalog_entry e;
  e.context = text(r, row, 0);
  spec_meta& m = e.meta;
  int i = 1;
  m.specobjid = r.id(row, i++);
  m.plate = int32_t(r.i64(row, i++));
  m.mjd = int32_t(r.i64(row, i++));
  m.fiberid = int32_t(r.i64(row, i++));
  m.run2d = text(r, row, i++);
  i += 2;  // ra, dec mirror plug_ra, plug_dec
  m.plug_ra = f64_or_0(r, row, i++);
  m.plug_dec = f64_or_0(r, row, i++);
  m.z = float(f64_or_0(r, row, i++));
  m.z_err = float(f64_or_0(r, row, i++));
  m.zwarning = int32_t(i64_or_0(r, row, i++));
  m.class_name = text(r, row, i++);
  m.subclass = text(r, row, i++);
  m.sn_median_all = float(f64_or_0(r, row, i++));
  m.specprimary = int32_t(i64_or_0(r, row, i++));
  for (float& f : m.spectroflux) f = float(f64_or_0(r, row, i++));
  m.wavemin = float(f64_or_0(r, row, i++));
  m.wavemax = float(f64_or_0(r, row, i++));
  m.programname = text(r, row, i++);
  m.objtype = text(r, row, i++);
  m.thing_id = i64_or_0(r, row, i++);
  if (!r.is_null(row, i))
    e.location = spectrum_location{r.i64(row, i), int32_t(r.i64(row, i + 1)), int32_t(r.i64(row, i + 2)),
                                   int32_t(r.i64(row, i + 3))};
  return e;
}

std::optional<catalog_entry> first_entry(const pg_result_set& r) {
  if (r.rows() == 0) return std::nullopt;
  return read_entry(r, 0);
}

pg_param p(std::string_view s) { return std::string(s); }
pg_param p(int64_t v) { return std::to_string(v); }

class pg_locator final : public catalog_locator {
 public:
  pg_locator(pg_connection& c, std::string context) : c_(c), context_(std::move(context)) {}

  std::optional<catalog_entry> find(uint64_t specobjid) override {
    return read(c_.exec(std::string(fields) + "WHERE context = $1 AND specobjid = $2",
                        {p(context_), pg_connection::text_of(specobjid)}));
  }
  std::optional<catalog_entry> find(int32_t plate, int32_t mjd, int32_t fiberid) override {
    return read(c_.exec(std::string(fields) +
                            "WHERE context = $1 AND plate = $2 AND mjd = $3 AND fiberid = $4 "
                            "ORDER BY specprimary DESC, block_id IS NULL, specobjid DESC LIMIT 1",
                        {p(context_), p(plate), p(mjd), p(fiberid)}));
  }
  std::vector<uint64_t> expand(int32_t plate, std::optional<int32_t> mjd, int32_t fiber_lo,
                               int32_t fiber_hi) override {
    const auto r = c_.exec(
        "SELECT specobjid FROM specobjall WHERE context = $1 AND plate = $2 AND ($3::bigint IS NULL OR mjd = $3) "
        "AND fiberid BETWEEN $4 AND $5 AND block_id IS NOT NULL ORDER BY mjd, fiberid, specobjid",
        {p(context_), p(plate), mjd ? p(*mjd) : pg_param{}, p(fiber_lo), p(fiber_hi)});
    std::vector<uint64_t> ids;
    for (int i = 0; i < r.rows(); ++i) ids.push_back(r.id(i, 0));
    return ids;
  }

 private:
  static constexpr const char* fields =
      "SELECT specobjid, plate, mjd, fiberid, z, specprimary, block_id, block_row, lattice_start, npix "
      "FROM specobjall ";
  static std::optional<catalog_entry> read(const pg_result_set& r) {
    std::optional<catalog_entry> e;
    if (r.rows() == 0) return e;
    e.emplace();
    spec_meta& m = e->meta;
    m.specobjid = r.id(0, 0);
    m.plate = int32_t(r.i64(0, 1));
    m.mjd = int32_t(r.i64(0, 2));
    m.fiberid = int32_t(r.i64(0, 3));
    m.z = float(f64_or_0(r, 0, 4));
    m.specprimary = int32_t(i64_or_0(r, 0, 5));
    if (!r.is_null(0, 6))
      e->location = spectrum_location{r.i64(0, 6), int32_t(r.i64(0, 7)), int32_t(r.i64(0, 8)), int32_t(r.i64(0, 9))};
    return e;
  }
  pg_connection& c_;
  std::string context_;
};

}  // namespace

std::string pg_q3c_ra(const std::string& ra) { return "(" + ra + " - 360 * floor(" + ra + " / 360))"; }

pg_catalog::pg_catalog(const std::string& url) : conn_(url) {
  try {
    const auto r = conn_.exec("SELECT value FROM store_info WHERE key = 'format_version'");
    if (r.rows() == 1) version_ = std::stoi(text(r, 0, 0));
  } catch (const pg_error&) {
    // no store_info table: nothing exported here
  } catch (const std::logic_error&) {
    // not a number
  }
  if (version_ <= 0)
    throw data_error("the PostgreSQL database holds no specmill catalog (run `specmill catalog export` first)");
  if (version_ != catalog_db::format_version)
    throw data_error("the PostgreSQL catalog is format " + std::to_string(version_) + ", this build reads " +
                     std::to_string(catalog_db::format_version) + ": export it again");
}

bool pg_catalog::has_context(std::string_view name) {
  return conn_.exec("SELECT 1 FROM contexts WHERE name = $1", {p(name)}).rows() > 0;
}

std::vector<context_info> pg_catalog::contexts() {
  const auto r = conn_.exec(
      "SELECT c.name, c.description, count(s.specobjid), count(s.block_id) FROM contexts c "
      "LEFT JOIN specobjall s ON s.context = c.name GROUP BY c.name, c.description ORDER BY c.name");
  std::vector<context_info> out;
  for (int i = 0; i < r.rows(); ++i) out.push_back({text(r, i, 0), text(r, i, 1), r.i64(i, 2), r.i64(i, 3)});
  return out;
}

std::optional<spectrum_location> pg_catalog::find_pixels(uint64_t specobjid) {
  const auto r = conn_.exec(
      "SELECT block_id, block_row, lattice_start, npix FROM specobjall WHERE specobjid = $1 AND block_id IS NOT NULL "
      "ORDER BY context LIMIT 1",
      {pg_connection::text_of(specobjid)});
  if (r.rows() == 0) return std::nullopt;
  return spectrum_location{r.i64(0, 0), int32_t(r.i64(0, 1)), int32_t(r.i64(0, 2)), int32_t(r.i64(0, 3))};
}

std::optional<catalog_entry> pg_catalog::lookup(std::string_view context, uint64_t specobjid) {
  return first_entry(conn_.exec(select_entry_sql() + "WHERE context = $1 AND specobjid = $2",
                                {p(context), pg_connection::text_of(specobjid)}));
}

std::optional<catalog_entry> pg_catalog::lookup(std::string_view context, int32_t plate, int32_t mjd,
                                                int32_t fiberid) {
  return first_entry(conn_.exec(select_entry_sql() +
                                    "WHERE context = $1 AND plate = $2 AND mjd = $3 AND fiberid = $4 "
                                    "ORDER BY specprimary DESC, block_id IS NULL, specobjid DESC LIMIT 1",
                                {p(context), p(plate), p(mjd), p(fiberid)}));
}

std::vector<block_record> pg_catalog::blocks() {
  const auto r =
      conn_.exec("SELECT block_id, path, n_spectra, lattice_start, n_pixels, bytes FROM blocks ORDER BY block_id");
  std::vector<block_record> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({r.i64(i, 0), text(r, i, 1), r.i64(i, 2), int32_t(r.i64(i, 3)), r.i64(i, 4), r.i64(i, 5)});
  return out;
}

void pg_catalog::for_each_located(std::string_view context, const std::function<void(const catalog_entry&)>& fn) {
  // A cursor: the rows come 10,000 at a time, however many the store holds.
  pg_transaction tx(conn_, "BEGIN TRANSACTION READ ONLY");
  conn_.exec("DECLARE specmill_located NO SCROLL CURSOR FOR " + select_entry_sql() + "WHERE block_id IS NOT NULL" +
             (context.empty() ? "" : " AND context = " + conn_.quote_literal(context)) +
             " ORDER BY block_id, block_row");
  while (true) {
    const auto r = conn_.exec("FETCH 10000 FROM specmill_located");
    for (int i = 0; i < r.rows(); ++i) fn(read_entry(r, i));
    if (r.rows() < 10000) break;
  }
  tx.commit();
}

std::vector<catalog_table_info> pg_catalog::catalog_tables() {
  const auto r = conn_.exec(
      "SELECT name, source, rows, id_column, ra_column, dec_column, created FROM catalogs ORDER BY name");
  std::vector<catalog_table_info> out;
  for (int i = 0; i < r.rows(); ++i)
    out.push_back({text(r, i, 0), text(r, i, 1), r.i64(i, 2), text(r, i, 3), text(r, i, 4), text(r, i, 5),
                   text(r, i, 6)});
  return out;
}

std::unique_ptr<catalog_locator> pg_catalog::locator(std::string context) {
  return std::make_unique<pg_locator>(conn_, std::move(context));
}

}  // namespace specmill
