// specmill grid: a page of preview plots of an ID list as one PNG (the original /plotGrid).
#include <spdlog/spdlog.h>

#include "api/cli/command.hpp"
#include "api/cli/plot_args.hpp"
#include "engine/render/grid_plot.hpp"
#include "io/formats/output_file.hpp"
#include "core/default_context.hpp"

namespace {

struct grid_args {
  std::filesystem::path store;
  std::string context{specmill::default_context};
  std::string ids = "-";
  specmill::grid_options grid;
  specmill::cli::plot_args plot;
  std::filesystem::path out;
};

void run(grid_args& a) {
  using namespace specmill;
  a.grid.panel = a.plot.finish();
  check_grid_options(a.grid);
  grid_summary s;
  const std::vector<uint8_t> png = grid_png(a.store, a.context, load_id_list(a.ids), a.grid, &s);
  output_file f(a.out);
  f.write(png.data(), png.size());
  f.close();
  for (const auto& m : s.missing) spdlog::warn("not found: {}", m);
  spdlog::info("grid: page {} of {} ({} of {} IDs, {} x {} panels of {} x {} px) written to {}", a.grid.page, s.pages,
               s.page_ids, s.requested, a.grid.nx, a.grid.ny, a.grid.panel.width, a.grid.panel.height, a.out.string());
}

const bool registered = specmill::cli::add_command(
    {"grid", "A page of preview plots of an ID list, nx by ny panels, as one PNG", [](CLI::App& sub) {
       auto a = std::make_shared<grid_args>();
       sub.add_option("--store", a->store, "Store directory")->required();
       sub.add_option("--context", a->context, "Dataset name")->capture_default_str();
       sub.add_option("--ids", a->ids, "ID list file, '-' for stdin")->capture_default_str();
       sub.add_option("--nx", a->grid.nx, "Panels across (1..100)")->required();
       sub.add_option("--ny", a->grid.ny, "Panels down (1..100)")->required();
       sub.add_option("--page", a->grid.page,
                      "Page of the list, from 1: page P shows IDs (P-1)*nx*ny+1 .. P*nx*ny, the last page partly filled")
           ->capture_default_str();
       a->plot.add_to(sub);
       sub.add_option("--out,-o", a->out, "Output PNG file ('-': stdout)")->required();
       sub.callback([a] { run(*a); });
     }});

}  // namespace
