#include <iostream>

#include "api/cli/command.hpp"
#include "engine/store/verify.hpp"

namespace {

struct verify_args {
  std::filesystem::path store;
  bool deep = false;
};

void run(const verify_args& a) {
  const auto rep = specmill::verify_store(a.store, a.deep);
  std::cout << "verify: " << rep.blocks << " blocks, " << rep.spectra << " stored spectra, " << rep.rows
            << " catalog rows with pixels: " << (rep.ok() ? "OK" : std::to_string(rep.problems.size()) + " problem(s)")
            << "\n";
  for (const auto& p : rep.problems) std::cout << "problem: " << p << "\n";
  for (const auto& n : rep.notes) std::cout << "note: " << n << "\n";
  if (!rep.ok()) throw CLI::RuntimeError(specmill::cli::exit_failure);
}

const bool registered = specmill::cli::add_command(
    {"verify", "Check every catalog row against its block (read-only)", [](CLI::App& sub) {
       auto a = std::make_shared<verify_args>();
       sub.add_option("--store", a->store, "Store directory")->required();
       sub.add_flag("--deep", a->deep, "Also read every pixel and check the zero padding");
       sub.callback([a] { run(*a); });
     }});

}  // namespace
