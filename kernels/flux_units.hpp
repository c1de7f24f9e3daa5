#pragma once
// Flux-density units of SDSS spectra and AB photometry, usable on host and device.
//
// SDSS flux is f_lambda in 1e-17 erg/s/cm^2/Angstrom at vacuum wavelength lambda (Angstrom).
// f_nu = f_lambda * lambda^2 / c, with c in Angstrom/s. 1 Jy = 1e-23 erg/s/cm^2/Hz, so
// 1 microjansky = 1e-29 erg/s/cm^2/Hz, and the AB zero point (1 maggie) is 3631 Jy.
#include <cmath>

#include "core/host_device.hpp"

namespace specmill {

inline constexpr double speed_of_light_aa_per_s = 2.99792458e18;  // exact (SI definition)
inline constexpr double sdss_flux_unit_cgs = 1e-17;               // erg/s/cm^2/A of one SDSS flux unit
inline constexpr double jansky_cgs = 1e-23;                       // erg/s/cm^2/Hz
inline constexpr double ab_zero_point_jy = 3631.0;                // f_nu of AB magnitude 0
inline constexpr double microjansky_per_nanomaggie = ab_zero_point_jy * 1e6 * 1e-9;  // 3.631

// f_lambda [1e-17 erg/s/cm^2/A] at lambda [A] -> f_nu [microjansky].
SPECMILL_HOST_DEVICE constexpr double flambda_to_microjansky(double flambda, double lambda_aa) {
  return flambda * sdss_flux_unit_cgs * lambda_aa * lambda_aa / speed_of_light_aa_per_s / (jansky_cgs * 1e-6);
}

// f_nu [microjansky] at lambda [A] -> f_lambda [1e-17 erg/s/cm^2/A].
SPECMILL_HOST_DEVICE constexpr double microjansky_to_flambda(double fnu_ujy, double lambda_aa) {
  return fnu_ujy * (jansky_cgs * 1e-6) * speed_of_light_aa_per_s / (lambda_aa * lambda_aa) / sdss_flux_unit_cgs;
}

// f_lambda [1e-17 erg/s/cm^2/A] at lambda [A] -> f_nu in maggies (units of 3631 Jy).
SPECMILL_HOST_DEVICE constexpr double flambda_to_maggies(double flambda, double lambda_aa) {
  return flambda_to_microjansky(flambda, lambda_aa) / (ab_zero_point_jy * 1e6);
}

// AB magnitude of a flux in maggies: NaN for flux <= 0 or NaN (a magnitude does not exist).
SPECMILL_HOST_DEVICE inline double ab_mag_from_maggies(double maggies) {
  return maggies > 0 ? -2.5 * std::log10(maggies) : NAN;
}

SPECMILL_HOST_DEVICE inline double maggies_from_ab_mag(double mag) { return std::pow(10.0, -0.4 * mag); }

// 2.5 / ln 10: the first-order magnitude error per relative flux error.
inline constexpr double mag_err_per_relative_flux_err = 1.0857362047581294;

// sigma_mag = 1.0857 * sigma_maggies / maggies; NaN where the magnitude is.
SPECMILL_HOST_DEVICE inline double ab_mag_err(double maggies, double maggies_err) {
  return maggies > 0 ? mag_err_per_relative_flux_err * maggies_err / maggies : NAN;
}

}  // namespace specmill
