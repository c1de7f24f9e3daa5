"""Calibrating spectra to broadband photometry: a smooth multiplier m(lambda) so that the
synthetic photometry of m * flux matches given fluxes.

    from specmill.calibrate import calibrate_to_photometry
    s = client.get_spectrum((3586, 55181, 500), columns=["spectroflux_g", "spectroflux_r", "spectroflux_i"])
    res = calibrate_to_photometry(s, s.meta, bands=("g", "r", "i"), method="chebyshev", degree=1)
    res.spectrum["flux"], res.multiplier, res.bands_used; res.plot("cal.png")

Synthetic photometry here is that of `specmill photometry` (docs/photometry.md: photon-counting
AB maggies, R linear between its points), with each pixel's integrals taken at its centre
instead of exactly across it: the two agree to about 1e-4 relative (tests/python/test_calibrate.py
checks 1e-3). Synthetic photometry is linear in the flux, so the fit is linear least squares:
column k of the design matrix is the photometry of T_k(x) * flux (T_k the Chebyshev
polynomials, x the wavelength mapped onto [-1, 1] across the spectrum), one row per band,
weighted by 1/err of the given fluxes (or 1/flux, fractional residuals, when no errors are
given). `method='flat'` is degree 0: one constant factor. The calibrated spectrum's ivar is
divided by m^2, so the S/N of every pixel is kept.
"""
import math
import os
import pathlib

import numpy as np

__all__ = ["calibrate_to_photometry", "calibrate_and_stack", "synthetic_photometry", "load_filter",
           "CalibrationResult"]

C_ANGSTROM_PER_S = 2.99792458e18
AB_ZERO_CGS = 3631e-23                 # erg/s/cm^2/Hz
SDSS_FLUX_UNIT = 1e-17                 # erg/s/cm^2/A, what the store's flux is in
MAX_UNCOVERED = 0.005                  # as photometry_params: a band 0.5% outside the spectrum is dropped
MAX_MASKED = 0.10

_filters = {}


def _filter_dir():
    env = os.environ.get("SPECMILL_DATA_DIR")
    if env:
        return pathlib.Path(env) / "filters"
    # the package in its source tree (clients/python/specmill) or beside the repository's data/
    return pathlib.Path(__file__).resolve().parents[3] / "data" / "filters"


def band_name(band):
    """'g' -> 'sdss2010-g'; a full name or a file path is kept."""
    b = str(band)
    return "sdss2010-" + b if b in ("u", "g", "r", "i", "z") else b


def load_filter(band):
    """(wavelength_AA, response) of a shipped filter ('g', 'sdss2010-r') or an ECSV file."""
    name = band_name(band)
    if name not in _filters:
        path = pathlib.Path(name)
        if not path.suffix:
            path = _filter_dir() / (name + ".ecsv")
        if not path.exists():
            raise ValueError("no filter curve %r (looked for %s; set SPECMILL_DATA_DIR)" % (band, path))
        rows = [ln.split() for ln in path.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
        rows = [r for r in rows if _is_number(r[0])]
        arr = np.array(rows, dtype=np.float64)
        _filters[name] = (arr[:, 0], arr[:, 1])
    return _filters[name]


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def _pixels(spectrum):
    """(wavelength, flux, ivar, loglam) float64 of a getSpec numpy array, a Spectrum, a dict or a
    (wavelength, flux[, ivar]) tuple."""
    if hasattr(spectrum, "data") and hasattr(spectrum, "meta") and not isinstance(spectrum, np.ndarray):
        spectrum = spectrum.data
    if isinstance(spectrum, tuple):
        wave = np.asarray(spectrum[0], dtype=np.float64)
        flux = np.asarray(spectrum[1], dtype=np.float64)
        ivar = np.asarray(spectrum[2], dtype=np.float64) if len(spectrum) > 2 else np.ones_like(flux)
        return wave, flux, ivar, np.log10(wave)
    names = spectrum.dtype.names if isinstance(spectrum, np.ndarray) else list(spectrum)
    loglam = np.asarray(spectrum["loglam"], dtype=np.float64) if "loglam" in names else None
    wave = 10.0 ** loglam if loglam is not None else np.asarray(spectrum["wavelength"], dtype=np.float64)
    flux = np.asarray(spectrum["flux"], dtype=np.float64)
    ivar = np.asarray(spectrum["ivar"], dtype=np.float64) if "ivar" in names else np.ones_like(flux)
    return wave, flux, ivar, (loglam if loglam is not None else np.log10(wave))


def _pixel_widths(loglam):
    """Each pixel's wavelength edges: halfway (in log10) to its neighbours."""
    mid = 0.5 * (loglam[1:] + loglam[:-1])
    lo = np.concatenate([[loglam[0] - (mid[0] - loglam[0])], mid])
    hi = np.concatenate([mid, [loglam[-1] + (loglam[-1] - mid[-1])]])
    return 10.0 ** lo, 10.0 ** hi


def _band_weights(wave, loglam, band):
    """Per-pixel a_k (flux weight, to maggies) and b_k (norm weight), and the curve's whole norm."""
    fw, fr = load_filter(band)
    lo, hi = _pixel_widths(loglam)
    r = np.interp(wave, fw, fr, left=0.0, right=0.0)
    dl = hi - lo
    a = r * wave * dl * SDSS_FLUX_UNIT / (C_ANGSTROM_PER_S * AB_ZERO_CGS)
    b = r / wave * dl
    fine = np.linspace(fw[0], fw[-1], 20000)
    total = np.trapz(np.interp(fine, fw, fr) / fine, fine)
    return a, b, total


def _good(flux, ivar):
    return np.isfinite(flux) & np.isfinite(ivar) & (ivar > 0)


def synthetic_photometry(spectrum, band):
    """(nanomaggies, nanomaggies_err) of a spectrum in a band; NaN for a band the spectrum does
    not cover (more than 0.5% of its weight outside) or covers with over 10% masked weight."""
    wave, flux, ivar, loglam = _pixels(spectrum)
    a, b, total = _band_weights(wave, loglam, band)
    return _photometry(flux, ivar, a, b, total)


def _photometry(flux, ivar, a, b, total):
    good = _good(flux, ivar)
    covered = b.sum()
    if total <= 0 or covered < (1 - MAX_UNCOVERED) * total:
        return math.nan, math.nan
    bg = b[good].sum()
    if bg < (1 - MAX_MASKED) * covered:
        return math.nan, math.nan
    m = (a[good] * flux[good]).sum() / bg
    err = math.sqrt((a[good] ** 2 / ivar[good]).sum()) / bg
    return 1e9 * m, 1e9 * err


def _targets(photometry, bands):
    """{band: (nanomaggies, err or None)} from a dict of fluxes ('g' or 'spectroflux_g' keys;
    values a number or (value, err)) or a catalog row / Spectrum's meta."""
    if hasattr(photometry, "meta") and not isinstance(photometry, dict):
        photometry = photometry.meta
    keys = list(photometry.keys()) if hasattr(photometry, "keys") else list(photometry.colnames)
    out = {}
    for band in bands:
        short = band_name(band).replace("sdss2010-", "")
        for key in (band, band_name(band), short, "spectroflux_" + short, "SPECTROFLUX_" + short.upper()):
            if key in keys:
                v = photometry[key]
                val, err = (v[0], v[1]) if isinstance(v, (tuple, list)) else (v, None)
                out[band] = (float(val), None if err is None else float(err))
                break
        else:
            raise ValueError("no flux for band %r in the photometry given (keys: %s)" % (band, ", ".join(map(str, keys))))
    return out


class CalibrationResult:
    """What calibrate_to_photometry found: `.spectrum` (the calibrated copy: flux * m, ivar / m^2),
    `.original`, `.multiplier` (m at each pixel), `.coefficients` (Chebyshev, over `.x_range`
    in Angstrom), `.bands_used`, `.target`, `.synthetic_before`, `.synthetic_after` (nanomaggies
    per band) and `.plot()`."""

    def __init__(self, **kw):
        self.__dict__.update(kw)

    def multiplier_at(self, wavelength):
        """m at any wavelength (Angstrom) inside x_range."""
        return np.polynomial.chebyshev.chebval(_to_x(np.asarray(wavelength, dtype=np.float64), self.x_range),
                                               self.coefficients)

    def __repr__(self):
        return "CalibrationResult(method=%r, degree=%d, bands_used=%s, coefficients=%s)" % (
            self.method, self.degree, self.bands_used, np.array2string(self.coefficients, precision=5))

    def plot(self, out=None, ax=None):
        """The original and calibrated flux, the multiplier (right axis) and the target fluxes
        at the bands' pivot wavelengths. Saves to `out` when given; returns the axes."""
        import matplotlib
        if out is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        own = ax is None
        if own:
            fig, ax = plt.subplots(figsize=(10, 4))
        wave = self.wavelength
        ax.plot(wave, self.original_flux, lw=0.5, color="0.6", label="original")
        ax.plot(wave, self.calibrated_flux, lw=0.6, color="k", label="calibrated")
        ax.set_xlabel("wavelength (Angstrom)")
        ax.set_ylabel("flux (1e-17 erg/s/cm^2/A)")
        for band in self.bands_used:
            fw, fr = load_filter(band)
            pivot = math.sqrt(np.trapz(fr * fw, fw) / np.trapz(fr / fw, fw))
            flam = self.target[band][0] * 3.631e-29 * C_ANGSTROM_PER_S / pivot ** 2 / SDSS_FLUX_UNIT
            ax.plot([pivot], [flam], "o", color="tab:red")
            ax.annotate(band_name(band).replace("sdss2010-", ""), (pivot, flam), textcoords="offset points",
                        xytext=(4, 4))
        ax2 = ax.twinx()
        ax2.plot(wave, self.multiplier, color="tab:blue", lw=1.2, label="multiplier")
        ax2.set_ylabel("multiplier", color="tab:blue")
        ax.legend(loc="upper right")
        if out is not None:
            ax.figure.savefig(out, dpi=100, bbox_inches="tight")
            if own:
                plt.close(ax.figure)
        return ax


def _to_x(wave, x_range):
    lo, hi = x_range
    return 2.0 * (wave - lo) / (hi - lo) - 1.0


def calibrate_to_photometry(spectrum, photometry, method="chebyshev", degree=None, bands=None, min_snr=3.0):
    """Fits m(lambda) = sum_k c_k T_k(x) so that the synthetic photometry of m * flux matches
    `photometry` (nanomaggies; see _targets for the forms) in `bands` (default: g, r, i).
    method: 'chebyshev' (degree: default the most the bands allow, up to 2) or 'flat'
    (degree 0). A band is used when the spectrum covers it and both its synthetic flux and
    the given one (when an error is given) have S/N >= min_snr. ValueError when fewer bands
    remain than the degree needs."""
    if method not in ("chebyshev", "flat"):
        raise ValueError("method must be 'chebyshev' or 'flat', not %r" % (method,))
    bands = list(bands) if bands is not None else ["g", "r", "i"]
    target = _targets(photometry, bands)
    wave, flux, ivar, loglam = _pixels(spectrum)
    good = _good(flux, ivar)
    flux0 = np.where(good, flux, 0.0)
    x_range = (float(wave[0]), float(wave[-1]))
    x = _to_x(wave, x_range)
    used, weights = [], []
    for band in bands:
        a, b, total = _band_weights(wave, loglam, band)
        val, err = target[band]
        syn, syn_err = _photometry(flux, ivar, a, b, total)
        if not np.isfinite(syn) or not np.isfinite(val) or val <= 0:
            continue
        if syn_err > 0 and syn / syn_err < min_snr:
            continue
        if err is not None and err > 0 and val / err < min_snr:
            continue
        used.append(band)
        weights.append((a, b, total))
    if method == "flat":
        if degree not in (None, 0):
            raise ValueError("method 'flat' is degree 0")
        degree = 0
    elif degree is None:
        degree = min(len(used) - 1, 2)
    if degree < 0 or len(used) < degree + 1:
        raise ValueError("%d usable band(s) (%s) of %s cannot fit degree %s" % (
            len(used), ", ".join(used) or "none", ", ".join(map(str, bands)), degree))
    # Design: A[b, k] = photometry of T_k(x) * flux in band b (linear in the flux).
    basis = np.polynomial.chebyshev.chebvander(x, degree)          # (npix, degree + 1)
    A = np.empty((len(used), degree + 1))
    y = np.empty(len(used))
    w = np.empty(len(used))
    for i, (band, (a, b, total)) in enumerate(zip(used, weights)):
        bg = b[good].sum()
        A[i] = 1e9 * (a[:, None] * basis * flux0[:, None])[good].sum(axis=0) / bg
        val, err = target[band]
        y[i] = val
        w[i] = 1.0 / err if err else 1.0 / abs(val)
    coef, *_ = np.linalg.lstsq(A * w[:, None], y * w, rcond=None)
    m = basis @ coef
    cal = _calibrated_copy(spectrum, m)
    before = {band: float(A[i, 0]) for i, band in enumerate(used)}    # T_0 = 1: the photometry as given
    after = {band: float(A[i] @ coef) for i, band in enumerate(used)}
    return CalibrationResult(method=method, degree=degree, coefficients=coef, x_range=x_range, multiplier=m,
                             spectrum=cal, original=spectrum, bands_used=used, target=target,
                             synthetic_before=before, synthetic_after=after, wavelength=wave,
                             original_flux=flux, calibrated_flux=flux * m)


def _calibrated_copy(spectrum, m):
    """The spectrum's own form with flux * m and ivar / m^2 (ivar 0 where m <= 0)."""
    src = spectrum.data if (hasattr(spectrum, "data") and hasattr(spectrum, "meta")
                            and not isinstance(spectrum, np.ndarray)) else spectrum
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_m2 = np.where(m > 0, 1.0 / (m * m), 0.0)
    if isinstance(src, tuple):
        out = [np.asarray(src[0]), np.asarray(src[1]) * m]
        if len(src) > 2:
            out.append(np.asarray(src[2]) * inv_m2)
        return tuple(out)
    out = src.copy() if isinstance(src, np.ndarray) else {k: np.array(v, copy=True) for k, v in src.items()}
    out["flux"] = (np.asarray(src["flux"], dtype=np.float64) * m).astype(np.asarray(src["flux"]).dtype)
    names = out.dtype.names if isinstance(out, np.ndarray) else list(out)
    if "ivar" in names:
        out["ivar"] = (np.asarray(src["ivar"], dtype=np.float64) * inv_m2).astype(np.asarray(src["ivar"]).dtype)
    return out


def calibrate_and_stack(client, id_list, photometry=None, bands=("g", "r", "i"), method="chebyshev", degree=None,
                        min_snr=3.0, context=None, skip_failures=True):
    """Calibrates each spectrum of id_list to its photometry (default: its catalog SPECTROFLUX
    in `bands`; else a dict {id: photometry}) and stacks the calibrated spectra: the
    ivar-weighted mean on the store's log-lambda lattice. Returns (stack, results) where
    stack is a dict of loglam, flux, ivar, n (spectra contributing per pixel) and results the
    CalibrationResults by ID (None for spectra that could not be calibrated, when
    skip_failures; else the ValueError is raised)."""
    cols = ["spectroflux_" + band_name(b).replace("sdss2010-", "") for b in bands]
    results, spectra = {}, []
    for sid in id_list:
        s = client.get_spectrum(sid, columns=cols, context=context)
        phot = photometry[sid] if photometry is not None else s.meta
        try:
            res = calibrate_to_photometry(s, phot, method=method, degree=degree, bands=bands, min_snr=min_snr)
        except ValueError:
            if not skip_failures:
                raise
            results[sid] = None
            continue
        results[sid] = res
        spectra.append(res.spectrum)
    if not spectra:
        raise ValueError("no spectrum of the list could be calibrated")
    lattice = [np.rint(np.asarray(s["loglam"], dtype=np.float64) * 1e4).astype(np.int64) for s in spectra]
    lo, hi = min(k[0] for k in lattice), max(k[-1] for k in lattice)
    num = np.zeros(hi - lo + 1)
    den = np.zeros(hi - lo + 1)
    n = np.zeros(hi - lo + 1, dtype=np.int64)
    for s, k in zip(spectra, lattice):
        f, iv = np.asarray(s["flux"], dtype=np.float64), np.asarray(s["ivar"], dtype=np.float64)
        ok = _good(f, iv)
        np.add.at(num, k[ok] - lo, f[ok] * iv[ok])
        np.add.at(den, k[ok] - lo, iv[ok])
        np.add.at(n, k[ok] - lo, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        flux = np.where(den > 0, num / den, 0.0)
    stack = {"loglam": np.arange(lo, hi + 1) * 1e-4, "flux": flux, "ivar": den, "n": n}
    return stack, results
