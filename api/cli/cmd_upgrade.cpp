#include <iostream>

#include "api/cli/command.hpp"
#include "core/error.hpp"
#include "engine/store/store.hpp"

namespace {

// Opening a store for writing upgrades its catalog to this build's format (one transaction);
// this command does only that, for stores that are otherwise only read.
void run(const std::filesystem::path& root) {
  if (!std::filesystem::is_directory(root)) throw specmill::not_found("no store at " + root.string());
  specmill::store st(root, specmill::store::access::write);
  std::cout << "store " << root.string() << ": catalog format " << st.catalog().version() << "\n";
}

const bool registered = specmill::cli::add_command(
    {"upgrade", "Bring a store's catalog to this build's format (adds the HEALPix index to older stores)",
     [](CLI::App& sub) {
       auto root = std::make_shared<std::filesystem::path>();
       sub.add_option("--store", *root, "Store directory")->required();
       sub.callback([root] { run(*root); });
     }});

}  // namespace
