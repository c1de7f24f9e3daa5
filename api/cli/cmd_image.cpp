// specmill image: a stacked image of an ID list, one spectrum a row (the original
// /stackedImage), as PNG or as the float32 image in .npy.
#include <spdlog/spdlog.h>

#include "api/cli/command.hpp"
#include "api/cli/image_args.hpp"

namespace {

void run(specmill::cli::image_args& a) {
  using namespace specmill;
  cli::finish_image_args(a);
  const auto s = write_stacked_image(a.opts, load_id_list(a.ids), a.out);
  cli::report_image(a, s);
}

const bool registered = specmill::cli::add_command(
    {"image", "Stacked image of an ID list, one spectrum a row on the common lattice (PNG, or float32 .npy)",
     [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::image_args>();
       specmill::cli::add_image_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
