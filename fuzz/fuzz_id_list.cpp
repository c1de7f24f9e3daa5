// Spectrum ID lists (engine/pipeline/id_list.hpp): one line through parse_spectrum_id, the whole input
// through read_id_list. Every accepted ID must be well formed.
#include <cstdlib>
#include <sstream>
#include <string>

#include "engine/pipeline/id_list.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

void check(const specmill::spectrum_id& id) {
  if (!id.specobjid && (id.plate <= 0 || id.mjd <= 0 || id.fiberid <= 0)) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = specmill::fuzz::as_text(data, size);
  specmill::fuzz::expect_errors([&] { check(specmill::parse_spectrum_id(text)); });
  specmill::fuzz::expect_errors([&] {
    std::istringstream in{std::string(text)};
    for (const auto& id : specmill::read_id_list(in, "fuzz")) check(id);
  });
  return 0;
}
