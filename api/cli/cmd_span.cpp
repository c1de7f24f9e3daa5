// specmill span: the listSpan call. The common log-lambda window of an ID list, as JSON.
#include "api/cli/command.hpp"
#include "api/cli/span_args.hpp"
#include "engine/get/get.hpp"

namespace {

void run(const specmill::cli::span_args& a) {
  using namespace specmill;
  std::vector<spectrum_id> ids = load_id_list(a.ids);
  cli::print_span(get_list_span(a.store, a.context, std::move(ids)));
}

const bool registered = specmill::cli::add_command(
    {"span", "listSpan: the common log-lambda window (min and max loglam) of an ID list, as JSON", [](CLI::App& sub) {
       auto a = std::make_shared<specmill::cli::span_args>();
       specmill::cli::add_span_options(sub, *a);
       sub.callback([a] { run(*a); });
     }});

}  // namespace
