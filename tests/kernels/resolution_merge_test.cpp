// resolution_merge against an independent float64 merge written from desispec's coadd_cameras
// rules for resolution data (each diagonal weighted by the ivar of the pixel it reaches, wrapping
// inside the camera; masked ivar first, the unmasked ivar where the masked weights sum to 0, 0
// where both do), on both backends. Tolerance: 1e-6 relative (+1e-30 absolute); bit-exact where
// one camera covers a pixel with weight > 0. The reference matches camera pixels to output pixels
// by wavelength (|lambda_c - lambda_out| < 0.4 A), not by index arithmetic.
#include <gtest/gtest.h>

#include <cmath>
#include <ostream>
#include <random>
#include <span>
#include <vector>

#include "core/desi_coadd.hpp"
#include "core/error.hpp"
#include "kernels/launch/device.hpp"
#include "kernels/resolution_merge.hpp"

namespace specmill {
inline void PrintTo(backend b, std::ostream* os) { *os << to_string(b); }

namespace {

constexpr int ndiag = 11;

struct camera {
  int64_t start, npix;
  std::vector<float> res, ivar;
  std::vector<uint32_t> mask;
};

std::vector<camera> make(const std::vector<std::pair<int64_t, int64_t>>& layout, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-0.1f, 1.f), weight(0.1f, 4.f);
  std::uniform_int_distribution<int> coin(0, 9);
  std::vector<camera> cams;
  for (auto [start, npix] : layout) {
    camera c{start, npix, std::vector<float>(n * ndiag * npix), std::vector<float>(n * npix),
             std::vector<uint32_t>(n * npix)};
    for (auto& r : c.res) r = value(rng);
    for (size_t i = 0; i < c.ivar.size(); ++i) {
      const int roll = coin(rng);
      c.ivar[i] = roll == 0 ? 0.f : weight(rng);          // one in ten without weight
      c.mask[i] = roll <= 2 ? (roll == 1 ? 0x80000000u : 8u) : 0u;  // three in ten masked
    }
    cams.push_back(std::move(c));
  }
  return cams;
}

struct reference {
  std::vector<double> value;
  std::vector<uint8_t> single;  // one camera covers the element, with weight > 0
  std::vector<float> single_value;
};

reference merge64(const std::vector<camera>& cams, size_t n, int64_t out_start, int64_t out_npix) {
  reference ref{std::vector<double>(n * ndiag * out_npix), std::vector<uint8_t>(n * ndiag * out_npix),
                std::vector<float>(n * ndiag * out_npix)};
  for (size_t s = 0; s < n; ++s)
    for (int d = 0; d < ndiag; ++d)
      for (int64_t j = 0; j < out_npix; ++j) {
        const double lambda = 0.8 * double(out_start + j);
        double acc = 0, norm = 0, acc_all = 0, norm_all = 0;
        int covering = 0;
        float last = 0;
        for (const camera& c : cams)
          for (int64_t p = 0; p < c.npix; ++p) {
            if (std::fabs(0.8 * double(c.start + p) - lambda) >= 0.4) continue;
            int64_t q = p + d - ndiag / 2;
            while (q < 0) q += c.npix;
            while (q >= c.npix) q -= c.npix;
            const double w = c.ivar[s * c.npix + q], r = c.res[(s * ndiag + d) * c.npix + p];
            acc_all += w * r, norm_all += w;
            if (c.mask[s * c.npix + q] == 0) acc += w * r, norm += w;
            ++covering;
            last = float(r);
          }
        if (norm == 0) acc = acc_all, norm = norm_all;
        const size_t o = (s * ndiag + d) * out_npix + j;
        ref.value[o] = norm != 0 ? acc / norm : acc;
        ref.single[o] = covering == 1 && norm > 0;
        ref.single_value[o] = last;
      }
  return ref;
}

class ResolutionMerge : public ::testing::TestWithParam<backend> {
 protected:
  void SetUp() override {
    if (GetParam() == backend::cuda && cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device";
  }

  std::vector<float> run(const std::vector<camera>& cams, size_t n, int64_t out_start, int64_t out_npix) {
    std::vector<float> out(n * ndiag * out_npix, -7.f);
    std::vector<camera_resolution> k;
    if (GetParam() == backend::cpu) {
      for (const camera& c : cams) k.push_back({c.res.data(), c.ivar.data(), c.mask.data(), c.start, c.npix});
      resolution_merge(backend::cpu, k.data(), int(k.size()), ndiag, n, out_start, out_npix, out.data());
      return out;
    }
    std::vector<device_buffer> staged;
    auto stage = [&](const auto& v) {
      staged.push_back(device_buffer::from_host(std::span(v.data(), v.size() + 0)));
      return staged.back().template data<std::remove_cvref_t<decltype(v[0])>>();
    };
    staged.reserve(cams.size() * 3 + 1);
    for (const camera& c : cams) k.push_back({stage(c.res), stage(c.ivar), stage(c.mask), c.start, c.npix});
    device_buffer d(out.size() * 4 + 4);
    resolution_merge(backend::cuda, k.data(), int(k.size()), ndiag, n, out_start, out_npix, d.data<float>());
    d.copy_to_host(out.data(), out.size() * 4);  // synchronous: waits for the kernel
    return out;
  }

  void check(const std::vector<std::pair<int64_t, int64_t>>& layout, size_t n, int64_t out_start, int64_t out_npix,
             unsigned seed) {
    const auto cams = make(layout, n, seed);
    const std::vector<float> got = run(cams, n, out_start, out_npix);
    const reference ref = merge64(cams, n, out_start, out_npix);
    size_t bad = 0, singles = 0;
    for (size_t i = 0; i < got.size() && bad < 10; ++i) {
      const bool close = std::fabs(got[i] - ref.value[i]) <= 1e-6 * std::fabs(ref.value[i]) + 1e-30;
      const bool exact = !ref.single[i] || got[i] == ref.single_value[i];
      singles += ref.single[i];
      if (!close || !exact) {
        ++bad;
        ADD_FAILURE() << "element " << i << ": " << got[i] << " vs " << ref.value[i] << (exact ? "" : " (one camera)");
      }
    }
    if (n > 0) {
      EXPECT_GT(singles, 0u);
    }
  }
};

TEST_P(ResolutionMerge, SmallWidthsOverlapsAndGaps) {
  for (int64_t w : {31, 32, 33}) check({{100, w}, {100 + w - 5, w}, {100 + 2 * w + 3, w}}, 3, 100, 3 * w + 3, unsigned(w));
}

TEST_P(ResolutionMerge, ZeroAndOneSpectrum) {
  check({{10, 40}, {45, 40}}, 0, 10, 75, 5);
  check({{10, 40}, {45, 40}}, 1, 10, 75, 6);
}

TEST_P(ResolutionMerge, DesiCameras) {
  std::vector<std::pair<int64_t, int64_t>> brz;
  for (const auto& c : desi_cameras) brz.push_back({c.lattice_start, c.npix});
  // Only pixels near the overlaps: the naive reference is quadratic in the width.
  check(brz, 1, desi_brz_start, desi_brz_npix, 7);
}

// Every weight masked: the unmasked ivar is used; no weight at all: 0.
TEST_P(ResolutionMerge, MaskedFallbackAndZeroWeight) {
  camera a{0, 12, std::vector<float>(ndiag * 12, 0.5f), std::vector<float>(12, 2.f), std::vector<uint32_t>(12, 1u)};
  camera b{0, 12, std::vector<float>(ndiag * 12, 0.25f), std::vector<float>(12, 6.f), std::vector<uint32_t>(12, 1u)};
  auto out = run({a, b}, 1, 0, 12);
  EXPECT_FLOAT_EQ(out[0], float((2 * 0.5 + 6 * 0.25) / 8));
  a.ivar.assign(12, 0.f);
  b.ivar.assign(12, 0.f);
  out = run({a, b}, 1, 0, 12);
  for (float v : out) EXPECT_EQ(v, 0.f);
}

INSTANTIATE_TEST_SUITE_P(Cpu, ResolutionMerge, ::testing::Values(backend::cpu));
INSTANTIATE_TEST_SUITE_P(Cuda, ResolutionMerge, ::testing::Values(backend::cuda));

TEST(ResolutionMergeArgs, Refused) {
  camera_resolution cams[4];
  EXPECT_THROW(resolution_merge(backend::cpu, cams, 4, 11, 0, 0, 0, nullptr), invalid_argument);
  EXPECT_THROW(resolution_merge(backend::cpu, cams, 1, 0, 0, 0, 0, nullptr), invalid_argument);
}

}  // namespace
}  // namespace specmill
