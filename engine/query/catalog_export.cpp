#include "engine/query/catalog_export.hpp"

#include "core/error.hpp"
#include "engine/store/catalog_setting.hpp"
#include "io/catalog/catalog_db.hpp"
#include "io/catalog/pg_catalog.hpp"

namespace fs = std::filesystem;

namespace specmill {

pg_export_summary export_catalog(const fs::path& root, const std::string& url) {
  if (!fs::is_directory(root)) throw not_found("no store at " + root.string());
  if (!is_postgres_url(url)) throw invalid_argument("--postgres: expected a PostgreSQL URL (postgresql://...), not '" + url + "'");
  catalog_db cat(root / "catalog.sqlite", sqlite_db::mode::read_only);
  return export_to_postgres(cat, url);
}

void set_store_catalog(const fs::path& root, const std::string& url) {
  if (!fs::is_directory(root)) throw not_found("no store at " + root.string());
  if (url != "sqlite") {
    if (!is_postgres_url(url)) throw invalid_argument("expected `sqlite` or a PostgreSQL URL (postgresql://...), not '" + url + "'");
    // A store pointed at a database that holds another store's catalog would serve wrong rows.
    catalog_db local(root / "catalog.sqlite", sqlite_db::mode::read_only);
    pg_catalog remote(url);
    const auto a = local.contexts(), b = remote.contexts();
    bool same = a.size() == b.size();
    for (size_t i = 0; same && i < a.size(); ++i)
      same = a[i].name == b[i].name && a[i].spectra == b[i].spectra && a[i].with_pixels == b[i].with_pixels;
    if (!same || local.blocks().size() != remote.blocks().size())
      throw data_error("the PostgreSQL database does not hold this store's catalog (contexts or blocks differ): run "
                       "`specmill catalog export --store " + root.string() + " --postgres URL` first");
  }
  set_catalog_url(root, url);
}

}  // namespace specmill
