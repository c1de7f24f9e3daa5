#include "io/catalog/catalog_db.hpp"

#include <sqlite3.h>

#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "core/error.hpp"
#include "io/catalog/catalog_locator.hpp"
#include "io/catalog/catalog_tables.hpp"
#include "io/catalog/healpix.hpp"

namespace specmill {
namespace {

// specobjall's metadata columns, in bind order (after `context`). DR16 names, lowercase.
constexpr std::array<std::string_view, 26> meta_columns = {
    "specobjid", "plate", "mjd", "fiberid", "run2d", "ra", "dec", "plug_ra", "plug_dec", "z",
    "z_err", "zwarning", "class", "subclass", "sn_median_all", "specprimary", "spectroflux_u",
    "spectroflux_g", "spectroflux_r", "spectroflux_i", "spectroflux_z", "wavemin", "wavemax",
    "programname", "objtype", "thing_id"};

constexpr std::string_view schema_sql = R"sql(
CREATE TABLE IF NOT EXISTS store_info(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS contexts(
  name TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  created TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS blocks(
  block_id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  n_spectra INTEGER NOT NULL,
  lattice_start INTEGER NOT NULL,
  n_pixels INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now')));
CREATE TABLE IF NOT EXISTS specobjall(
  context TEXT NOT NULL,
  specobjid INTEGER NOT NULL,   -- uint64 SPECOBJID stored as the same 64 bits (two's complement)
  plate INTEGER NOT NULL, mjd INTEGER NOT NULL, fiberid INTEGER NOT NULL, run2d TEXT NOT NULL,
  ra REAL, dec REAL, plug_ra REAL, plug_dec REAL,
  z REAL, z_err REAL, zwarning INTEGER, class TEXT, subclass TEXT, sn_median_all REAL,
  specprimary INTEGER,
  spectroflux_u REAL, spectroflux_g REAL, spectroflux_r REAL, spectroflux_i REAL, spectroflux_z REAL,
  wavemin REAL, wavemax REAL, programname TEXT, objtype TEXT, thing_id INTEGER,
  block_id INTEGER,             -- NULL: catalog row without pixel data
  block_row INTEGER,
  lattice_start INTEGER,        -- lattice index (log10 lambda / 1e-4) of the first pixel
  npix INTEGER,
  healpix INTEGER,              -- NESTED order-29 pixel of (ra, dec); NULL for an invalid position
  PRIMARY KEY(context, specobjid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS specobjall_specobjid ON specobjall(specobjid);
CREATE INDEX IF NOT EXISTS specobjall_pmf ON specobjall(context, plate, mjd, fiberid);
CREATE INDEX IF NOT EXISTS specobjall_location ON specobjall(block_id, block_row);
-- Covering for region searches (the exact test and the usual output need no table row); partial,
-- so that the planner never picks it for a scan without a healpix range (docs/store-format.md).
CREATE INDEX IF NOT EXISTS specobjall_healpix ON specobjall(healpix, ra, dec, specprimary, plate, mjd, fiberid,
  block_id) WHERE healpix IS NOT NULL;
CREATE VIEW IF NOT EXISTS specobj AS SELECT * FROM specobjall WHERE specprimary = 1;
CREATE TABLE IF NOT EXISTS ingested_files(
  context TEXT NOT NULL, path TEXT NOT NULL, size INTEGER NOT NULL, mtime INTEGER NOT NULL,
  specobjid INTEGER NOT NULL,
  digest INTEGER,               -- 64-bit digest of the file's bytes; NULL: recorded before digests
  PRIMARY KEY(context, path)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS catalogs(
  name TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  rows INTEGER NOT NULL,
  id_column TEXT NOT NULL, ra_column TEXT NOT NULL, dec_column TEXT NOT NULL,
  created TEXT NOT NULL DEFAULT (datetime('now')));
)sql";

void fsync_path(const std::filesystem::path& p, int flags) {
  const int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) throw io_error("cannot open " + p.string() + " for fsync: " + std::strerror(errno));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) throw io_error("fsync " + p.string() + ": " + std::strerror(err));
}

// SQL function specmill_healpix(ra, dec): the index value, for backfilling older catalogs.
void sql_healpix(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const bool null = sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL;
  const auto pix = null ? std::nullopt : healpix_index(sqlite3_value_double(argv[0]), sqlite3_value_double(argv[1]));
  if (pix) sqlite3_result_int64(ctx, *pix);
  else sqlite3_result_null(ctx);
}

void bind_healpix(sqlite_stmt& st, int i, double ra, double dec) {
  if (const auto pix = healpix_index(ra, dec)) st.bind(i, *pix);
  else st.bind_null(i);
}

std::string column_list() {
  std::string s;
  for (auto c : meta_columns) s += std::string(s.empty() ? "" : ", ") + std::string(c);
  return s;
}

std::string placeholders(size_t n, int first) {
  std::string s;
  for (size_t i = 0; i < n; ++i) s += (i ? ", ?" : "?") + std::to_string(first + int(i));
  return s;
}

// Binds spec_meta at parameters first..first+25 in meta_columns order.
void bind_meta(sqlite_stmt& st, int first, const spec_meta& m) {
  int i = first;
  auto next = [&] { return i++; };
  st.bind_id(next(), m.specobjid);
  st.bind(next(), m.plate);
  st.bind(next(), m.mjd);
  st.bind(next(), m.fiberid);
  st.bind(next(), std::string_view(m.run2d));
  st.bind(next(), m.plug_ra);  // ra: a spectrum's position is its plug position
  st.bind(next(), m.plug_dec);
  st.bind(next(), m.plug_ra);
  st.bind(next(), m.plug_dec);
  st.bind(next(), double(m.z));
  st.bind(next(), double(m.z_err));
  st.bind(next(), m.zwarning);
  st.bind(next(), std::string_view(m.class_name));
  st.bind(next(), std::string_view(m.subclass));
  st.bind(next(), double(m.sn_median_all));
  st.bind(next(), m.specprimary);
  for (float f : m.spectroflux) st.bind(next(), double(f));
  st.bind(next(), double(m.wavemin));
  st.bind(next(), double(m.wavemax));
  st.bind(next(), std::string_view(m.programname));
  st.bind(next(), std::string_view(m.objtype));
  st.bind(next(), m.thing_id);
}

// Reads a row selected as `context, <meta_columns>, block_id, block_row, lattice_start, npix`.
catalog_entry read_entry(const sqlite_stmt& st) {
  catalog_entry e;
  e.context = st.text(0);
  spec_meta& m = e.meta;
  int i = 1;
  m.specobjid = st.id(i++);
  m.plate = int32_t(st.i64(i++));
  m.mjd = int32_t(st.i64(i++));
  m.fiberid = int32_t(st.i64(i++));
  m.run2d = st.text(i++);
  i += 2;  // ra, dec mirror plug_ra, plug_dec
  m.plug_ra = st.f64(i++);
  m.plug_dec = st.f64(i++);
  m.z = float(st.f64(i++));
  m.z_err = float(st.f64(i++));
  m.zwarning = int32_t(st.i64(i++));
  m.class_name = st.text(i++);
  m.subclass = st.text(i++);
  m.sn_median_all = float(st.f64(i++));
  m.specprimary = int32_t(st.i64(i++));
  for (float& f : m.spectroflux) f = float(st.f64(i++));
  m.wavemin = float(st.f64(i++));
  m.wavemax = float(st.f64(i++));
  m.programname = st.text(i++);
  m.objtype = st.text(i++);
  m.thing_id = st.i64(i++);
  if (!st.is_null(i)) {
    e.location = spectrum_location{st.i64(i), int32_t(st.i64(i + 1)), int32_t(st.i64(i + 2)),
                                   int32_t(st.i64(i + 3))};
  }
  return e;
}

// Without the FROM clause: the plate-mjd-fiber lookup names its index there (pmf_lookup_sql).
const std::string& select_entry_columns_sql() {
  static const std::string sql = "SELECT context, " + column_list() + ", block_id, block_row, lattice_start, npix ";
  return sql;
}

const std::string& select_entry_sql() {
  static const std::string sql = select_entry_columns_sql() + "FROM specobjall ";
  return sql;
}

}  // namespace

const std::vector<std::string_view>& specobjall_meta_columns() {
  static const std::vector<std::string_view> cols(meta_columns.begin(), meta_columns.end());
  return cols;
}

namespace {

enum stmt_id {
  s_put_spectrum, s_put_catalog, s_mark_file, s_file_done, s_has_pixels, s_find_pixels,
  s_lookup_id, s_lookup_pmf, s_insert_block, s_replace_spectrum, s_file_record, s_count
};

}  // namespace

catalog_db::catalog_db(const std::filesystem::path& file, sqlite_db::mode m) {
  if (m == sqlite_db::mode::read_only && !std::filesystem::exists(file))
    throw not_found("no catalog at " + file.string() + " (not a specmill store?)");
  if (m == sqlite_db::mode::read_write && !std::filesystem::exists(file)) create_atomically(file);
  db_ = sqlite_db(file, m);
  stmts_.resize(s_count);
  if (m == sqlite_db::mode::read_write) {
    // WAL: readers (get, serve) never block the ingest writer; FULL sync makes a committed
    // block durable before the next one starts.
    db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
    register_functions();
    create_or_upgrade_schema(file);
  }
  version_ = read_version(file);
  // Readers accept the previous format (get, verify and info do not need the HEALPix index);
  // query checks has_healpix_index() and asks for an upgrade.
  if (version_ != format_version && !(m == sqlite_db::mode::read_only && version_ == 1))
    throw data_error(file.string() + ": catalog format " + std::to_string(version_) + ", this build reads " +
                     std::to_string(format_version));
}

void catalog_db::register_functions() {
  const int rc = sqlite3_create_function_v2(db_.get(), "specmill_healpix", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                            nullptr, sql_healpix, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) db_.fail(rc, "cannot register specmill_healpix");
}

// Before this, a kill -9 in the first milliseconds of a new store left catalog.sqlite created
// by sqlite3_open but without its schema: every reader then failed with "no format_version"
// until the next ingest. Built aside and renamed, the catalog appears whole or not at all.
void catalog_db::create_atomically(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  fs::path tmp = file;
  tmp += ".new-" + std::to_string(::getpid());
  auto remove_tmp = [&] {
    std::error_code ec;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) fs::remove(fs::path(tmp.string() + suffix), ec);
  };
  remove_tmp();  // a leftover of a killed process that had our PID
  try {
    db_ = sqlite_db(tmp, sqlite_db::mode::read_write);
    db_.exec("PRAGMA synchronous=FULL;");
    register_functions();
    create_or_upgrade_schema(tmp);
    // Switched here, while this is the only connection: the mode is recorded in the file, and
    // closing checkpoints and deletes tmp-wal, so the renamed file needs no companion.
    db_.exec("PRAGMA journal_mode=WAL;");
    db_ = sqlite_db();
    fsync_path(tmp, O_RDONLY);
    // No-replace: if another process created the catalog meanwhile, its catalog stands.
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, file.c_str(), RENAME_NOREPLACE) != 0) {
      int err = errno;
      if (err == EINVAL || err == ENOSYS) {  // a file system without RENAME_NOREPLACE: link() is
        err = ::link(tmp.c_str(), file.c_str()) == 0 ? 0 : errno;  // no-replace too
      }
      if (err != 0 && err != EEXIST) {
        throw io_error("cannot rename " + tmp.string() + " to " + file.string() + ": " + std::strerror(err));
      }
      remove_tmp();  // after link(), or when another process won
      if (err == EEXIST) return;
    }
    fsync_path(file.has_parent_path() ? file.parent_path() : fs::path("."), O_RDONLY | O_DIRECTORY);
  } catch (...) {
    db_ = sqlite_db();
    remove_tmp();
    throw;
  }
}

int catalog_db::read_version(const std::filesystem::path& file) {
  int version = 0;
  try {
    sqlite_stmt v(db_, "SELECT value FROM store_info WHERE key = 'format_version'");
    if (v.step()) version = std::stoi(v.text(0));
  } catch (const sqlite_error&) {
    // no store_info table: not ours
  } catch (const std::logic_error&) {
    // format_version not a number
  }
  if (version <= 0) throw data_error(file.string() + " is not a specmill catalog (no format_version)");
  return version;
}

void catalog_db::create_or_upgrade_schema(const std::filesystem::path& file) {
  auto tx = transaction();
  sqlite_stmt exists(db_, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'store_info'");
  if (exists.step()) {
    exists.reset();
    const int version = read_version(file);
    if (version > format_version)
      throw data_error(file.string() + ": catalog format " + std::to_string(version) + " is newer than this build (" +
                       std::to_string(format_version) + ")");
    if (version == 1) upgrade_from_1(file);
  } else {
    exists.reset();
  }
  db_.exec(schema_sql);
  add_file_digest_column();
  sqlite_stmt st(db_, "INSERT OR IGNORE INTO store_info(key, value) VALUES('format_version', ?1)");
  st.bind(1, std::string_view(std::to_string(format_version))).run();
  tx.commit();
}

// Format 1 -> 2: the HEALPix column (filled from ra, dec) and its index, the catalogs registry.
// Runs inside create_or_upgrade_schema's transaction: a crash leaves format 1 intact.
void catalog_db::upgrade_from_1(const std::filesystem::path& file) {
  spdlog::info("upgrading catalog {} from format 1 to {} (adding the HEALPix index)", file.string(), format_version);
  db_.exec("ALTER TABLE specobjall ADD COLUMN healpix INTEGER");
  db_.exec("UPDATE specobjall SET healpix = specmill_healpix(ra, dec)");
  db_.exec("UPDATE store_info SET value = '" + std::to_string(format_version) + "' WHERE key = 'format_version'");
}

// The digest column came without a format change: older builds name their columns when they
// write ingested_files (the new one is then NULL) and never read it. Added on a writer's open.
void catalog_db::add_file_digest_column() {
  if (has_file_digest_column()) return;
  db_.exec("ALTER TABLE ingested_files ADD COLUMN digest INTEGER");
  has_digest_ = true;
}

bool catalog_db::has_file_digest_column() {
  if (!has_digest_) {
    sqlite_stmt st(db_, "SELECT 1 FROM pragma_table_info('ingested_files') WHERE name = 'digest'");
    has_digest_ = st.step();
  }
  return *has_digest_;
}

sqlite_stmt& catalog_db::stmt(int which, std::string_view sql) {
  auto& st = stmts_[size_t(which)];
  if (!st.prepared()) st = sqlite_stmt(db_, sql);
  return st;
}

void catalog_db::ensure_context(std::string_view name, std::string_view description) {
  SPECMILL_EXPECTS(!name.empty(), "context name must not be empty");
  sqlite_stmt st(db_, "INSERT INTO contexts(name, description) VALUES(?1, ?2) ON CONFLICT(name) DO "
                      "UPDATE SET description = excluded.description WHERE excluded.description <> ''");
  st.bind(1, name).bind(2, description).run();
}

bool catalog_db::has_context(std::string_view name) {
  sqlite_stmt st(db_, "SELECT 1 FROM contexts WHERE name = ?1");
  st.bind(1, name);
  return st.step();
}

std::vector<context_info> catalog_db::contexts() {
  sqlite_stmt st(db_,
                 "SELECT c.name, c.description, count(s.specobjid), count(s.block_id) FROM contexts c "
                 "LEFT JOIN specobjall s ON s.context = c.name GROUP BY c.name ORDER BY c.name");
  std::vector<context_info> out;
  while (st.step()) out.push_back({st.text(0), st.text(1), st.i64(2), st.i64(3)});
  return out;
}

void catalog_db::insert_block(const block_record& b) {
  auto& st = stmt(s_insert_block,
                  "INSERT INTO blocks(block_id, path, n_spectra, lattice_start, n_pixels, bytes) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, b.block_id).bind(2, std::string_view(b.path)).bind(3, b.n_spectra);
  st.bind(4, b.lattice_start).bind(5, b.n_pixels).bind(6, b.bytes).run();
}

void catalog_db::put_spectrum(std::string_view context, const spec_meta& meta, const spectrum_location& loc) {
  static const std::string sql =
      "INSERT INTO specobjall(context, " + column_list() +
      ", block_id, block_row, lattice_start, npix, healpix) VALUES(?1, " + placeholders(meta_columns.size(), 2) +
      ", ?28, ?29, ?30, ?31, ?32) ON CONFLICT(context, specobjid) DO UPDATE SET block_id = excluded.block_id, "
      "block_row = excluded.block_row, lattice_start = excluded.lattice_start, npix = excluded.npix "
      "WHERE specobjall.block_id IS NULL";
  auto& st = stmt(s_put_spectrum, sql);
  st.bind(1, context);
  bind_meta(st, 2, meta);
  st.bind(28, loc.block_id).bind(29, loc.row).bind(30, loc.lattice_start).bind(31, loc.npix);
  bind_healpix(st, 32, meta.plug_ra, meta.plug_dec);
  st.run();
}

void catalog_db::put_catalog_row(std::string_view context, const spec_meta& meta) {
  static const std::string sql = [] {
    std::string s = "INSERT INTO specobjall(context, " + column_list() + ", healpix) VALUES(?1, " +
                    placeholders(meta_columns.size(), 2) + ", ?28) ON CONFLICT(context, specobjid) DO UPDATE SET ";
    for (size_t i = 1; i < meta_columns.size(); ++i)
      s += (i > 1 ? ", " : "") + std::string(meta_columns[i]) + " = excluded." + std::string(meta_columns[i]);
    return s + ", healpix = excluded.healpix";
  }();
  auto& st = stmt(s_put_catalog, sql);
  st.bind(1, context);
  bind_meta(st, 2, meta);
  bind_healpix(st, 28, meta.plug_ra, meta.plug_dec);
  st.run();
}

void catalog_db::mark_file(std::string_view context, std::string_view path, int64_t size, int64_t mtime,
                           uint64_t specobjid, std::optional<uint64_t> digest) {
  auto& st = stmt(s_mark_file,
                  "INSERT OR REPLACE INTO ingested_files(context, path, size, mtime, specobjid, digest) "
                  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, context).bind(2, path).bind(3, size).bind(4, mtime).bind_id(5, specobjid);
  if (digest) st.bind_id(6, *digest);
  else st.bind_null(6);
  st.run();
}

void catalog_db::replace_spectrum(std::string_view context, const spec_meta& meta, const spectrum_location& loc) {
  static const std::string sql = [] {
    std::string s = "INSERT INTO specobjall(context, " + column_list() +
                    ", block_id, block_row, lattice_start, npix, healpix) VALUES(?1, " +
                    placeholders(meta_columns.size(), 2) + ", ?28, ?29, ?30, ?31, ?32) ON CONFLICT(context, specobjid) DO UPDATE SET ";
    for (size_t i = 1; i < meta_columns.size(); ++i)
      s += std::string(meta_columns[i]) + " = excluded." + std::string(meta_columns[i]) + ", ";
    return s + "block_id = excluded.block_id, block_row = excluded.block_row, lattice_start = excluded.lattice_start, "
               "npix = excluded.npix, healpix = excluded.healpix";
  }();
  auto& st = stmt(s_replace_spectrum, sql);
  st.bind(1, context);
  bind_meta(st, 2, meta);
  st.bind(28, loc.block_id).bind(29, loc.row).bind(30, loc.lattice_start).bind(31, loc.npix);
  bind_healpix(st, 32, meta.plug_ra, meta.plug_dec);
  st.run();
}

bool catalog_db::file_done(std::string_view context, std::string_view path, int64_t size, int64_t mtime) {
  auto& st = stmt(s_file_done,
                  "SELECT 1 FROM ingested_files WHERE context = ?1 AND path = ?2 AND size = ?3 AND mtime = ?4");
  st.bind(1, context).bind(2, path).bind(3, size).bind(4, mtime);
  const bool done = st.step();
  st.reset();
  return done;
}

namespace {
ingested_file read_file_record(const sqlite_stmt& st, bool with_digest) {
  ingested_file f{st.text(0), st.i64(1), st.i64(2), st.id(3), std::nullopt};
  if (with_digest && !st.is_null(4)) f.digest = st.id(4);
  return f;
}
std::string file_record_sql(bool with_digest) {
  return std::string("SELECT path, size, mtime, specobjid") + (with_digest ? ", digest" : "") +
         " FROM ingested_files WHERE context = ?1";
}
}  // namespace

bool catalog_db::has_files(std::string_view context) {
  sqlite_stmt st(db_, "SELECT 1 FROM ingested_files WHERE context = ?1 LIMIT 1");
  st.bind(1, context);
  return st.step();
}

std::optional<ingested_file> catalog_db::file_record(std::string_view context, std::string_view path) {
  const bool digest = has_file_digest_column();
  auto& st = stmt(s_file_record, file_record_sql(digest) + " AND path = ?2");
  st.bind(1, context).bind(2, path);
  std::optional<ingested_file> f;
  if (st.step()) f = read_file_record(st, digest);
  st.reset();
  return f;
}

void catalog_db::for_each_file(std::string_view context, const std::function<void(const ingested_file&)>& fn) {
  const bool digest = has_file_digest_column();
  sqlite_stmt st(db_, file_record_sql(digest) + " ORDER BY path");
  st.bind(1, context);
  while (st.step()) fn(read_file_record(st, digest));
}

std::vector<std::pair<uint64_t, std::string>> catalog_db::files_of(std::string_view context,
                                                                   const std::vector<uint64_t>& specobjids) {
  std::vector<std::pair<uint64_t, std::string>> out;
  if (specobjids.empty()) return out;
  db_.exec("CREATE TEMP TABLE IF NOT EXISTS wanted_ids(id INTEGER PRIMARY KEY); DELETE FROM temp.wanted_ids;");
  {
    sqlite_stmt ins(db_, "INSERT OR IGNORE INTO temp.wanted_ids(id) VALUES(?1)");
    for (uint64_t id : specobjids) {
      ins.bind_id(1, id).run();
      ins.reset();
    }
  }
  sqlite_stmt st(db_,
                 "SELECT f.specobjid, f.path FROM ingested_files f JOIN temp.wanted_ids w ON w.id = f.specobjid "
                 "WHERE f.context = ?1 ORDER BY f.path");
  st.bind(1, context);
  while (st.step()) out.emplace_back(st.id(0), st.text(1));
  db_.exec("DELETE FROM temp.wanted_ids");
  return out;
}

bool catalog_db::has_pixels(std::string_view context, uint64_t specobjid) {
  auto& st = stmt(s_has_pixels,
                  "SELECT 1 FROM specobjall WHERE context = ?1 AND specobjid = ?2 AND block_id IS NOT NULL");
  st.bind(1, context).bind_id(2, specobjid);
  const bool found = st.step();
  st.reset();
  return found;
}

std::optional<spectrum_location> catalog_db::find_pixels(uint64_t specobjid) {
  auto& st = stmt(s_find_pixels,
                  "SELECT block_id, block_row, lattice_start, npix FROM specobjall "
                  "WHERE specobjid = ?1 AND block_id IS NOT NULL LIMIT 1");
  st.bind_id(1, specobjid);
  std::optional<spectrum_location> loc;
  if (st.step()) loc = spectrum_location{st.i64(0), int32_t(st.i64(1)), int32_t(st.i64(2)), int32_t(st.i64(3))};
  st.reset();
  return loc;
}

std::optional<catalog_entry> catalog_db::lookup(std::string_view context, uint64_t specobjid) {
  static const std::string sql = select_entry_sql() + "WHERE context = ?1 AND specobjid = ?2";
  auto& st = stmt(s_lookup_id, sql);
  st.bind(1, context).bind_id(2, specobjid);
  std::optional<catalog_entry> e;
  if (st.step()) e = read_entry(st);
  st.reset();
  return e;
}

std::optional<catalog_entry> catalog_db::lookup(std::string_view context, int32_t plate, int32_t mjd,
                                                int32_t fiberid) {
  static const std::string sql = select_entry_columns_sql() + pmf_lookup_sql;
  auto& st = stmt(s_lookup_pmf, sql);
  st.bind(1, context).bind(2, plate).bind(3, mjd).bind(4, fiberid);
  std::optional<catalog_entry> e;
  if (st.step()) e = read_entry(st);
  st.reset();
  return e;
}

std::vector<block_record> catalog_db::blocks() {
  sqlite_stmt st(db_, "SELECT block_id, path, n_spectra, lattice_start, n_pixels, bytes FROM blocks ORDER BY block_id");
  std::vector<block_record> out;
  while (st.step())
    out.push_back({st.i64(0), st.text(1), st.i64(2), int32_t(st.i64(3)), st.i64(4), st.i64(5)});
  return out;
}

int64_t catalog_db::max_block_id() {
  sqlite_stmt st(db_, "SELECT coalesce(max(block_id), 0) FROM blocks");
  st.step();
  return st.i64(0);
}

std::vector<catalog_table_info> catalog_db::catalog_tables() {
  if (!has_healpix_index()) return {};  // format 1 has no registry
  return list_catalog_tables(db_);
}

std::unique_ptr<catalog_locator> catalog_db::locator(std::string context) {
  return std::make_unique<sqlite_catalog_locator>(*this, std::move(context));
}

void catalog_db::for_each_located(std::string_view context,
                                  const std::function<void(const catalog_entry&)>& fn) {
  const std::string sql = select_entry_sql() + "WHERE block_id IS NOT NULL" +
                          (context.empty() ? "" : " AND context = ?1") + " ORDER BY block_id, block_row";
  sqlite_stmt st(db_, sql);
  if (!context.empty()) st.bind(1, context);
  while (st.step()) fn(read_entry(st));
}

}  // namespace specmill
