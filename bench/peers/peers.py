#!/usr/bin/env python3
"""The numpy/astropy peers of specmill's benchmarks (issue 16), on the SAME data.

Each peer is what an astronomer runs today, given its most favourable form: the store's spectra
are loaded from the store's own HDF5 blocks (h5py) into arrays on the common lattice BEFORE the
clock starts, and only the computation is timed. The C++ rows they are compared with read from
the store (bench/peers/compare.sh runs both, one after the other).

  peers.py store STORE [--z Z_FILE --grid GRID] PEER...   the store is loaded once, PEER among:
     median    np.nanmedian over the aligned flux (bad pixels NaN)
     wmean     ivar-weighted mean, float64 sums
     phot      AB photometry g, r, i: one matrix-vector product per band
     resample  overlap (flux-conserving) resampler onto GRID in the rest frame of Z_FILE's z
               (the first PEER_RESAMPLE_N spectra, default 1000: numpy takes ~10 ms a spectrum)
  peers.py ids STORE      the store's SPECOBJIDs, one a line, in the order the peers load them
  peers.py ingest    FITS_DIR N   astropy read of HDU 1 and HDU 2 of N files (the dir's cycled)
  peers.py align     FITS_DIR N   astropy read + numpy alignment onto the common lattice

Output: one line per peer, "peer <name> spectra=<n> seconds=<s> spectra_per_s=<r> bytes_per_s=<b>",
bytes = the input bytes the C++ benchmark counts (12 per stored pixel: flux, ivar, and_mask).
Debian packages only: python3-numpy, python3-astropy, python3-h5py.
"""
import glob
import math
import os
import sys
import time

import numpy as np

LATTICE_STEP = 1e-4  # log10 Angstrom per SDSS lattice pixel; lattice index k: loglam = k * 1e-4
# The stack's default and_mask bits (core/mask_bits.hpp, default_stack_mask_bits).
SPPIXMASK = {"NOPLUG": 0, "BADTRACE": 1, "BADFLAT": 2, "BADARC": 3, "MANYREJECTED": 5, "LARGESHIFT": 6,
             "WHOPPER": 9, "FULLREJECT": 16, "NOSKY": 22, "BRIGHTSKY": 23, "NODATA": 24, "COMBINEREJ": 25,
             "BADFLUXFACTOR": 27}
DEFAULT_MASK = sum(1 << b for b in SPPIXMASK.values())


def report(name, n, seconds, nbytes):
    print(f"peer {name} spectra={n} seconds={seconds:.4f} spectra_per_s={n / seconds:.1f} "
          f"bytes_per_s={nbytes / seconds:.4g}", flush=True)


_loaded = {}


def load_store(root):
    """load_store_uncached once per process (the peers of one run share the arrays)."""
    if root not in _loaded:
        _loaded[root] = load_store_uncached(root)
    return dict(_loaded[root])


def load_store_uncached(root):
    """Every stored spectrum on the common lattice: flux (NaN where absent or bad), ivar and mask
    (0 where absent), specobjid, z placeholder, stored pixel counts, and the lattice start."""
    import h5py
    blocks = sorted(glob.glob(os.path.join(root, "blocks", "blk-*.h5")))
    metas, rows = [], []
    for p in blocks:
        with h5py.File(p, "r") as f:
            metas.append((int(f.attrs["lattice_start"]), f["meta"][:]))
    lo = min(m["lattice_start"].min() for _, m in metas)
    hi = max((m["lattice_start"] + m["npix"]).max() for _, m in metas)
    n = sum(len(m) for _, m in metas)
    width = int(hi - lo)
    flux = np.full((n, width), np.nan, np.float32)
    ivar = np.zeros((n, width), np.float32)
    mask = np.zeros((n, width), np.int32)
    ids = np.empty(n, np.uint64)
    npix = np.empty(n, np.int64)
    starts = np.empty(n, np.int64)
    r = 0
    for p, (bstart, meta) in zip(blocks, metas):
        with h5py.File(p, "r") as f:
            F, I, M = f["flux"][:], f["ivar"][:], f["and_mask"][:]
        for k, m in enumerate(meta):
            s, c = int(m["lattice_start"]), int(m["npix"])
            a = s - bstart
            flux[r, s - lo:s - lo + c] = F[k, a:a + c]
            ivar[r, s - lo:s - lo + c] = I[k, a:a + c]
            mask[r, s - lo:s - lo + c] = M[k, a:a + c]
            ids[r], npix[r], starts[r] = m["specobjid"], c, s
            r += 1
    return dict(flux=flux, ivar=ivar, mask=mask, ids=ids, npix=npix, starts=starts, lo=int(lo), width=width)


def good_of(d, bits=DEFAULT_MASK):
    return (d["ivar"] > 0) & np.isfinite(d["ivar"]) & np.isfinite(d["flux"]) & ((d["mask"] & bits) == 0)


def peer_median(root):
    d = load_store(root)
    f = np.where(good_of(d), d["flux"], np.float32(np.nan))
    t = time.perf_counter()
    med = np.nanmedian(f, axis=0)
    dt = time.perf_counter() - t
    assert np.isfinite(med).any()
    report("median_nanmedian", len(d["ids"]), dt, int(d["npix"].sum()) * 12)


def peer_wmean(root):
    d = load_store(root)
    good = good_of(d)
    # float64 before the clock (the favourable form; the C++ sums in double from float32 rows)
    f = np.where(good, d["flux"], np.float32(0)).astype(np.float64)
    w = np.where(good, d["ivar"], np.float32(0)).astype(np.float64)
    t = time.perf_counter()
    sw = w.sum(axis=0)
    swf = np.einsum("ij,ij->j", w, f)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = swf / sw
    dt = time.perf_counter() - t
    assert np.isfinite(mean).any()
    report("weighted_mean_numpy", len(d["ids"]), dt, int(d["npix"].sum()) * 12)


def read_filter(name):
    path = os.path.join(os.environ.get("SPECMILL_SHARED_DATA", "data"), "filters", name + ".ecsv")
    rows = [l.split() for l in open(path) if l.strip() and not l.startswith("#")]
    a = np.array([[float(x) for x in r] for r in rows[1:]])
    return a[:, 0], a[:, 1]


def peer_phot(root):
    d = load_store(root)
    good = good_of(d, 0)
    f64 = np.where(good, d["flux"], np.float32(0)).astype(np.float64)
    g64 = good.astype(np.float64)
    k = d["lo"] + np.arange(d["width"])
    lam = 10.0 ** (k * LATTICE_STEP)
    dlam = lam * math.log(10) * LATTICE_STEP
    bands = [read_filter("sdss2010-" + b) for b in "gri"]
    t = time.perf_counter()
    out = []
    for wl, resp in bands:
        r = np.interp(lam, wl, resp, left=0, right=0)
        wflux = r * lam * dlam                   # f_lambda -> photon-weighted integral
        norm = (r / lam * dlam).sum() * 2.99792458e18  # integral of R c / lambda
        fnu = (f64 @ wflux) / norm
        covered = g64 @ wflux / wflux.sum()      # the covered, good fraction of the band
        out.append((fnu, covered))
    dt = time.perf_counter() - t
    assert all(np.isfinite(o[0]).all() for o in out)
    report("photometry_gri_numpy", len(d["ids"]), dt, int(d["npix"].sum()) * 8)


def peer_resample(root, zfile, grid):
    d = load_store(root)
    z = np.loadtxt(zfile)
    assert len(z) >= len(d["ids"])
    kind, spec = grid.split(":")
    start, stop, step = (float(x) for x in spec.split(","))
    assert kind == "log"
    n_out = int(round((stop - start) / step)) + 1
    out_edges = 10.0 ** (start + (np.arange(n_out + 1) - 0.5) * step)  # rest-frame pixel edges
    good = good_of(d, 0)
    n = min(len(d["ids"]), int(os.environ.get("PEER_RESAMPLE_N", "1000")))  # a subset: ~10 ms each
    flux_out = np.zeros((n, n_out))
    ivar_out = np.zeros((n, n_out))
    t = time.perf_counter()
    for i in range(n):
        s, c = int(d["starts"][i]), int(d["npix"][i])
        a = s - d["lo"]
        f = d["flux"][i, a:a + c].astype(np.float64)
        v = d["ivar"][i, a:a + c].astype(np.float64)
        g = good[i, a:a + c]
        in_edges = 10.0 ** ((s + np.arange(c + 1) - 0.5) * LATTICE_STEP) / (1.0 + z[i])
        # Every overlap of an input and an output pixel: the merged breakpoints' segments.
        lo_, hi_ = max(in_edges[0], out_edges[0]), min(in_edges[-1], out_edges[-1])
        if hi_ <= lo_:
            continue
        b = np.union1d(in_edges[(in_edges > lo_) & (in_edges < hi_)], out_edges[(out_edges > lo_) & (out_edges < hi_)])
        b = np.concatenate(([lo_], b, [hi_]))
        mid = 0.5 * (b[1:] + b[:-1])
        L = np.diff(b)
        ii = np.searchsorted(in_edges, mid) - 1
        jj = np.searchsorted(out_edges, mid) - 1
        Lg = L * g[ii]
        cov = np.bincount(jj, Lg, n_out)
        num = np.bincount(jj, Lg * f[ii], n_out)
        var = np.bincount(jj, Lg * Lg / np.where(g[ii], v[ii], 1.0), n_out)
        with np.errstate(invalid="ignore", divide="ignore"):
            flux_out[i] = np.where(cov > 0, num / cov, 0)
            ivar_out[i] = np.where(var > 0, cov * cov / var, 0)
    dt = time.perf_counter() - t
    assert np.isfinite(flux_out).all()
    report("resample_overlap_numpy", n, dt, int(d["npix"].sum()) * 12)


def fits_files(fdir, n):
    files = sorted(glob.glob(os.path.join(fdir, "**", "spec-*.fits"), recursive=True))
    assert files, "no spec-*.fits under " + fdir
    return [files[i % len(files)] for i in range(n)]


def peer_ingest(fdir, n):
    from astropy.io import fits
    files = fits_files(fdir, n)
    raw = sum(os.path.getsize(p) for p in files)
    t = time.perf_counter()
    for p in files:
        with fits.open(p, memmap=False) as h:
            c = h[1].data
            _ = (np.asarray(c["flux"]), np.asarray(c["ivar"]), np.asarray(c["and_mask"]), np.asarray(c["loglam"]))
            _ = h[2].data[0]  # the spAll-like metadata row (HDU 2)
    dt = time.perf_counter() - t
    report("ingest_astropy_read_hdu1_hdu2", n, dt, raw)


def peer_align(fdir, n):
    from astropy.io import fits
    files = fits_files(fdir, n)
    raw = sum(os.path.getsize(p) for p in files)
    t = time.perf_counter()
    cols = []
    for p in files:
        with fits.open(p, memmap=False) as h:
            c = h[1].data
            k0 = int(round(float(c["loglam"][0]) / LATTICE_STEP))
            cols.append((k0, np.asarray(c["flux"], np.float32), np.asarray(c["ivar"], np.float32),
                         np.asarray(c["and_mask"], np.int32)))
    lo = min(k for k, *_ in cols)
    hi = max(k + len(f) for k, f, *_ in cols)
    out = [np.zeros((len(cols), hi - lo), t_) for t_ in (np.float32, np.float32, np.int32)]
    for r, (k, f, v, m) in enumerate(cols):
        for o, a in zip(out, (f, v, m)):
            o[r, k - lo:k - lo + len(a)] = a
    dt = time.perf_counter() - t
    report("align_astropy_numpy", n, dt, raw)


def main(argv):
    if argv[0] == "store":
        root, rest = argv[1], argv[2:]
        opts = {}
        while rest and rest[0].startswith("--"):
            opts[rest[0]], rest = rest[1], rest[2:]
        peers = {"median": lambda: peer_median(root), "wmean": lambda: peer_wmean(root),
                 "phot": lambda: peer_phot(root),
                 "resample": lambda: peer_resample(root, opts["--z"], opts["--grid"])}
        for name in rest:
            peers[name]()
    elif argv[0] == "ids":  # the store's SPECOBJIDs in the peers' (block, row) order
        import h5py
        for p in sorted(glob.glob(os.path.join(argv[1], "blocks", "blk-*.h5"))):
            with h5py.File(p, "r") as f:
                print("\n".join(str(int(i)) for i in f["meta"]["specobjid"]))
    elif argv[0] == "ingest":
        peer_ingest(argv[1], int(argv[2]))
    elif argv[0] == "align":
        peer_align(argv[1], int(argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
