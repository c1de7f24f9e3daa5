#pragma once
// The astrophysics of the synthetic sample: galaxy, quasar and stellar spectra, the night sky
// and the SDSS noise model, on the SDSS log-lambda lattice. Plausible rather than precise:
// the aim is data on which a reader, a stacker or a redshift check behaves as on real SDSS.
#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "core/spectrum.hpp"

namespace specmill::sample {

// xoshiro256** seeded through splitmix64: fast, and its output is fixed by this code, not by
// a standard library's distribution implementation, so sample files are identical everywhere.
class rng {
 public:
  explicit rng(uint64_t seed);
  uint64_t next();
  double uniform();                         // [0, 1)
  double uniform(double lo, double hi);     // [lo, hi)
  int32_t uniform_int(int32_t lo, int32_t hi);  // [lo, hi] inclusive
  double normal();                          // standard normal

 private:
  uint64_t s_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

// Seed of item `index` of a run with `seed`; independent of which thread makes the item.
uint64_t mix_seed(uint64_t seed, uint64_t index);

enum class object_class { galaxy, qso, star };

struct object_params {
  object_class cls = object_class::galaxy;
  double z = 0.0;
  double mag_r = 19.0;        // AB magnitude of the fiber, sets the flux scale
  double temperature = 0.0;   // stars only, K
  std::string subclass;
};

// Draws a class (about 55% galaxy, 30% QSO, 15% star) and its parameters; legacy and BOSS
// targets differ in depth and redshift range.
object_params draw_object(rng& r, bool legacy);

// Noiseless object flux (1e-17 erg/s/cm^2/A) at observed vacuum wavelengths `lambda`
// (Angstrom, on the log lattice starting at lattice index `lattice_start`); `wdisp` is the
// instrumental dispersion in pixels. Sets p.subclass of galaxies (STARFORMING, AGN, ...).
void render_object(object_params& p, int32_t lattice_start, std::span<const double> lambda,
                   double wdisp, rng& r, std::span<float> model);

// Night-sky spectrum through one fiber: continuum, [OI] 5577/6300/6364, Na D, Hg street
// lights and the OH forest redward of ~6800 A; `scale` ~ 1 (moon, airmass). Also returns the
// continuum level so bright-sky pixels can be flagged.
void render_sky(int32_t lattice_start, std::span<const double> lambda, double wdisp, double scale,
                std::span<float> sky, std::span<float> sky_continuum);

// SDSS pixel mask bits (idlspec2d pixmask) used by the sample.
inline constexpr int32_t mask_fullreject = 1 << 18;
inline constexpr int32_t mask_partialreject = 1 << 19;
inline constexpr int32_t mask_brightsky = 1 << 23;
inline constexpr int32_t mask_nodata = 1 << 24;

// Turns model + sky into an observed coadd: ivar from read noise + sky + object Poisson noise
// with the spectrograph's throughput, flux = model + N(0, 1/sqrt(ivar)), masks at bright sky
// lines and a few rejected runs (ivar = 0). `c.model`, `c.sky`, `c.wdisp`, `c.loglam` must be
// filled; writes flux, ivar, and_mask, or_mask.
void observe(coadd& c, std::span<const double> lambda, std::span<const float> sky_continuum, bool legacy,
             double exptime, rng& r);

// Summary numbers of an observed spectrum for the HDU 2 row.
float sn_median_all(const coadd& c);
// ugriz fluxes in nanomaggies from the spectrum through top-hat bands (photon weighted).
std::array<float, 5> spectro_flux(const coadd& c, std::span<const double> lambda);

}  // namespace specmill::sample
