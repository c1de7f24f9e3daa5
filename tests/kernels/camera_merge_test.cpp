// camera_merge against an independent float64 merge written from desispec's coadd_cameras rules
// (flux ivar-weighted in the overlaps, ivar summed, masks OR-ed and cleared where ivar > 0),
// on both backends. Tolerance: flux within 1e-6 relative (+1e-30 absolute) of the float64
// value, ivar within 1e-6 relative, masks exact. The reference walks wavelengths, not
// indices: it matches camera pixels to output pixels by |lambda_c - lambda_out| < 0.4 A.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <vector>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "kernels/camera_merge.hpp"
#include "kernels/launch/backend.hpp"
#include "kernels/launch/device.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

struct camera_set {
  std::vector<desi_camera_layout> layout;
  std::vector<std::vector<float>> flux, ivar;
  std::vector<std::vector<uint32_t>> mask;
};

// Random cameras with zero-ivar stretches, NaN-free, some all-masked pixels in the overlaps.
camera_set make_cameras(const std::vector<desi_camera_layout>& layout, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> noise(5.f, 3.f);
  std::uniform_real_distribution<float> weight(0.1f, 4.f);
  std::uniform_int_distribution<int> coin(0, 9);
  camera_set s{layout, {}, {}, {}};
  for (const auto& c : layout) {
    const size_t m = n * size_t(c.npix);
    std::vector<float> f(m), w(m);
    std::vector<uint32_t> k(m);
    for (size_t i = 0; i < m; ++i) {
      f[i] = noise(rng);
      const int roll = coin(rng);
      w[i] = roll == 0 ? 0.f : weight(rng);  // one pixel in ten has no weight
      k[i] = roll <= 1 ? (1u << (roll + 3)) | (roll == 0 ? 0x80000000u : 0u) : 0u;  // bit 31 exercises uint32
    }
    s.flux.push_back(std::move(f));
    s.ivar.push_back(std::move(w));
    s.mask.push_back(std::move(k));
  }
  return s;
}

struct merged {
  std::vector<double> flux, ivar;
  std::vector<uint32_t> mask;
};

merged reference_merge(const camera_set& s, size_t n, int64_t out_start, int64_t out_npix) {
  merged m{std::vector<double>(n * out_npix, 0.0), std::vector<double>(n * out_npix, 0.0),
           std::vector<uint32_t>(n * out_npix, 0u)};
  for (size_t sp = 0; sp < n; ++sp) {
    for (int64_t j = 0; j < out_npix; ++j) {
      const double lambda = 0.8 * double(out_start + j);
      double fw = 0, w = 0;
      uint32_t bits = 0;
      for (size_t c = 0; c < s.layout.size(); ++c) {
        const auto& L = s.layout[c];
        for (int32_t p = 0; p < L.npix; ++p) {  // by wavelength, deliberately naive
          if (std::fabs(0.8 * double(L.lattice_start + p) - lambda) >= 0.4) continue;
          const size_t at = sp * L.npix + p;
          fw += double(s.ivar[c][at]) * double(s.flux[c][at]);
          w += double(s.ivar[c][at]);
          bits |= s.mask[c][at];
        }
      }
      const size_t o = sp * out_npix + j;
      m.flux[o] = w > 0 ? fw / w : 0.0;
      m.ivar[o] = w;
      m.mask[o] = w > 0 ? 0u : bits;
    }
  }
  return m;
}

class CameraMerge : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }

  void check(const std::vector<desi_camera_layout>& layout, size_t n, int64_t out_start, int64_t out_npix,
             unsigned seed) {
    const camera_set s = make_cameras(layout, n, seed);
    std::vector<camera_images> cams;
    for (size_t c = 0; c < layout.size(); ++c)
      cams.push_back({s.flux[c].data(), s.ivar[c].data(), s.mask[c].data(), layout[c].lattice_start, layout[c].npix});
    std::vector<float> flux(n * out_npix, -1.f), ivar(n * out_npix, -1.f);
    std::vector<uint32_t> mask(n * out_npix, 7u);
    camera_merge(GetParam(), cams.data(), int(cams.size()), n, out_start, out_npix, flux.data(), ivar.data(),
                 mask.data());
    const merged ref = reference_merge(s, n, out_start, out_npix);
    size_t bad = 0;
    for (size_t i = 0; i < flux.size() && bad < 10; ++i) {
      const bool ok = std::fabs(flux[i] - ref.flux[i]) <= 1e-6 * std::fabs(ref.flux[i]) + 1e-30 &&
                      std::fabs(ivar[i] - ref.ivar[i]) <= 1e-6 * ref.ivar[i] && mask[i] == ref.mask[i];
      if (!ok) {
        ++bad;
        ADD_FAILURE() << "pixel " << i << ": flux " << flux[i] << " vs " << ref.flux[i] << ", ivar " << ivar[i]
                      << " vs " << ref.ivar[i] << ", mask " << mask[i] << " vs " << ref.mask[i];
      }
    }
  }
};

TEST_P(CameraMerge, DesiCamerasMatchFloat64Reference) {
  const std::vector<desi_camera_layout> brz(desi_cameras.begin(), desi_cameras.end());
  check(brz, 3, desi_brz_start, desi_brz_npix, 1);
}

TEST_P(CameraMerge, ZeroAndOneSpectrum) {
  const std::vector<desi_camera_layout> brz(desi_cameras.begin(), desi_cameras.end());
  check(brz, 0, desi_brz_start, desi_brz_npix, 2);
  check(brz, 1, desi_brz_start, desi_brz_npix, 3);
}

// Pixel counts around a warp (31/32/33), overlapping and with a gap between cameras (no camera:
// flux 0, ivar 0, mask 0).
TEST_P(CameraMerge, SmallWidthsOverlapsAndGaps) {
  for (int32_t w : {31, 32, 33}) {
    check({{'b', 100, w}, {'r', 100 + w - 5, w}, {'z', 100 + 2 * w + 3, w}}, 5, 100, 3 * w + 3, unsigned(w));
  }
}

// The brz spectrum of an overlap where every camera has zero weight keeps the OR of the masks.
TEST_P(CameraMerge, AllMaskedOverlapKeepsBits) {
  const std::vector<float> f1{1, 2}, f2{3, 4}, zero{0, 0};
  const std::vector<uint32_t> m1{1, 0}, m2{4, 0x80000000u};
  const camera_images cams[] = {{f1.data(), zero.data(), m1.data(), 10, 2}, {f2.data(), zero.data(), m2.data(), 10, 2}};
  std::vector<float> flux(2), ivar(2);
  std::vector<uint32_t> mask(2);
  camera_merge(GetParam(), cams, 2, 1, 10, 2, flux.data(), ivar.data(), mask.data());
  EXPECT_EQ(mask[0], 5u);
  EXPECT_EQ(mask[1], 0x80000000u);
  EXPECT_EQ(flux[0], 0.f);
  EXPECT_EQ(ivar[1], 0.f);
}

INSTANTIATE_TEST_SUITE_P(Cpu, CameraMerge, ::testing::Values(backend::cpu));
INSTANTIATE_TEST_SUITE_P(Cuda, CameraMerge, ::testing::Values(backend::cuda));

TEST(CameraMergeArgs, MoreThanThreeCamerasRefused) {
  camera_images cams[4];
  EXPECT_THROW(camera_merge(backend::cpu, cams, 4, 0, 0, 0, nullptr, nullptr, nullptr), invalid_argument);
}

}  // namespace
}  // namespace specmill
