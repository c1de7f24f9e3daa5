#include "core/desi_coadd.hpp"

#include <string>

namespace specmill {

std::string desi_coadd_relative_path(std::string_view survey, std::string_view program, int32_t healpix) {
  const std::string s(survey), p(program), h = std::to_string(healpix);
  return "healpix/" + s + "/" + p + "/" + std::to_string(healpix / 100) + "/" + h + "/coadd-" + s + "-" + p + "-" + h +
         ".fits";
}

}  // namespace specmill
