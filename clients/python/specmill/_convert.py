"""From the service's bytes to the interface's objects.

- read_npz: the arrays of an .npz reply, without copying (stored members are viewed in place).
- spectra_from_npz: the original service's structured arrays (fields flux, loglam, ivar,
  and_mask, or_mask, wdisp, sky, model, or the subset asked for): one per spectrum when
  unaligned, one 2-D (n, npix) array with `loglam` on the common grid in every row when aligned.
- to_pandas / to_Spectrum1D / to_Table: those arrays as pandas, specutils, astropy objects
  (each library imported only when used).
"""
import ast
import io
import os
import struct
import zipfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .errors import InvalidArgumentError, ServerError

# The COADD fields in the order of the original service's structured arrays.
FIELDS = ("flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model")
INDEX_ARRAYS = ("offsets", "specobjid", "found", "wavelength")
# SDSS coadd flux unit (BUNIT of the spec files)
FLUX_UNIT = "1e-17 erg / (s cm2 Angstrom)"


# --- npy / npz -------------------------------------------------------------------------------
def _npy_view(buf, start, size):
    """The array in buf[start:start+size] (an .npy image), as a view of buf."""
    mv = memoryview(buf)
    if bytes(mv[start:start + 6]) != b"\x93NUMPY":
        raise ServerError("an npz member is not an .npy array")
    major = mv[start + 6]
    if major == 1:
        (hlen,), hstart = struct.unpack_from("<H", buf, start + 8), start + 10
    else:
        (hlen,), hstart = struct.unpack_from("<I", buf, start + 8), start + 12
    header = ast.literal_eval(bytes(mv[hstart:hstart + hlen]).decode("latin1"))
    dtype = np.lib.format.descr_to_dtype(header["descr"])
    shape = tuple(header["shape"])
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    data = hstart + hlen
    if data + count * dtype.itemsize > start + size:
        raise ServerError("an npz member is shorter than its header says")
    a = np.frombuffer(buf, dtype=dtype, count=count, offset=data)
    return a.reshape(shape, order="F" if header["fortran_order"] else "C")


def read_npy(buf):
    """An .npy reply as an array (a view of buf)."""
    return _npy_view(buf, 0, len(buf))


class _BufferFile(io.RawIOBase):
    """A read-only file over a buffer without copying it (io.BytesIO copies a bytearray)."""

    def __init__(self, buf):
        self._mv = memoryview(buf).cast("B")
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=0):
        base = {0: 0, 1: self._pos, 2: len(self._mv)}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def read(self, n=-1):
        end = len(self._mv) if n is None or n < 0 else min(len(self._mv), self._pos + n)
        out = self._mv[self._pos:end].tobytes()
        self._pos = max(self._pos, end)
        return out

    def readinto(self, b):
        data = self.read(len(b))
        b[:len(data)] = data
        return len(data)


def read_npz(buf):
    """{name: array} of an .npz reply, in member order. Stored members are views of buf (a
    writable bytearray gives writable arrays); compressed members are read with numpy."""
    try:
        zf = zipfile.ZipFile(_BufferFile(buf))
    except zipfile.BadZipFile as e:
        raise ServerError("the service's reply is not an npz archive (%s)" % e) from e
    out = {}
    for info in zf.infolist():
        name = info.filename[:-4] if info.filename.endswith(".npy") else info.filename
        if info.compress_type == zipfile.ZIP_STORED:
            n, m = struct.unpack_from("<HH", buf, info.header_offset + 26)
            out[name] = _npy_view(buf, info.header_offset + 30 + n + m, info.file_size)
        else:
            with zf.open(info) as f:
                out[name] = np.lib.format.read_array(f, allow_pickle=False)
    return out


# --- structured arrays -----------------------------------------------------------------------
_THREADS = max(1, min(8, os.cpu_count() or 1))
_PIECE = 1 << 22  # elements a thread copies at a time


def _fill(rec, sources):
    """rec[name] = array for each (name, array) of sources: the strided copies of the
    interleave, split over threads along the first axis (numpy releases the GIL while copying)."""
    n = rec.shape[0]
    per_row = int(np.prod(rec.shape[1:], dtype=np.int64)) if rec.ndim > 1 else 1
    step = max(1, _PIECE // max(per_row, 1))
    jobs = [(name, a, lo, min(n, lo + step)) for name, a in sources for lo in range(0, n, step)]

    def one(job):
        name, a, lo, hi = job
        rec[name][lo:hi] = a if a.shape[0] != n else a[lo:hi]  # (1, width): broadcast to every row

    if _THREADS == 1 or len(jobs) < 2:
        for j in jobs:
            one(j)
    else:
        with ThreadPoolExecutor(_THREADS) as pool:
            list(pool.map(one, jobs))


def _field_order(names, with_loglam):
    cols = [c for c in FIELDS if c in names or (c == "loglam" and with_loglam)]
    return cols + [c for c in names if c not in cols]


def spectra_from_npz(z, dense, want_loglam=True):
    """The original's structured arrays from an npz reply.
    Unaligned: (list of 1-D structured arrays, one per requested spectrum; empty when not found).
    Dense:     (2-D structured array [n, npix], loglam rewritten to the common grid).
    Also returns specobjid and found (arrays, one per row)."""
    specobjid = np.asarray(z["specobjid"], dtype=np.uint64)
    found = np.asarray(z["found"], dtype=bool)
    cols = [k for k in z if k not in INDEX_ARRAYS and not (dense and k == "loglam")]
    if dense:
        grid = np.asarray(z["loglam"])
        names = _field_order(cols, want_loglam)
        n, width = len(specobjid), len(grid)
        dtype = np.dtype([(c, "<f4" if c == "loglam" else z[c].dtype.str) for c in names])
        rec = np.empty((n, width), dtype=dtype)
        _fill(rec, [(c, grid.astype(np.float32)[None, :] if c == "loglam" else z[c]) for c in names])
        return rec, specobjid, found
    names = _field_order(cols, False)
    offsets = np.asarray(z["offsets"], dtype=np.int64)
    dtype = np.dtype([(c, z[c].dtype.str) for c in names])
    rec = np.empty(int(offsets[-1]), dtype=dtype)
    _fill(rec, [(c, z[c]) for c in names])
    return [rec[offsets[i]:offsets[i + 1]] for i in range(len(specobjid))], specobjid, found


# --- conversions -----------------------------------------------------------------------------
def _need(module, package):
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise ImportError("this needs %s (Debian: python3-%s)" % (module, package)) from None


def _meta_for(specobjid):
    if specobjid is None:
        return {}
    from ._ids import decode_specobjid
    plate, mjd, fiber = decode_specobjid(int(specobjid))
    return {"specobjid": int(specobjid), "plate": plate, "mjd": mjd, "fiberid": fiber}


def _as_list(data):
    return isinstance(data, (list, tuple))


def to_pandas(npy_data, specobjid=None):
    """A pandas DataFrame of one spectrum's structured array (columns = its fields, plus
    `wavelength` in Angstrom when loglam is there). A 2-D (aligned) array or a list gives a list
    of DataFrames."""
    pd = _need("pandas", "pandas")
    if _as_list(npy_data):
        return [to_pandas(d) for d in npy_data]
    a = np.asarray(npy_data)
    if a.dtype.names is None:
        raise InvalidArgumentError("to_pandas needs a structured array from getSpec (fields flux, loglam, ...)")
    if a.ndim == 2:
        return [to_pandas(row) for row in a]
    df = pd.DataFrame({c: a[c] for c in a.dtype.names})
    if "loglam" in a.dtype.names:
        df["wavelength"] = np.power(10.0, a["loglam"].astype(np.float64))
    df.attrs.update(_meta_for(specobjid))
    return df


def to_Table(npy_data, specobjid=None):
    """An astropy Table of one spectrum's structured array (one row per pixel). A 2-D (aligned)
    array gives one Table with a row per spectrum and a vector column per field."""
    table = _need("astropy.table", "astropy")
    if _as_list(npy_data):
        return [to_Table(d) for d in npy_data]
    a = np.asarray(npy_data)
    if a.dtype.names is None:
        raise InvalidArgumentError("to_Table needs a structured array from getSpec (fields flux, loglam, ...)")
    t = table.Table({c: np.ascontiguousarray(a[c]) for c in a.dtype.names})
    t.meta.update(_meta_for(specobjid))
    return t


def bad_pixels(a, mask_bits=None):
    """True where a pixel of a getSpec structured array is unusable, by the engine's good-pixel
    rule (core/good_pixel.hpp): ivar not in (0, largest finite float], flux not finite, or an
    and_mask bit of mask_bits (default flags.DEFAULT_BAD_PIXELS) set. Fields absent from the
    array are not tested."""
    from .flags import DEFAULT_BAD_PIXELS
    bits = int(DEFAULT_BAD_PIXELS if mask_bits is None else mask_bits)
    names = a.dtype.names
    bad = np.zeros(a.shape, dtype=bool)
    if "ivar" in names:
        ivar = np.asarray(a["ivar"], dtype=np.float32)
        bad |= ~((ivar > 0) & (ivar <= np.finfo(np.float32).max))
    if "flux" in names:
        bad |= ~np.isfinite(a["flux"])
    if "and_mask" in names:
        bad |= (np.asarray(a["and_mask"]).astype(np.int64) & bits) != 0
    return bad


def to_Spectrum1D(npy_data, specobjid=None):
    """A specutils Spectrum1D: flux in 1e-17 erg/s/cm^2/A, spectral axis 10**loglam A,
    InverseVariance uncertainty from ivar, mask = the engine's bad-pixel rule (bad_pixels()):
    ivar not in (0, max float], a non-finite flux, or an and_mask bit of
    flags.DEFAULT_BAD_PIXELS. (specutils' own SDSS loader masks and_mask != 0, which hides
    merely informative bits such as NEARBADPIXEL and about half of a good galaxy's pixels.)
    A 2-D (aligned) array gives one Spectrum1D with 2-D flux over the common axis; a list gives
    a list. Empty arrays (spectra not found) give None."""
    specutils = _need("specutils", "specutils")
    units = _need("astropy.units", "astropy")
    nddata = _need("astropy.nddata", "astropy")
    if _as_list(npy_data):
        return [to_Spectrum1D(d) for d in npy_data]
    a = np.asarray(npy_data)
    if a.dtype.names is None or "flux" not in a.dtype.names or "loglam" not in a.dtype.names:
        raise InvalidArgumentError("to_Spectrum1D needs a structured array with flux and loglam fields")
    if a.size == 0:
        return None
    unit = units.Unit(FLUX_UNIT)
    loglam = a["loglam"] if a.ndim == 1 else a["loglam"][0]
    kw = {}
    if "ivar" in a.dtype.names:
        kw["uncertainty"] = nddata.InverseVariance(np.asarray(a["ivar"], dtype=np.float32) / unit ** 2)
    if "ivar" in a.dtype.names or "and_mask" in a.dtype.names:
        kw["mask"] = bad_pixels(a)
    meta = _meta_for(specobjid)
    return specutils.Spectrum1D(flux=np.asarray(a["flux"], dtype=np.float32) * unit,
                                spectral_axis=np.power(10.0, loglam.astype(np.float64)) * units.AA,
                                meta=meta, **kw)


def to_SpectrumCollection(rec2d, specobjids=None):
    """A specutils SpectrumCollection of an aligned 2-D structured array."""
    specutils = _need("specutils", "specutils")
    units = _need("astropy.units", "astropy")
    s = to_Spectrum1D(rec2d)
    axis = units.Quantity(np.broadcast_to(s.spectral_axis.value, s.flux.shape), s.spectral_axis.unit)
    meta = {"specobjid": [int(x) for x in specobjids]} if specobjids is not None else {}
    return specutils.SpectrumCollection(flux=s.flux, spectral_axis=axis, uncertainty=s.uncertainty,
                                        mask=s.mask, meta=meta)


def stack_to_Spectrum1D(z):
    """A stack's arrays (wavelength, flux, ivar, n, metadata) as a specutils Spectrum1D."""
    specutils = _need("specutils", "specutils")
    units = _need("astropy.units", "astropy")
    nddata = _need("astropy.nddata", "astropy")
    unit = units.Unit(FLUX_UNIT)
    meta = dict(z.get("metadata", {}))
    meta["n"] = np.asarray(z["n"])
    return specutils.Spectrum1D(flux=np.asarray(z["flux"], dtype=np.float32) * unit,
                                spectral_axis=np.asarray(z["wavelength"], dtype=np.float64) * units.AA,
                                uncertainty=nddata.InverseVariance(np.asarray(z["ivar"], dtype=np.float32) / unit ** 2),
                                mask=np.asarray(z["n"]) == 0, meta=meta)
