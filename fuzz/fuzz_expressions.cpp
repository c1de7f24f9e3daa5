// The small expression languages of the CLI and the REST service: the first input byte picks
// one (mod 4), the rest is its text: 0 cutout ranges (engine/pipeline/lattice_window.hpp), 1 wavelength
// grids (core/wavelength_grid.hpp), 2 mask bits (core/mask_bits.hpp), 3 the original
// service's query conditions (engine/query/query_condition.hpp). Where a parser promises a round
// trip, it is checked.
#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/pipeline/lattice_window.hpp"
#include "core/mask_bits.hpp"
#include "engine/query/query_condition.hpp"
#include "fuzz/fuzz_common.hpp"
#include "core/wavelength_grid.hpp"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace specmill;
  if (size == 0) return 0;
  const int language = data[0] % 4;
  const std::string_view text = fuzz::as_text(data + 1, size - 1);
  if (language == 0) fuzz::expect_errors([&] {
    const wavelength_range r = parse_wavelength_range(text);
    require(r.lo > 0 && r.hi > r.lo && std::isfinite(r.hi));
    const lattice_window w = cutout_window(r, sdss_native_grid);
    require(w.width > 0);
  });
  if (language == 1) fuzz::expect_errors([&] {
    const wavelength_grid g = parse_wavelength_grid(text);
    const int64_t n = g.size();
    require(n > 0 && n <= max_wavelength_grid_pixels);
    const wavelength_grid back = parse_wavelength_grid(to_string(g));  // documented round trip
    require(back.kind == g.kind && back.start == g.start && back.stop == g.stop && back.step == g.step);
  });
  if (language == 2) fuzz::expect_errors([&] {
    const uint32_t bits = parse_mask_bits(text);
    std::string names = mask_bits_to_string(bits);
    for (char& c : names) c = c == '|' ? ',' : c;
    require(parse_mask_bits(names) == bits);  // the printed names read back to the same mask
  });
  if (language == 3) fuzz::expect_errors([&] {
    const original_condition c = parse_original_condition(text);
    require(!c.limit || *c.limit >= 0);
    require(!c.offset || *c.offset >= 0);
  });
  return 0;
}
