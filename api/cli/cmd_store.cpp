#include <iostream>

#include "api/cli/command.hpp"
#include "engine/query/catalog_export.hpp"

namespace {

void set_catalog(const std::filesystem::path& root, const std::string& url) {
  specmill::set_store_catalog(root, url);
  if (url == "sqlite")
    std::cout << "store " << root.string() << ": readers use its SQLite catalog\n";
  else
    std::cout << "store " << root.string() << ": readers use the PostgreSQL catalog (" << root.string()
              << "/catalog.url)\n";
}

const bool registered = specmill::cli::add_command(
    {"store", "Store settings: which catalog its readers (query, get, stack, photometry, image, serve) use",
     [](CLI::App& sub) {
       sub.require_subcommand(1);
       auto* s = sub.add_subcommand("set-catalog", "Use a PostgreSQL copy of the catalog (see `catalog export`), "
                                                   "or `sqlite` for the store's own file");
       auto root = std::make_shared<std::filesystem::path>();
       auto url = std::make_shared<std::string>();
       s->add_option("--store", *root, "Store directory")->required();
       s->add_option("catalog", *url, "postgresql://... URL, or sqlite")->required();
       s->callback([root, url] { set_catalog(*root, *url); });
     }});

}  // namespace
