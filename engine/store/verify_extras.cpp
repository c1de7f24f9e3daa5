#include "engine/store/verify_extras.hpp"

#include <cstring>

#include "kernels/camera_merge.hpp"
#include "kernels/resolution_merge.hpp"

namespace specmill {
namespace {

template <class A, class B>
bool same_bits(const std::vector<A>& a, const std::vector<B>& b) {
  static_assert(sizeof(A) == sizeof(B));
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(A)) == 0;
}

}  // namespace

void check_block_extras(const block_reader& b, const std::string& name, std::vector<std::string>& problems,
                        size_t max_problems) {
  const auto& cams = b.cameras();
  if (cams.empty() || cams.size() > size_t(camera_merge_max_cameras)) return;
  bool all_resolution = b.resolution_diagonals() > 0;
  for (const auto& c : cams) all_resolution = all_resolution && c.resolution_diagonals == b.resolution_diagonals();
  for (size_t r = 0; r < b.n_spectra() && problems.size() < max_problems; ++r) {
    const block_row_meta& m = b.rows()[r];
    std::vector<camera_arrays> stored;
    camera_images images[camera_merge_max_cameras];
    camera_resolution resolutions[resolution_merge_max_cameras];
    for (const auto& c : cams) stored.push_back(b.read_camera(r, c.name, all_resolution));
    for (size_t k = 0; k < stored.size(); ++k) {
      const camera_arrays& c = stored[k];
      images[k] = {c.flux.data(), c.ivar.data(), c.mask.data(), c.lattice_start, int64_t(c.npix())};
      resolutions[k] = {c.resolution.data(), c.ivar.data(), c.mask.data(), c.lattice_start, int64_t(c.npix())};
    }
    const size_t n = size_t(m.npix);
    std::vector<float> flux(n), ivar(n);
    std::vector<uint32_t> mask(n);
    camera_merge(backend::cpu, images, int(stored.size()), 1, m.lattice_start, m.npix, flux.data(), ivar.data(),
                 mask.data());
    const coadd row = b.read_spectrum(r);
    const std::string who = name + ": row " + std::to_string(r) + " (" + std::to_string(m.specobjid) + ")";
    if (!same_bits(flux, row.flux) || !same_bits(ivar, row.ivar) || !same_bits(mask, row.and_mask)) {
      problems.push_back(who + ": stored brz flux/ivar/mask differ from the merge of its stored cameras");
      continue;
    }
    if (!all_resolution) continue;
    std::vector<float> res(size_t(b.resolution_diagonals()) * n);
    resolution_merge(backend::cpu, resolutions, int(stored.size()), b.resolution_diagonals(), 1, m.lattice_start,
                     m.npix, res.data());
    if (!same_bits(res, b.read_resolution(r)))
      problems.push_back(who + ": stored brz resolution differs from the merge of its stored cameras' resolution");
  }
}

}  // namespace specmill
