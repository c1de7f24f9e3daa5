"""stack on the 10 real SDSS files against a float64 numpy reference built from the original files
(astropy): every method on the observed lattice with the default mask bits, the three output
formats agreeing, normalisation by a window (with spectra dropped and counted), the rest frame
with supplied redshifts against get --resample, and bad options exiting 2.

Tolerances: weighted mean, mean and clipped mean flux 2.4e-7 relative (+1e-12 of sum |f|): double
sums in another order, rounded once to float32; the median exact (the float32 the reference's
float64 rounds to)."""
import json

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table

from conftest import SHARED, run
from test_roundtrip_real import coadd, ingest_real

# NOPLUG BADTRACE BADFLAT BADARC MANYREJECTED LARGESHIFT WHOPPER FULLREJECT NOSKY BRIGHTSKY
# NODATA COMBINEREJ BADFLUXFACTOR
DEFAULT_BITS = sum(1 << b for b in (0, 1, 2, 3, 5, 6, 9, 18, 22, 23, 24, 25, 26))
MAD = 1.4826022185056018


@pytest.fixture(scope="module")
def real_store(tmp_path_factory):
    """The 10 real files ingested once for the module: (store, files, ids file)."""
    tmp = tmp_path_factory.mktemp("stack-store")
    store, files = ingest_real(run, SHARED, tmp)
    ids = tmp / "ids.txt"
    ids.write_text(id_lines(files))
    return store, files, ids


def id_lines(files):
    return "\n".join("-".join(f.stem.split("-")[1:]) for f in files) + "\n"


def aligned(files):
    """The files on their common lattice span: start index, flux, ivar, mask [n, width]."""
    cols = [coadd(f)[0] for f in files]
    starts = [int(round(float(c["loglam"][0]) * 1e4)) for c in cols]
    lo = min(starts)
    hi = max(s + len(c["flux"]) for s, c in zip(starts, cols))
    flux = np.zeros((len(files), hi - lo))
    ivar = np.zeros_like(flux)
    mask = np.zeros(flux.shape, dtype=np.int64)
    for i, (s, c) in enumerate(zip(starts, cols)):
        n = len(c["flux"])
        flux[i, s - lo:s - lo + n] = c["flux"]
        ivar[i, s - lo:s - lo + n] = c["ivar"]
        mask[i, s - lo:s - lo + n] = c["and_mask"]
    return lo, flux, ivar, mask


def reference(flux, ivar, mask, method, sigma=3.0, iterations=3):
    good = (ivar > 0) & np.isfinite(ivar) & np.isfinite(flux) & ((mask & DEFAULT_BITS) == 0)
    width = flux.shape[1]
    out = {k: np.zeros(width) for k in ("flux", "ivar", "n", "sum_abs")}
    for k in range(width):
        x, w = flux[good[:, k], k], ivar[good[:, k], k]
        if method == "clipped_mean" and len(x):
            for _ in range(iterations):
                c = np.median(x)
                t = sigma * MAD * np.median(np.abs(x - c))
                if not t > 0:
                    break
                keep = np.abs(x - c) <= t
                if keep.all():
                    break
                x, w = x[keep], w[keep]
        n = len(x)
        out["n"][k] = n
        if n == 0:
            continue
        out["sum_abs"][k] = np.abs(x).sum()
        if method == "weighted_mean":
            out["flux"][k], out["ivar"][k] = (w * x).sum() / w.sum(), w.sum()
        elif method == "median":
            out["flux"][k] = np.median(x)
            out["ivar"][k] = n * n / (1 / w).sum() * (2 / np.pi if n >= 3 else 1)
        else:
            out["flux"][k], out["ivar"][k] = x.mean(), n * n / (1 / w).sum()
    return out


@pytest.mark.parametrize("method", ["weighted_mean", "mean", "median", "clipped_mean"])
def test_every_method_matches_the_float64_reference(specmill, real_store, tmp_path, method):
    store, files, ids = real_store
    for ext in ("npz", "fits", "csv"):
        specmill("stack", "--store", store, "--ids", ids, "--method", method, "--out", tmp_path / f"s.{ext}")
    z = np.load(tmp_path / "s.npz")
    meta = json.loads(bytes(z["metadata"]))
    assert meta["method"] == method and meta["n_used"] == 10 and meta["mask_bits"] == DEFAULT_BITS
    lo, flux, ivar, mask = aligned(files)
    assert np.allclose(z["wavelength"], 10 ** ((lo + np.arange(flux.shape[1])) * 1e-4), rtol=1e-12)
    want = reference(flux, ivar, mask, method)
    assert np.array_equal(z["n"], want["n"].astype(np.int32))
    if method == "median":
        assert np.array_equal(z["flux"], want["flux"].astype(np.float32))
    else:
        assert np.all(np.abs(z["flux"] - want["flux"]) <= 2.4e-7 * np.abs(want["flux"]) + 1e-12 * want["sum_abs"])
    assert np.allclose(z["ivar"], want["ivar"], rtol=2.4e-7, atol=0)
    has = z["n"] > 0
    assert np.all(z["flux"][~has] == 0) and np.all(z["ivar"][~has] == 0) and np.all(np.isinf(z["error"][~has]))
    # the FITS table and the CSV hold the same numbers
    with fits.open(tmp_path / "s.fits") as h:
        t = h["STACK"].data
        assert h["STACK"].header["METHOD"] == method and h["STACK"].header["NUSED"] == 10
        for c in ("wavelength", "flux", "ivar", "error", "n"):
            assert np.array_equal(t[c.upper()], z[c]), c
    # '#' metadata lines, then a header: astropy's basic reader (and pandas' comment='#') read it
    csv = Table.read(tmp_path / "s.csv", format="ascii.basic", delimiter=",")
    assert f"method: {method}" in csv.meta["comments"]
    for c in ("wavelength", "flux", "ivar", "error", "n"):
        assert np.array_equal(np.asarray(csv[c]).astype(z[c].dtype), z[c]), c


def test_normalize_window_and_drops(specmill, real_store, tmp_path):
    store, files, ids = real_store
    specmill("stack", "--store", store, "--ids", ids, "--method", "median", "--normalize", "5000-5100",
             "--out", tmp_path / "n.npz")
    z = np.load(tmp_path / "n.npz")
    lo, flux, ivar, mask = aligned(files)
    lam = 10 ** ((lo + np.arange(flux.shape[1])) * 1e-4)
    good = (ivar > 0) & ((mask & DEFAULT_BITS) == 0)
    win = (lam >= 5000) & (lam <= 5100)
    norm = np.array([np.median(flux[i, good[i] & win]) for i in range(len(files))])
    scaled = (flux * (1.0 / norm)[:, None]).astype(np.float32).astype(np.float64)
    want = reference(scaled, ivar, mask, "median")
    assert np.array_equal(z["flux"], want["flux"].astype(np.float32))
    assert json.loads(bytes(z["metadata"]))["normalize"].startswith("5000")
    # beyond the legacy spectra's red end: they are dropped and counted
    p = specmill("stack", "--store", store, "--ids", ids, "--normalize", "9500-9600", "--out", tmp_path / "r.npz")
    meta = json.loads(bytes(np.load(tmp_path / "r.npz")["metadata"]))
    legacy = sum(int(f.stem.split("-")[1]) < 3000 for f in files)
    assert meta["n_dropped_normalization"] == legacy and meta["n_used"] == 10 - legacy
    assert f"{legacy} dropped by the normalisation" in p.stderr


def test_rest_frame_with_supplied_redshifts_matches_get_resample(specmill, real_store, tmp_path):
    store, files, _ = real_store
    one = tmp_path / "one.txt"
    one.write_text(id_lines(files[4:5]) * 3)
    zs = tmp_path / "z.txt"
    zs.write_text("0.3\n0.3\n0.3\n")
    grid = "log:3.45,3.85,2e-4"
    specmill("stack", "--store", store, "--ids", one, "--rest-frame", "--redshifts", zs, "--grid", grid,
             "--out", tmp_path / "s.npz")
    specmill("get", "--store", store, "--ids", one, "--resample", grid, "--rest-frame", "--redshifts", zs,
             "--mask-bits", str(DEFAULT_BITS), "--out", tmp_path / "g.npz")
    s, g = np.load(tmp_path / "s.npz"), np.load(tmp_path / "g.npz")
    assert np.allclose(s["wavelength"], g["wavelength"], rtol=1e-14)
    has = g["ivar"][0] > 0
    assert has.sum() > 1000 and np.array_equal(s["n"], np.where(has, 3, 0))
    assert np.allclose(s["flux"][has], g["flux"][0][has], rtol=1.2e-7, atol=0)
    assert np.allclose(s["ivar"][has], 3 * g["ivar"][0][has], rtol=2.4e-7, atol=0)


@pytest.mark.parametrize("args", [
    ["--method", "medain"],
    ["--method", "clipped_mean", "--sigma", "0.5"],
    ["--method", "clipped_mean", "--sigma", "nan"],
    ["--iterations", "0"],
    ["--mask-bits", "NOPLUG,NOSUCHBIT"],
    ["--normalize", "5000"],
    ["--normalize", "5100-5000"],
    ["--normalize", "5000-5100", "--normalize-band", "r"],
    ["--redshifts", "z.txt"],
    ["--grid", "log:3500,9000,1"],
    ["--format", "hdf5"],
    ["--memory", "0"],
])
def test_bad_options_exit_2(specmill, real_store, tmp_path, args):
    store, _, ids = real_store
    (tmp_path / "z.txt").write_text("0.1\n" * 10)
    p = specmill("stack", "--store", store, "--ids", ids, *args, "--out", tmp_path / "x.npz", check=False, cwd=tmp_path)
    assert p.returncode == 2, (args, p.stderr)
    assert not (tmp_path / "x.npz").exists()


def test_unknown_ids_exit_3(specmill, real_store, tmp_path):
    store, _, _ = real_store
    ids = tmp_path / "ids.txt"
    ids.write_text("1234,55555,1\n")
    p = specmill("stack", "--store", store, "--ids", ids, "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 3, p.stderr
