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
  std::string columns;  // default: all (stored form), flux,ivar,and_mask (dense forms)
  std::string cutout;
  std::string device = "auto";
};

void run(get_args& a) {
  using namespace specmill;
  if (!a.cutout.empty()) a.opts.cutout = parse_wavelength_range(a.cutout);
  const bool dense = a.opts.align || a.opts.cutout;
  a.opts.columns = a.columns.empty() ? (dense ? default_dense_columns : parse_columns("all")) : parse_columns(a.columns);
  a.opts.device = choose_backend(a.device);
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
  if (dense)
    spdlog::info("get: {} of {} spectra on {} pixels a row written to {}", s.found, s.requested, s.width,
                 a.opts.out.string());
  else
    spdlog::info("get: {} of {} spectra ({} pixels) written to {}", s.found, s.requested, s.pixels, a.opts.out.string());
}

const bool registered = specmill::cli::add_command(
    {"get", "Write the columns of a list of spectra as stored, aligned or cut out (npz, npy, fits, csv, hdf5)", [](CLI::App& sub) {
       auto a = std::make_shared<get_args>();
       sub.add_option("--store", a->opts.store, "Store directory")->required();
       sub.add_option("--context", a->opts.context, "Dataset name")->capture_default_str();
       sub.add_option("--ids", a->ids,
                      "ID list file, '-' for stdin: one SPECOBJID or plate,mjd,fiberid (plate-mjd-fiberid) a line")
           ->capture_default_str();
       sub.add_option("--format", a->format,
                      "npz, npy, fits, csv or hdf5 (default: from --out's extension (.h5 = hdf5), else npz)");
       sub.add_option("--columns", a->columns,
                      "all, or a comma list of flux,loglam,ivar,and_mask,or_mask,wdisp,sky,model "
                      "(default: all; flux,ivar,and_mask with --align/--cutout)");
       sub.add_flag("--align", a->opts.align,
                    "Place every spectrum on the list's common log-lambda lattice (its global min to max), "
                    "zero-padded: a 2-D array per column");
       sub.add_option("--cutout", a->cutout,
                      "A-B: align, then keep the lattice pixels with centers in [A, B] Angstrom (vacuum), "
                      "zero-padded where a spectrum does not reach");
       sub.add_option("--device", a->device, "auto, cpu or cuda (auto: cuda when a GPU is present)")
           ->capture_default_str();
       sub.add_option("--out,-o", a->opts.out, "Output file ('-': stdout, for npy and csv)")->required();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
