#include "io/catalog/catalog_locator.hpp"

namespace specmill {
namespace {

constexpr const char* columns = "SELECT specobjid, plate, mjd, fiberid, z, specprimary, block_id, block_row, lattice_start, npix ";

}  // namespace

sqlite_catalog_locator::read_transaction::read_transaction(sqlite_db& d) : db(d) { db.exec("SAVEPOINT locator"); }

sqlite_catalog_locator::read_transaction::~read_transaction() {
  // Nothing was written in it, so releasing loses nothing. Should RELEASE fail (none is known
  // to for a read-only savepoint), rolling back to it first still ends it: an open snapshot
  // must not outlive the locator (a service thread keeps its connection, and would go on
  // reading the catalog as it was).
  try {
    db.exec("RELEASE locator");
  } catch (...) {
    try {
      db.exec("ROLLBACK TO locator; RELEASE locator");
    } catch (...) {
    }
  }
}

sqlite_catalog_locator::sqlite_catalog_locator(catalog_db& cat, std::string context)
    : transaction_(cat.db()),
      context_(std::move(context)),
      by_id_(cat.db(), std::string(columns) + "FROM specobjall WHERE context = ?1 AND specobjid = ?2"),
      by_pmf_(cat.db(), std::string(columns) + pmf_lookup_sql),
      expand_(cat.db(),
              "SELECT specobjid FROM specobjall WHERE context = ?1 AND plate = ?2 AND (?3 IS NULL OR mjd = ?3) "
              "AND fiberid BETWEEN ?4 AND ?5 AND block_id IS NOT NULL ORDER BY mjd, fiberid, specobjid") {}

std::vector<uint64_t> sqlite_catalog_locator::expand(int32_t plate, std::optional<int32_t> mjd, int32_t fiber_lo,
                                              int32_t fiber_hi) {
  expand_.bind(1, std::string_view(context_)).bind(2, plate);
  if (mjd)
    expand_.bind(3, *mjd);
  else
    expand_.bind_null(3);
  expand_.bind(4, fiber_lo).bind(5, fiber_hi);
  std::vector<uint64_t> ids;
  while (expand_.step()) ids.push_back(expand_.id(0));
  expand_.reset();
  return ids;
}

std::optional<catalog_entry> sqlite_catalog_locator::read(sqlite_stmt& st) {
  std::optional<catalog_entry> e;
  if (st.step()) {
    e.emplace();
    spec_meta& m = e->meta;
    m.specobjid = st.id(0);
    m.plate = int32_t(st.i64(1));
    m.mjd = int32_t(st.i64(2));
    m.fiberid = int32_t(st.i64(3));
    m.z = float(st.f64(4));
    m.specprimary = int32_t(st.i64(5));
    if (!st.is_null(6))
      e->location = spectrum_location{st.i64(6), int32_t(st.i64(7)), int32_t(st.i64(8)), int32_t(st.i64(9))};
  }
  st.reset();
  return e;
}

std::optional<catalog_entry> sqlite_catalog_locator::find(uint64_t specobjid) {
  by_id_.bind(1, std::string_view(context_)).bind_id(2, specobjid);
  return read(by_id_);
}

std::optional<catalog_entry> sqlite_catalog_locator::find(int32_t plate, int32_t mjd, int32_t fiberid) {
  by_pmf_.bind(1, std::string_view(context_)).bind(2, plate).bind(3, mjd).bind(4, fiberid);
  return read(by_pmf_);
}

}  // namespace specmill
