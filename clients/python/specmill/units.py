"""Flux-density units of spectra and photometry, without astropy.

    from specmill.units import convert_flux_units
    fnu_ujy = convert_flux_units(data["flux"], wavelength, "sdss", "uJy")
    flam = convert_flux_units(fluxes_nmgy, effective_wavelengths, "nanomaggies", "erg/s/cm2/A")

f_lambda units (per Angstrom): 'sdss' (1e-17 erg/s/cm^2/A, what SDSS spectra and getSpec give),
'erg/s/cm2/A', 'W/m2/nm'. f_nu units (per Hz): 'erg/s/cm2/Hz', 'Jy', 'mJy', 'uJy', 'nJy',
'nanomaggies' (3.631 uJy: 1 nanomaggy is AB magnitude 22.5). Between the two families
f_nu = f_lambda * lambda^2 / c with lambda in Angstrom (so the wavelength is needed only then).
Arithmetic is float64 whatever the input; the result has the input's shape."""
import numpy as np

__all__ = ["convert_flux_units", "FLUX_UNITS", "ab_magnitude"]

C_ANGSTROM_PER_S = 2.99792458e18  # speed of light in Angstrom/s (exact)

# unit -> (family, factor to the family's cgs unit: erg/s/cm^2/A or erg/s/cm^2/Hz)
FLUX_UNITS = {
    "sdss": ("lambda", 1e-17),
    "1e-17 erg/s/cm2/a": ("lambda", 1e-17),
    "erg/s/cm2/a": ("lambda", 1.0),
    "w/m2/nm": ("lambda", 100.0),  # 1 W/m^2/nm = 1e7 erg/s / 1e4 cm^2 / 10 A
    "erg/s/cm2/hz": ("nu", 1.0),
    "jy": ("nu", 1e-23),
    "mjy": ("nu", 1e-26),
    "ujy": ("nu", 1e-29),
    "njy": ("nu", 1e-32),
    "nanomaggies": ("nu", 3.631e-29),
    "nmgy": ("nu", 3.631e-29),
}


_ALIASES = {"1e-17erg/s/cm2/a": "1e-17 erg/s/cm2/a", "µjy": "ujy", "microjy": "ujy", "nanomaggy": "nanomaggies"}


def _unit(name):
    """(family, factor) of a unit name; spaces, '^', 'Angstrom'/'AA' and 'cm-2' spellings accepted."""
    key = str(name).strip().lower().replace("^", "").replace(" ", "")
    key = key.replace("angstrom", "a").replace("aa", "a").replace("cm-2", "cm2")
    key = _ALIASES.get(key, key)
    if key not in FLUX_UNITS:
        raise ValueError("unknown flux unit %r; known: %s" % (name, ", ".join(sorted(FLUX_UNITS))))
    return FLUX_UNITS[key]


def convert_flux_units(flux, wavelength, from_unit, to_unit):
    """`flux` in `from_unit` as `to_unit`. `wavelength` (Angstrom, broadcast against flux) is
    needed only between f_lambda and f_nu units; None is fine otherwise."""
    fam_in, f_in = _unit(from_unit)
    fam_out, f_out = _unit(to_unit)
    x = np.asarray(flux, dtype=np.float64) * f_in
    if fam_in != fam_out:
        if wavelength is None:
            raise ValueError("converting %s to %s needs the wavelength (Angstrom)" % (from_unit, to_unit))
        lam = np.asarray(wavelength, dtype=np.float64)
        if np.any(lam <= 0):
            raise ValueError("wavelengths must be positive (Angstrom)")
        x = x * lam * lam / C_ANGSTROM_PER_S if fam_in == "lambda" else x * C_ANGSTROM_PER_S / (lam * lam)
    return x / f_out


def ab_magnitude(flux, wavelength=None, unit="nanomaggies"):
    """AB magnitudes of flux densities (any unit above; f_lambda needs the wavelength):
    -2.5 log10(f_nu / 3631 Jy), so 1 nanomaggy is 22.5. Non-positive fluxes give NaN."""
    fnu = convert_flux_units(flux, wavelength, unit, "Jy") / 3631.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(fnu > 0, -2.5 * np.log10(np.where(fnu > 0, fnu, 1.0)), np.nan)
