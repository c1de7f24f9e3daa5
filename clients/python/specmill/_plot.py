"""plot(): one spectrum with matplotlib (imported only here)."""
import numpy as np

from .errors import InvalidArgumentError

# Common lines (vacuum Angstrom) for lines=True
COMMON_LINES = {
    "Ly$\\alpha$": 1215.67, "C IV": 1549.06, "Mg II": 2799.12, "[O II]": 3728.48, "Ca K": 3934.78,
    "Ca H": 3969.59, "H$\\delta$": 4102.89, "H$\\gamma$": 4341.68, "H$\\beta$": 4862.68,
    "[O III]": 5008.24, "Mg b": 5176.7, "Na D": 5895.6, "H$\\alpha$": 6564.61, "[N II]": 6585.27,
    "[S II]": 6718.29,
}


def _columns(data):
    """(wavelength, {field: values}, meta) of a structured array, DataFrame or Spectrum1D."""
    if hasattr(data, "spectral_axis") and hasattr(data, "flux"):  # Spectrum1D
        flux = np.asarray(data.flux.value)
        if flux.ndim != 1:
            raise InvalidArgumentError("plot() shows one spectrum; index the Spectrum1D first")
        return np.asarray(data.spectral_axis.to("Angstrom").value), {"flux": flux}, dict(data.meta or {})
    if hasattr(data, "columns") and hasattr(data, "attrs"):  # DataFrame
        cols = {c: np.asarray(data[c]) for c in data.columns}
        meta = dict(data.attrs)
    else:
        a = np.asarray(data)
        if a.dtype.names is None:
            raise InvalidArgumentError("plot() needs a spectrum from getSpec (a structured array, DataFrame or Spectrum1D)")
        if a.ndim != 1:
            raise InvalidArgumentError("plot() shows one spectrum; give one row of an aligned array")
        cols, meta = {c: a[c] for c in a.dtype.names}, {}
    if "wavelength" in cols:
        wave = cols["wavelength"]
    elif "loglam" in cols:
        wave = np.power(10.0, cols["loglam"].astype(np.float64))
    else:
        raise InvalidArgumentError("plot() needs loglam (or wavelength) with the flux")
    return wave, cols, meta


def plot_spectrum(data, out=None, sky=False, model=False, lines=None, z=0.0, title=None, ax=None, **kw):
    import matplotlib
    if out is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    wave, cols, meta = _columns(data)
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=kw.get("figsize", (10, 4)))
    good = wave > 0
    ax.plot(wave[good], cols["flux"][good], lw=0.6, color="k", label="flux")
    if sky:
        if "sky" not in cols:
            raise InvalidArgumentError("sky=True needs the sky field (getSpec values='all')")
        ax.plot(wave[good], cols["sky"][good], lw=0.6, color="tab:blue", alpha=0.7, label="sky")
    if model:
        if "model" not in cols:
            raise InvalidArgumentError("model=True needs the model field (getSpec values='all')")
        ax.plot(wave[good], cols["model"][good], lw=0.8, color="tab:red", alpha=0.8, label="model")
    # The flux sets the y-range (robust percentiles, padded): a sky or model line, or one bad
    # pixel, must not squash the spectrum.
    f = np.asarray(cols["flux"][good], dtype=np.float64)
    f = f[np.isfinite(f)]
    if f.size:
        lo_y, hi_y = np.percentile(f, [0.5, 99.5])
        pad = 0.08 * max(hi_y - lo_y, 1e-30)
        ax.set_ylim(lo_y - pad, hi_y + pad)
    if lines:
        marks = COMMON_LINES if lines is True else dict(lines)
        lo, hi = wave[good].min(), wave[good].max()
        for name, w in marks.items():
            w = float(w) * (1.0 + float(z))
            if lo <= w <= hi:
                ax.axvline(w, color="tab:green", lw=0.6, ls="--")
                ax.text(w, 0.97, name, rotation=90, va="top", ha="right", fontsize=7,
                        transform=ax.get_xaxis_transform())
    ax.set_xlabel("wavelength [$\\AA$]")
    ax.set_ylabel("flux [$10^{-17}$ erg s$^{-1}$ cm$^{-2}$ $\\AA^{-1}$]")
    if title is None and "plate" in meta:
        title = "%d-%d-%d" % (meta["plate"], meta["mjd"], meta["fiberid"])
    if title:
        ax.set_title(title)
    if sky or model:
        ax.legend(loc="upper right", fontsize=8)
    if not own:
        return ax
    fig.tight_layout()
    if out is not None:
        fig.savefig(out, format="png", dpi=kw.get("dpi", 100))
        plt.close(fig)
        return "OK"
    plt.show()
    return None
