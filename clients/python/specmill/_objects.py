"""Typed results: catalog rows as astropy Tables, a Spectrum (its catalog row, its data fetched
when first used) and a SkyObject (the spectra of one sky position)."""
import math

import numpy as np

# The catalog columns query_spectra and get_spectrum ask for unless told otherwise: what an
# astronomer selects and plots on (the service adds specobjid, plate, mjd, fiberid, ra, dec).
DEFAULT_COLUMNS = ("specobjid", "plate", "mjd", "fiberid", "run2d", "ra", "dec", "z", "z_err", "zwarning", "class",
                   "subclass", "sn_median_all", "specprimary")


# The SQL types of the context tables' columns (io/catalog/catalog_db.cpp): the service sends
# requested columns as text (NULL as ""), so they are typed here; other tables' columns (value-
# added catalogs) are typed by their text (an integer, else a real, else text).
_INT_COLUMNS = {"plate", "mjd", "fiberid", "zwarning", "specprimary", "thing_id", "npix", "healpix"}
_REAL_COLUMNS = {"ra", "dec", "plug_ra", "plug_dec", "z", "z_err", "sn_median_all", "spectroflux_u", "spectroflux_g",
                 "spectroflux_r", "spectroflux_i", "spectroflux_z", "wavemin", "wavemax"}
_TEXT_COLUMNS = {"run2d", "class", "subclass", "programname", "objtype"}


def _typed(name, v):
    if not isinstance(v, str):
        return v
    if name in _TEXT_COLUMNS:
        return v
    if v == "":
        return None
    if name in _INT_COLUMNS:
        return int(v)
    if name in _REAL_COLUMNS:
        return float(v)
    for conv in (int, float):
        try:
            return conv(v)
        except ValueError:
            pass
    return v


def rows_from_json(reply_json):
    """/query?format=json rows as dicts of typed values (specobjid an int, exact past 2^53: the
    service sends it as a decimal string)."""
    rows = []
    for r in reply_json.get("rows", []):
        row = {k: _typed(k, v) for k, v in r.items() if k != "specobjid"}
        row = dict({"specobjid": int(r["specobjid"]) & 0xFFFFFFFFFFFFFFFF} if "specobjid" in r else {}, **row)
        rows.append(row)
    return rows


def _column(values):
    """A numpy array (or a masked one where values are missing) of one JSON column."""
    present = [v for v in values if v is not None]
    missing = len(present) != len(values)
    if present and all(isinstance(v, bool) for v in present):
        dtype, fill = np.bool_, False
    elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        dtype, fill = np.int64, 0
        if any(v > 2 ** 63 - 1 for v in present):
            dtype = np.uint64
    elif present and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        dtype, fill = np.float64, math.nan
    else:
        dtype, fill = str, ""
        values = [v if v is None or isinstance(v, str) else str(v) for v in values]
    data = np.array([fill if v is None else v for v in values], dtype=dtype)
    if missing:
        return np.ma.MaskedArray(data, mask=[v is None for v in values])
    return data


def rows_to_table(rows, columns):
    """An astropy Table of JSON rows, columns in the order asked (specobjid as uint64)."""
    from astropy.table import MaskedColumn, Table
    names = list(columns) if columns else (list(rows[0].keys()) if rows else [])
    for r in rows[:1]:
        names += [k for k in r if k not in names]
    t = Table()
    for n in names:
        vals = [r.get(n) for r in rows]
        if n == "specobjid":
            t[n] = np.array(vals, dtype=np.uint64)
            continue
        col = _column(vals)
        t[n] = MaskedColumn(col) if isinstance(col, np.ma.MaskedArray) else col
    return t


class Spectrum:
    """One spectrum: its catalog row (`.meta`, and `.specobjid`, `.ra`, `.dec`, `.z`, ... as
    attributes) and its pixels, fetched from the service the first time `.data` is read (a
    structured array as getSpec's numpy form). `.plot()` draws it with its lines at the
    catalog z; `.to_Spectrum1D()` gives specutils' object with the catalog row as meta."""

    def __init__(self, client, row, context=None):
        self._client = client
        self._context = context
        self.meta = dict(row)
        self._data = None

    def __getattr__(self, name):
        meta = self.__dict__.get("meta", {})
        if name in meta:
            return meta[name]
        raise AttributeError("%s has no attribute or catalog column %r" % (type(self).__name__, name))

    def __repr__(self):
        m = self.meta
        return "Spectrum(specobjid=%s, plate=%s, mjd=%s, fiberid=%s, z=%s, class=%s)" % (
            m.get("specobjid"), m.get("plate"), m.get("mjd"), m.get("fiberid"), m.get("z"), m.get("class"))

    @property
    def data(self):
        if self._data is None:
            self._data = self._client.getSpec(self.meta["specobjid"], context=self._context)
        return self._data

    def to_Spectrum1D(self):
        from ._convert import to_Spectrum1D
        s = to_Spectrum1D(self.data, self.meta["specobjid"])
        s.meta.update({k: v for k, v in self.meta.items()})
        return s

    def plot(self, out=None, lines=True, **kw):
        from ._plot import plot_spectrum
        z = self.meta.get("z") or 0.0
        title = kw.pop("title", "%s  z=%.4f" % (self.meta.get("specobjid"), z))
        if lines is True:  # the engine's line table (GET /lines), shifted to z by the plot
            lines = self._client._line_marks({})
        return plot_spectrum(self.data, out=out, lines=lines, z=z, title=title, **kw)


class SkyObject:
    """The spectra of one sky position (SDSS re-observations of one target), primary first."""

    def __init__(self, ra, dec, spectra):
        self.ra, self.dec = ra, dec
        self.spectra = sorted(spectra, key=lambda s: (-(s.meta.get("specprimary") or 0),
                                                      -(s.meta.get("sn_median_all") or 0.0)))

    @property
    def primary(self):
        """The spectrum the catalog marks primary (specprimary = 1), else the best S/N one."""
        return self.spectra[0] if self.spectra else None

    def __len__(self):
        return len(self.spectra)

    def __iter__(self):
        return iter(self.spectra)

    def __repr__(self):
        return "SkyObject(ra=%.6f, dec=%.6f, %d spectra)" % (self.ra, self.dec, len(self.spectra))
