// specmill span: the listSpan call. The common log-lambda window of an ID list, as JSON.
#include <nlohmann/json.hpp>

#include <fstream>
#include <iostream>

#include "api/cli/command.hpp"
#include "core/error.hpp"
#include "engine/get/get.hpp"
#include "core/default_context.hpp"

namespace {

struct span_args {
  std::filesystem::path store;
  std::string context{specmill::default_context};
  std::string ids = "-";
};

void run(const span_args& a) {
  using namespace specmill;
  std::vector<spectrum_id> ids = load_id_list(a.ids);
  const auto r = get_list_span(a.store, a.context, std::move(ids));
  const lattice_window& s = r.span;
  nlohmann::ordered_json j;
  // The original service's keys: min and max loglam (log10 Angstrom), in their shortest form.
  j["w0"] = s.reported_loglam(0);
  j["w1"] = s.reported_loglam(s.width - 1);
  j["lattice_start"] = s.start;
  j["n_pixels"] = s.width;
  j["wavelength_min"] = s.wavelength(0);
  j["wavelength_max"] = s.wavelength(s.width - 1);
  j["requested"] = r.requested;
  j["found"] = r.found;
  std::cout << j.dump() << "\n";
}

const bool registered = specmill::cli::add_command(
    {"span", "listSpan: the common log-lambda window (min and max loglam) of an ID list, as JSON", [](CLI::App& sub) {
       auto a = std::make_shared<span_args>();
       sub.add_option("--store", a->store, "Store directory")->required();
       sub.add_option("--context", a->context, "Dataset name")->capture_default_str();
       sub.add_option("--ids", a->ids, "ID list file, '-' for stdin")->capture_default_str();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
