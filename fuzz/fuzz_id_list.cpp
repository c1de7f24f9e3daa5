// Spectrum ID lists (engine/pipeline/id_list.hpp): one line through parse_spectrum_id, the whole input
// through read_id_list. Every accepted ID must be well formed.
#include <cctype>
#include <cstdlib>
#include <sstream>
#include <string>

#include "engine/pipeline/id_list.hpp"
#include "fuzz/fuzz_common.hpp"

namespace {

bool name(const std::string& v) {
  if (v.empty() || !std::isalpha(static_cast<unsigned char>(v[0]))) return false;
  for (char ch : v)
    if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '_') return false;
  return true;
}

// An accepted ID is a SPECOBJID, a positive plate,mjd,fiberid, or a DESI targetid,survey,program
// with a non-negative TARGETID and survey/program names.
void check(const specmill::spectrum_id& id) {
  if (id.desi) {
    if (id.specobjid || id.desi->targetid < 0 || !name(id.desi->survey) || !name(id.desi->program)) std::abort();
    return;
  }
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
