#pragma once
// The good-pixel rule: which stored pixels a computation may use. One definition for every
// operation and both backends (resample, stack, photometry, the stacked image, the preview).
//
// A pixel is good when
//   * its ivar is > 0 (zero ivar is the SDSS pipeline's "no data"; NaN and negatives fail) and,
//     for ivar_use::weight, finite (an infinite weight would swallow every sum it enters);
//   * its flux is finite;
//   * its and_mask has none of `mask_bits` (0 selects nothing: masks are ignored).
//
// ivar_use::weight is the rule of everything that computes with ivar (resample, stack,
// photometry). ivar_use::presence is the rule of what only draws the flux (the stacked image,
// the preview plot): there ivar only says whether the pixel was measured, so an infinite ivar
// still marks a measured pixel. The readers turn non-finite values into ivar 0, so the two agree
// on every ingested spectrum; they differ only for an ivar of +inf handed in directly.
//
// Written as integer compares on the float bits combined with '&': no branch and nothing that
// can trap, so the stack's CPU loops over columns vectorise (a float compare or select there kept
// the loop scalar under GCC's default -ftrapping-math, 2.3x slower, measured).
#include <cstdint>

#include "core/host_device.hpp"

namespace specmill {

enum class ivar_use : uint32_t {
  weight = 0x7f7fffffu,    // 0 < ivar bits <= largest finite float
  presence = 0x7f800000u,  // 0 < ivar bits <= +inf
};

SPECMILL_HOST_DEVICE inline bool good_pixel(float flux, float ivar, uint32_t and_mask = 0, uint32_t mask_bits = 0,
                                            ivar_use use = ivar_use::weight) {
  // ivar: bits - 1 wraps +0 to 0xffffffff, and every negative (sign bit set) stays above the
  // limit, so one unsigned compare is "0 < ivar <= limit". flux: |bits| below +inf's is finite.
  return (float_bits(ivar) - 1u < uint32_t(use)) &
         ((float_bits(flux) & 0x7fffffffu) < 0x7f800000u) & ((and_mask & mask_bits) == 0u);
}

}  // namespace specmill
