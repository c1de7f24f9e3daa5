#include <spdlog/spdlog.h>

#include <iostream>

#include "api/cli/command.hpp"
#include "engine/query/catalog_add.hpp"
#include "engine/query/catalog_export.hpp"

namespace {

void add(const specmill::catalog_add_options& o) {
  const auto s = specmill::add_catalog(o);
  std::cout << "catalog " << s.table.name << ": " << s.table.rows << " rows, " << s.columns << " columns from "
            << o.file.string();
  if (!s.skipped.empty()) {
    std::cout << "; " << s.skipped.size() << " columns skipped (";
    for (size_t i = 0; i < s.skipped.size(); ++i)
      std::cout << (i ? ", " : "") << s.skipped[i].fits_name << ": " << s.skipped[i].reason;
    std::cout << ")";
  }
  if (s.invalid_positions) std::cout << "; " << s.invalid_positions << " rows without a valid position (not in region searches)";
  std::cout << "; " << s.seconds << " s\n";
}

void list(const std::filesystem::path& root) {
  for (const auto& c : specmill::list_catalogs(root))
    std::cout << c.name << ": " << c.rows << " rows, id " << c.id_column << ", ra " << c.ra_column << ", dec "
              << c.dec_column << ", from " << c.source << " (" << c.created << " UTC)\n";
}

void export_to(const std::filesystem::path& root, const std::string& url) {
  const auto s = specmill::export_catalog(root, url);
  for (const auto& t : s.tables) std::cout << "exported " << t.name << ": " << t.rows << " rows\n";
  std::cout << "catalog of " << root.string() << " exported to PostgreSQL with q3c indexes in " << s.seconds
            << " s; `specmill store set-catalog --store " << root.string() << " URL` makes its readers use it\n";
}

const bool registered = specmill::cli::add_command(
    {"catalog", "Value-added catalogs: load a FITS table into the store (add) for `query --catalog`, list them; "
     "copy the whole catalog into PostgreSQL (export)",
     [](CLI::App& sub) {
       sub.require_subcommand(1);
       auto* a = sub.add_subcommand("add", "Load a FITS binary table as a searchable catalog table");
       auto o = std::make_shared<specmill::catalog_add_options>();
       a->add_option("--store", o->store, "Store directory")->required();
       a->add_option("--name", o->name, "Table name: lowercase letters, digits, '_'")->required();
       a->add_option("--id-column", o->id_column, "SPECOBJID-like integer column")->capture_default_str();
       a->add_option("--ra-column", o->ra_column, "RA column, degrees")->capture_default_str();
       a->add_option("--dec-column", o->dec_column, "Dec column, degrees")->capture_default_str();
       a->add_flag("--replace", o->replace, "Replace a catalog of the same name");
       a->add_option("file", o->file, "FITS file (first binary table HDU)")->required();
       a->callback([o] { add(*o); });
       auto* l = sub.add_subcommand("list", "List the registered catalogs");
       auto root = std::make_shared<std::filesystem::path>();
       l->add_option("--store", *root, "Store directory")->required();
       l->callback([root] { list(*root); });
       auto* e = sub.add_subcommand("export", "Copy the store's catalog (every context, registered catalogs, block "
                                              "locations) into PostgreSQL with q3c indexes");
       auto eroot = std::make_shared<std::filesystem::path>();
       auto url = std::make_shared<std::string>();
       e->add_option("--store", *eroot, "Store directory")->required();
       e->add_option("--postgres", *url, "libpq URL of the database, e.g. postgresql://user@host/db")->required();
       e->callback([eroot, url] { export_to(*eroot, *url); });
     }});

}  // namespace
