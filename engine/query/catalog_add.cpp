#include "engine/query/catalog_add.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <set>

#include "core/error.hpp"
#include "core/specobjid.hpp"
#include "engine/store/store.hpp"

namespace fs = std::filesystem;

namespace specmill {
namespace {

constexpr size_t chunk_rows = 16384;  // rows read per FITS call: bounded memory for any size

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

// SQL names for the loaded columns: sql_identifier() of the FITS name, made unique; a FITS
// column called HEALPIX becomes fits_healpix (the name is the index's).
std::vector<std::string> sql_column_names(const std::vector<fits_scalar_column>& cols) {
  std::set<std::string> used = {"healpix"};
  std::vector<std::string> out;
  for (const auto& c : cols) {
    std::string base = sql_identifier(c.fits_name);
    if (base == "healpix") base = "fits_healpix";
    std::string name = base;
    for (int k = 2; used.count(name); ++k) name = base + "_" + std::to_string(k);
    used.insert(name);
    out.push_back(name);
  }
  return out;
}

size_t find_column(const fits_scalar_table& t, const std::string& wanted, const char* role, const fs::path& file) {
  for (size_t i = 0; i < t.columns().size(); ++i)
    if (iequals(t.columns()[i].fits_name, wanted)) return i;
  for (const auto& s : t.skipped())
    if (iequals(s.fits_name, wanted))
      throw invalid_argument(std::string(role) + " column '" + wanted + "' of " + file.string() +
                             " cannot be used: " + s.reason);
  throw invalid_argument(std::string(role) + " column '" + wanted + "' not found in " + file.string());
}

// A string ID column (legacy specObj files write SPECOBJID as text) becomes an INTEGER.
void convert_ids(std::vector<sql_value>& ids, size_t first_row, const fs::path& file) {
  for (size_t i = 0; i < ids.size(); ++i) {
    auto* s = std::get_if<std::string>(&ids[i]);
    if (!s) continue;
    const auto id = parse_specobjid(*s);
    SPECMILL_DATA_CHECK(id.has_value(), file.string() + " row " + std::to_string(first_row + i + 1) +
                                            ": ID '" + *s + "' is not an integer");
    ids[i] = static_cast<int64_t>(*id);
  }
}

}  // namespace

catalog_add_summary add_catalog(const catalog_add_options& o) {
  const auto t0 = std::chrono::steady_clock::now();
  check_catalog_name(o.name);
  if (!fs::is_directory(o.store)) throw not_found("no store at " + o.store.string());
  if (!fs::exists(o.file)) throw not_found("no such file: " + o.file.string());
  fits_scalar_table table(o.file);
  const size_t id = find_column(table, o.id_column, "ID", o.file);
  const size_t ra = find_column(table, o.ra_column, "RA", o.file);
  const size_t dec = find_column(table, o.dec_column, "Dec", o.file);
  if (table.columns()[id].type == sql_type::real)
    throw invalid_argument("ID column '" + o.id_column + "' holds floating-point values, not integer IDs");
  for (size_t c : {ra, dec})
    if (table.columns()[c].type == sql_type::text)
      throw invalid_argument("column '" + table.columns()[c].fits_name + "' holds text, not degrees");

  const auto names = sql_column_names(table.columns());
  std::vector<table_column> cols;
  for (size_t i = 0; i < names.size(); ++i)
    cols.push_back({names[i], i == id ? sql_type::integer : table.columns()[i].type});

  catalog_add_summary sum;
  sum.table = {o.name, fs::absolute(o.file).string(), 0, names[id], names[ra], names[dec], ""};
  sum.columns = cols.size();
  sum.skipped = table.skipped();

  store st(o.store, store::access::write);
  auto& db = st.sqlite_catalog().db();
  auto tx = st.sqlite_catalog().transaction();
  catalog_table_writer writer(db, sum.table, cols, o.replace);
  std::vector<std::vector<sql_value>> chunk(cols.size());
  std::vector<sql_value> row(cols.size());
  for (size_t first = 0; first < table.rows(); first += chunk_rows) {
    const size_t n = std::min(chunk_rows, table.rows() - first);
    for (size_t c = 0; c < cols.size(); ++c) chunk[c] = table.read(c, first, n);
    convert_ids(chunk[id], first, o.file);
    for (size_t r = 0; r < n; ++r) {
      for (size_t c = 0; c < cols.size(); ++c) row[c] = std::move(chunk[c][r]);
      if (!writer.insert(row)) ++sum.invalid_positions;
    }
  }
  writer.finish();
  tx.commit();
  sum.table.rows = writer.rows();
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (const auto& s : sum.skipped) spdlog::debug("catalog {}: column {} skipped ({})", o.name, s.fits_name, s.reason);
  return sum;
}

std::vector<catalog_table_info> list_catalogs(const fs::path& root) {
  store st(root, store::access::read);
  return st.catalog().catalog_tables();  // empty for format 1 (no registry)
}

}  // namespace specmill
