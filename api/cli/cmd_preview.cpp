// specmill preview: one spectrum's preview plot as PNG (the original service's /preview).
#include <spdlog/spdlog.h>

#include "api/cli/command.hpp"
#include "api/cli/plot_args.hpp"
#include "io/formats/output_file.hpp"
#include "core/default_context.hpp"

namespace {

struct preview_args {
  std::filesystem::path store;
  std::string context{specmill::default_context};
  std::string id;
  specmill::cli::plot_args plot;
  std::filesystem::path out;
};

void run(preview_args& a) {
  using namespace specmill;
  const plot_options& o = a.plot.finish();
  const spectrum_id id = parse_spectrum_id(a.id);
  const std::vector<uint8_t> png = preview_png(a.store, a.context, id, o);
  output_file f(a.out);
  f.write(png.data(), png.size());
  f.close();
  spdlog::info("preview: {} ({} x {} px, {} bytes) written to {}", a.id, o.width, o.height, png.size(), a.out.string());
}

const bool registered = specmill::cli::add_command(
    {"preview", "Preview plot of one spectrum (PNG): flux, optional error band, sky, model and line markers",
     [](CLI::App& sub) {
       auto a = std::make_shared<preview_args>();
       sub.add_option("--store", a->store, "Store directory")->required();
       sub.add_option("--context", a->context, "Dataset name")->capture_default_str();
       sub.add_option("--id", a->id, "SPECOBJID or plate-mjd-fiberid (plate,mjd,fiberid)")->required();
       a->plot.add_to(sub);
       sub.add_option("--out,-o", a->out, "Output PNG file ('-': stdout)")->required();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
