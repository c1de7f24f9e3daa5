#include "api/cli/span_args.hpp"

#include <nlohmann/json.hpp>

#include <iostream>

namespace specmill::cli {

void add_span_options(CLI::App& sub, span_args& a) {
  sub.add_option("--store", a.store, "Store directory")->required();
  sub.add_option("--context", a.context, "Dataset name")->capture_default_str();
  sub.add_option("--ids", a.ids, "ID list file, '-' for stdin")->capture_default_str();
}

void print_span(const list_span_result& r) {
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

}  // namespace specmill::cli
