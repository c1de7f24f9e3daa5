#include "core/desi_coadd.hpp"

#include <string>

namespace specmill {

std::string desi_coadd_relative_path(std::string_view survey, std::string_view program, int32_t healpix) {
  const std::string s(survey), p(program), h = std::to_string(healpix);
  return "healpix/" + s + "/" + p + "/" + std::to_string(healpix / 100) + "/" + h + "/coadd-" + s + "-" + p + "-" + h +
         ".fits";
}

uint64_t desi_secondary_key(int64_t targetid, std::string_view survey, std::string_view program) {
  // FNV-1a over the three values, then splitmix64's finaliser.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&](const void* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ static_cast<const unsigned char*>(p)[i]) * 1099511628211ull;
  };
  mix(&targetid, sizeof targetid);
  mix(survey.data(), survey.size());
  mix("/", 1);
  mix(program.data(), program.size());
  h ^= h >> 30, h *= 0xbf58476d1ce4e5b9ull, h ^= h >> 27, h *= 0x94d049bb133111ebull, h ^= h >> 31;
  return h | (uint64_t(1) << 63);
}

}  // namespace specmill
