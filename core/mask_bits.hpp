#pragma once
// SDSS and_mask / or_mask bit names (the SPPIXMASK bitmask of the SDSS data model, as defined in
// idlutils' sdssMaskbits.par) and the parser behind `--mask-bits`.
//
// Bits 0-12 are per fiber (set on every pixel of a camera's half of the spectrum when the
// condition held in the exposures), 16-28 per pixel. In a coadd's and_mask a bit is set when it
// was set in every exposure contributing to that pixel.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace specmill {

struct mask_bit_name {
  std::string_view name;
  int bit;
  std::string_view meaning;  // sdssMaskbits.par's description, abridged
};

// The 26 SPPIXMASK bits, in bit order.
std::span<const mask_bit_name> sppixmask_bits();

// The stack's default: the bits that say a pixel's value is unusable (the fiber was not plugged
// or its trace, flat, arc or flux calibration failed; a very bright neighbour; the pixel was
// rejected in extraction or combination or has no data or sky; the sky dominates it). It leaves
// out bits that describe conditions the pipeline corrected or that are informational (the
// SMEAR* bits, MANYBADCOLUMNS, NEARWHOPPER, NEARBADPIXEL, LOWFLAT, PARTIALREJECT,
// SCATTEREDLIGHT, CROSSTALK, BADSKYCHI, REDMONSTER). MANYBADCOLUMNS in particular covers one
// camera's half of many legacy spectra (it is set on 1,734 and 1,755 of the ~3,800 pixels of two
// of the ten real test files, whose values there are fine). docs/stack.md explains the choice.
inline constexpr std::string_view default_stack_mask_bits =
    "NOPLUG,BADTRACE,BADFLAT,BADARC,MANYREJECTED,LARGESHIFT,WHOPPER,FULLREJECT,NOSKY,BRIGHTSKY,NODATA,"
    "COMBINEREJ,BADFLUXFACTOR";

// A comma list of bit names (case-insensitive), integers (a mask VALUE, decimal or 0x hex, as
// `get --mask-bits` reads it: "0x800000" is BRIGHTSKY, "0" selects nothing), "default" (the set
// above) and "none" (nothing), OR'ed together: "default,BADSKYCHI", "BRIGHTSKY,NODATA",
// "0x1800000". Blanks around items are allowed. SMEARMEDIANSN is accepted for SMEARMEDSN.
// Throws invalid_argument naming an unknown name, a negative or too large number, or an empty
// item.
uint32_t parse_mask_bits(std::string_view list);

// "NOPLUG|BRIGHTSKY|0x20000000": the names of the set bits, hex for unnamed ones; "0" for none.
std::string mask_bits_to_string(uint32_t bits);

// The 10 SDSS ZWARNING bits (the catalog's zwarning column), in bit order.
std::span<const mask_bit_name> zwarning_bits();

// "SMALL_DELTA_CHI2|MANY_OUTLIERS" (names case-insensitive, separated by '|' or ','): the mask.
// Throws invalid_argument naming an unknown or empty name. Behind the query constraints'
// zwarning_has(zwarning, 'NAMES') (engine/query).
uint32_t parse_zwarning_bits(std::string_view list);

}  // namespace specmill
