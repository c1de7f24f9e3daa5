#include <spdlog/spdlog.h>

#include <fstream>
#include <iostream>

#include "api/command.hpp"
#include "core/error.hpp"
#include "engine/get.hpp"

namespace {

struct get_args {
  specmill::get_options opts;
  std::string ids = "-";
  std::string format;
  std::string columns = "all";
};

void run(get_args& a) {
  using namespace specmill;
  a.opts.columns = parse_columns(a.columns);
  if (a.format.empty()) {  // from the extension of --out
    const std::string ext = a.opts.out.extension().string();
    a.format = ext.empty() ? "npz" : ext.substr(1);
  }
  a.opts.format = parse_get_format(a.format);
  a.opts.progress = spdlog::get_level() <= spdlog::level::info;
  std::vector<spectrum_id> ids;
  if (a.ids == "-") {
    ids = read_id_list(std::cin, "stdin");
  } else {
    std::ifstream in(a.ids);
    if (!in) throw not_found("cannot read ID list " + a.ids);
    ids = read_id_list(in, a.ids);
  }
  const auto s = get_spectra(a.opts, std::move(ids));
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  spdlog::info("get: {} of {} spectra ({} pixels) written to {}", s.found, s.requested, s.pixels, a.opts.out.string());
}

const bool registered = specmill::cli::add_command(
    {"get", "Write the stored columns of a list of spectra (npz, npy, fits, csv)", [](CLI::App& sub) {
       auto a = std::make_shared<get_args>();
       sub.add_option("--store", a->opts.store, "Store directory")->required();
       sub.add_option("--context", a->opts.context, "Dataset name")->capture_default_str();
       sub.add_option("--ids", a->ids,
                      "ID list file, '-' for stdin: one SPECOBJID or plate,mjd,fiberid (plate-mjd-fiberid) a line")
           ->capture_default_str();
       sub.add_option("--format", a->format, "npz, npy, fits or csv (default: from --out's extension, else npz)");
       sub.add_option("--columns", a->columns, "all, or a comma list of flux,loglam,ivar,and_mask,or_mask,wdisp,sky,model")
           ->capture_default_str();
       sub.add_option("--out,-o", a->opts.out, "Output file ('-': stdout, for npy and csv)")->required();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
