#include <iostream>

#include "api/cli/command.hpp"
#include "engine/store/store.hpp"

namespace {

void run(const std::filesystem::path& root) {
  specmill::store st(root, specmill::store::access::read);
  int64_t bytes = 0, spectra = 0;
  const auto blocks = st.catalog().blocks();
  for (const auto& b : blocks) {
    bytes += b.bytes;
    spectra += b.n_spectra;
  }
  std::cout << "store " << root.string() << ": " << blocks.size() << " blocks, " << spectra << " spectra, "
            << double(bytes) / (1 << 20) << " MiB\n";
  for (const auto& c : st.catalog().contexts())
    std::cout << "context " << c.name << ": " << c.spectra << " catalog rows, " << c.with_pixels << " with pixels"
              << (c.description.empty() ? "" : " - " + c.description) << "\n";
}

const bool registered = specmill::cli::add_command(
    {"info", "Summarise a store: contexts, spectra, blocks, size", [](CLI::App& sub) {
       auto root = std::make_shared<std::filesystem::path>();
       sub.add_option("--store", *root, "Store directory")->required();
       sub.callback([root] { run(*root); });
     }});

}  // namespace
