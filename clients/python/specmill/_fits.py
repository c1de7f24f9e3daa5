"""The service's FITS reply (one binary table SPECTRA; aligned: vector columns and a GRID table)
split into one HDUList per spectrum, laid out like an SDSS spec file: a PRIMARY header with
SPECOBJID, PLATE, MJD, FIBERID and an HDU 1 'COADD' table of the columns (flux, loglam, ivar, ...).
"""
import io

import numpy as np

from . import _ids
from ._convert import FIELDS


# FITS TUNIT of the COADD columns (the spec files' own units; ivar is 1/flux^2).
_UNITS = {"flux": "1E-17 erg/cm^2/s/Angstrom", "sky": "1E-17 erg/cm^2/s/Angstrom", "model": "1E-17 erg/cm^2/s/Angstrom",
          "ivar": "1E+34 (erg/cm^2/s/Angstrom)^-2", "loglam": "log10(Angstrom)"}

# Catalog columns -> PRIMARY keywords (<= 8 characters).
_HEADER_KEYS = {"z": "Z", "z_err": "Z_ERR", "zwarning": "ZWARNING", "class": "CLASS", "subclass": "SUBCLASS",
                "ra": "RA", "dec": "DEC", "sn_median_all": "SN_MEDAL", "specprimary": "SPECPRIM"}


def add_catalog_row(fits, hdul, row):
    """The spectrum's catalog row in its HDUList: PRIMARY keywords (Z, Z_ERR, ZWARNING, CLASS,
    SUBCLASS, RA, DEC, SN_MEDAL: SN_MEDIAN_ALL, SPECPRIM) and a one-row table HDU 2 'SPECOBJ' of
    every column, as an SDSS spec file has. Nothing for a spectrum with no row."""
    if not row:
        return
    h = hdul[0].header
    for col, key in _HEADER_KEYS.items():
        v = row.get(col)
        if v is not None and not (isinstance(v, float) and v != v):
            h[key] = (v, col)
    cols = []
    for name, v in row.items():
        if name == "specobjid":
            cols.append(fits.Column(name="SPECOBJID", format="K", bzero=2 ** 63,
                                    array=np.array([v], dtype=np.uint64)))
        elif isinstance(v, str):
            cols.append(fits.Column(name=name.upper(), format="%dA" % max(1, len(v)), array=np.array([v])))
        elif isinstance(v, int):
            cols.append(fits.Column(name=name.upper(), format="K", array=np.array([v], dtype=np.int64)))
        elif isinstance(v, float) or v is None:
            cols.append(fits.Column(name=name.upper(), format="D",
                                    array=np.array([np.nan if v is None else v], dtype=np.float64),
                                    unit="deg" if name in ("ra", "dec") else None))
    if "SPECOBJ" in hdul:
        return  # a spec file's own HDU 2
    hdul.append(fits.BinTableHDU.from_columns(cols, name="SPECOBJ"))


def _hdulist(fits, specobjid, columns, context):
    plate, mjd, fiber = _ids.decode_specobjid(specobjid)
    primary = fits.PrimaryHDU()
    h = primary.header
    h["SPECOBJ"] = (str(specobjid), "SPECOBJID (unsigned 64-bit, as text)")
    h["PLATE"], h["MJD"], h["FIBERID"] = int(plate), int(mjd), int(fiber)
    h["PLATEID"] = int(plate)  # the spec files' name for it
    h["RUN2D"] = _ids.run2d_of(specobjid)
    if context:
        h["CONTEXT"] = context
    h["BUNIT"] = "1E-17 erg/cm^2/s/Angstrom"
    cols = []
    for name in [c for c in FIELDS if c in columns] + [c for c in columns if c not in FIELDS]:
        a = np.ascontiguousarray(columns[name])
        cols.append(fits.Column(name=name, format="J" if a.dtype.kind == "i" else "E", array=a,
                                unit=_UNITS.get(name)))
    coadd = fits.BinTableHDU.from_columns(cols, name="COADD")
    return fits.HDUList([primary, coadd])


def split_fits(fits, content):
    """[(file name, HDUList)], one per spectrum in the reply (spectra not found are left out).
    A reply for one spectrum with every column is the data-release spec file itself."""
    with fits.open(io.BytesIO(content), memmap=False) as h:
        if "SPECTRA" not in h and len(h) > 1 and h[1].name == "COADD":
            hdr = h[0].header
            name = "spec-%04d-%05d-%04d.fits" % (hdr["PLATEID"], hdr["MJD"], hdr["FIBERID"])
            return [(name, fits.HDUList([x.copy() for x in h]))]
        table = h["SPECTRA"]
        context = table.header.get("CONTEXT", "")
        data = table.data
        names = [n for n in data.columns.names]
        out = []
        if "GRID" in h:  # aligned: vector columns over the GRID's loglam
            loglam = np.asarray(h["GRID"].data["LOGLAM"], dtype=np.float32)
            value_names = [n for n in names if n not in ("SPECOBJID", "FOUND")]
            for r in range(len(data)):
                if not data["FOUND"][r]:
                    continue
                sid = int(data["SPECOBJID"][r])
                cols = {"loglam": loglam}
                for n in value_names:
                    cols[n.lower()] = np.asarray(data[n][r])
                out.append((_ids.spec_file_name(sid, "fits"), _hdulist(fits, sid, cols, context)))
        else:  # one row per found spectrum, variable-length columns
            value_names = [n for n in names if n not in ("SPECOBJID", "PLATE", "MJD", "FIBERID", "NPIX")]
            for r in range(len(data)):
                sid = int(data["SPECOBJID"][r])
                cols = {n.lower(): np.asarray(data[n][r]) for n in value_names}
                out.append((_ids.spec_file_name(sid, "fits"), _hdulist(fits, sid, cols, context)))
    return out
