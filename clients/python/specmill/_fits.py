"""The service's FITS reply (one binary table SPECTRA; aligned: vector columns and a GRID table)
split into one HDUList per spectrum, laid out like an SDSS spec file: a PRIMARY header with
SPECOBJID, PLATE, MJD, FIBERID and an HDU 1 'COADD' table of the columns (flux, loglam, ivar, ...).
"""
import io

import numpy as np

from . import _ids
from ._convert import FIELDS


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
        cols.append(fits.Column(name=name, format="J" if a.dtype.kind == "i" else "E", array=a))
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
