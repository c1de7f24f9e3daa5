"""DESI through the operations past get/query, on generated DESI files (`specmill sample --survey
desi`): get --resample (observed and rest frame), stack (every method; the rest frame), synthetic
photometry with the shipped DECam curves, previews, grid plots and stacked images on the linear
grid linear:0.8 (lambda = index x 0.8 A).

The native get of the same targets is the input of every reference (test_desi_cli.py checks it
against an independent merge of the files' cameras). References, all float64 and independent of
the engine: a numpy overlap-integration resampler; numpy stack methods; a pure-Python (no
numpy) photometry with the response integrated exactly per pixel. Tolerances:
  resample flux 1e-5 relative + 1e-6 of the mean |f| under the pixel, ivar 1e-5 relative (the
    engine sums in double and rounds once to float32; z enters as 10^log10(1+z));
  stack weighted mean, mean, clipped mean flux 2.4e-7 relative + 1e-12 of sum |f| (float32
    rounding of double sums), median exact; the rest-frame stack (float32 resampled rows summed)
    flux 1e-5 relative + 1e-6 of the largest |flux|, ivar 1e-5 relative;
  photometry 1e-7 relative (the engine's 3-point Gauss-Legendre per pixel against the exact
    integral of the linear response; the output CSV has 9 significant digits)."""
import csv
import io
import json
import math

import numpy as np
import pytest
from astropy.io import fits

from conftest import run
from render_util import read_png

# The stack's default mask bits (SDSS names; DESI's merged masks are 0 wherever ivar > 0).
DEFAULT_BITS = sum(1 << b for b in (0, 1, 2, 3, 5, 6, 9, 18, 22, 23, 24, 25, 26))
MAD = 1.4826022185056018
LATTICE0, NPIX, STEP = 4500, 7781, 0.8


@pytest.fixture(scope="module")
def desi(tmp_path_factory):
    root = tmp_path_factory.mktemp("desi_ops")
    run("sample", "--survey", "desi", "--out", root / "s", "--count", "24", "--seed", "5", "--fields", "1")
    run("ingest", "--store", root / "st", "--catalog", root / "s" / "zpix-sample.fits", root / "s" / "healpix")
    # primary copies: the key is the TARGETID; z from the catalog file
    with fits.open(root / "s" / "zpix-sample.fits") as h:
        cat = h["ZCATALOG"].data
        prim = cat[cat["ZCAT_PRIMARY"].astype(bool)][:12]
        ids = [str(int(t)) for t in prim["TARGETID"]]
        # the store keeps z as float32 (spec_meta::z): the engine shifts by that value
        z = np.array(prim["Z"]).astype(np.float32).astype(np.float64)
    (root / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--cutout", "3600-9824",
        "-o", root / "native.npz")
    g = np.load(root / "native.npz")
    assert g["flux"].shape == (len(ids), NPIX) and g["found"].all()
    return root, ids, g, z


def good_of(flux, ivar, mask, bits):
    return (ivar > 0) & np.isfinite(ivar) & np.isfinite(flux) & ((mask.astype(np.int64) & bits) == 0)


def reference_resample(flux, ivar, good, lo_edges, hi_edges, z=0.0):
    """One row onto target pixels [lo_edges, hi_edges] (Angstrom of the row's frame)."""
    e = (LATTICE0 + np.arange(NPIX + 1) - 0.5) * STEP / (1 + z)
    out_f, out_iv, out_abs = np.zeros(len(lo_edges)), np.zeros(len(lo_edges)), np.zeros(len(lo_edges))
    for k, (lo, hi) in enumerate(zip(lo_edges, hi_edges)):
        j0, j1 = max(0, np.searchsorted(e, lo) - 1), min(NPIX, np.searchsorted(e, hi) + 1)
        o = np.clip(np.minimum(e[j0 + 1:j1 + 1], hi) - np.maximum(e[j0:j1], lo), 0, None)
        o[o <= 1e-12 * hi] = 0
        g = good[j0:j1] & (o > 0)
        c = o[g].sum()
        if c > 0:
            out_f[k] = (o[g] * flux[j0:j1][g]).sum() / c * (1 + z)
            out_abs[k] = (o[g] * np.abs(flux[j0:j1][g])).sum() / c * (1 + z)
            out_iv[k] = c * c / (o[g] ** 2 / ivar[j0:j1][g]).sum() / (1 + z) ** 2
    return out_f, out_iv, out_abs


@pytest.mark.parametrize("rest", [False, True])
def test_get_resample_matches_float64_reference(desi, tmp_path, rest):
    root, ids, g, z = desi
    grid = "lin:2500,7000,3.3" if rest else "lin:3590,9830,4.7"
    args = ["--rest-frame"] if rest else []
    run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--resample", grid,
        *args, "-o", tmp_path / "r.npz")
    r = np.load(tmp_path / "r.npz")
    start, stop, step = (float(x) for x in grid[4:].split(","))
    n = int(math.floor((stop - start) / step + 1e-9)) + 1
    centres = start + np.arange(n) * step
    np.testing.assert_allclose(r["wavelength"], centres, rtol=1e-12)
    good = good_of(g["flux"], g["ivar"], g["and_mask"], 0)
    compared = 0
    for i in range(len(ids)):
        f, iv, mean_abs = reference_resample(g["flux"][i].astype(float), g["ivar"][i].astype(float), good[i],
                                             centres - step / 2, centres + step / 2, z[i] if rest else 0.0)
        assert np.all(np.abs(r["flux"][i] - f) <= 1e-5 * np.abs(f) + 1e-6 * mean_abs + 1e-30), i
        np.testing.assert_allclose(r["ivar"][i], iv, rtol=1e-5, atol=0)
        compared += int((iv > 0).sum())
    assert compared > 3 * n  # not vacuous: a QSO at z ~ 3 leaves this rest-frame grid


def reference_stack(flux, ivar, good, method, sigma=3.0, iterations=3):
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
def test_stack_every_method_on_the_linear_lattice(desi, tmp_path, method):
    root, ids, g, z = desi
    run("stack", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--method", method,
        "--out", tmp_path / "s.npz")
    s = np.load(tmp_path / "s.npz")
    meta = json.loads(bytes(s["metadata"]))
    assert meta["n_used"] == len(ids)
    np.testing.assert_allclose(s["wavelength"], STEP * (LATTICE0 + np.arange(NPIX)), rtol=1e-15)
    flux, ivar = g["flux"].astype(float), g["ivar"].astype(float)
    want = reference_stack(flux, ivar, good_of(flux, ivar, g["and_mask"], DEFAULT_BITS), method)
    assert np.array_equal(s["n"], want["n"].astype(np.int32))
    if method == "median":
        assert np.array_equal(s["flux"], want["flux"].astype(np.float32))
    else:
        assert np.all(np.abs(s["flux"] - want["flux"]) <= 2.4e-7 * np.abs(want["flux"]) + 1e-12 * want["sum_abs"])
    np.testing.assert_allclose(s["ivar"], want["ivar"], rtol=2.4e-7, atol=0)


def test_stack_rest_frame_default_grid(desi, tmp_path):
    """The default rest-frame grid is linear at 0.8 A on multiples of 0.8 A; the weighted mean of
    the rows resampled there by the reference."""
    root, ids, g, z = desi
    run("stack", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--rest-frame",
        "--out", tmp_path / "s.npz")
    s = np.load(tmp_path / "s.npz")
    w = s["wavelength"]
    assert np.allclose(np.diff(w), STEP, rtol=1e-9)
    assert abs(w[0] / STEP - round(w[0] / STEP)) < 1e-6
    assert w[0] <= 3600 / (1 + z.max()) + STEP and w[-1] >= 9824 / (1 + z.min()) - STEP
    good = good_of(g["flux"], g["ivar"], g["and_mask"], DEFAULT_BITS)
    num, den = np.zeros(len(w)), np.zeros(len(w))
    for i in range(len(ids)):
        f, iv, _ = reference_resample(g["flux"][i].astype(float), g["ivar"][i].astype(float), good[i],
                                      w - STEP / 2, w + STEP / 2, z[i])
        num += f * iv
        den += iv
    has = den > 0
    want = np.where(has, num / np.where(has, den, 1), 0)
    assert has.sum() > len(w) // 2
    scale = np.abs(want).max()
    assert np.all(np.abs(s["flux"] - want) <= 1e-5 * np.abs(want) + 1e-6 * scale)
    np.testing.assert_allclose(s["ivar"], den, rtol=1e-5)


# ---- photometry: pure Python (no numpy) reference

def read_ecsv(path):
    w, r, scale = [], [], 1.0
    for line in open(path):
        if line.startswith("#"):
            if "name: wavelength" in line and "unit: nm" in line:
                scale = 10.0
            continue
        parts = line.split()
        if len(parts) == 2 and parts[0] != "wavelength":
            w.append(float(parts[0]) * scale)
            r.append(float(parts[1]))
    return w, r


def band_weights(w, r, k_lo, k_hi):
    """Exact per-pixel Int R x dx and Int R/x dx for pixels k of the 0.8 A lattice, R linear
    between the curve's points (zero outside)."""
    out = {}
    for k in range(k_lo, k_hi + 1):
        x0, x1 = (k - 0.5) * STEP, (k + 0.5) * STEP
        num = norm = 0.0
        for j in range(len(w) - 1):
            a, b = max(x0, w[j]), min(x1, w[j + 1])
            if not b > a:
                continue
            slope = (r[j + 1] - r[j]) / (w[j + 1] - w[j])
            c0 = r[j] - slope * w[j]  # R(x) = c0 + slope x
            num += c0 * (b * b - a * a) / 2 + slope * (b ** 3 - a ** 3) / 3
            norm += c0 * math.log(b / a) + slope * (b - a)
        out[k] = (num * 1e-17 / (2.99792458e18 * 3631e-23), norm)
    return out


def test_photometry_decam_matches_pure_python_reference(desi, tmp_path, shared_filters=None):
    root, ids, g, z = desi
    out = run("photometry", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt",
              "--filters", "decam2014-g,decam2014-r,decam2014-z", "-o", "-").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 3 * len(ids)
    import pathlib
    data = pathlib.Path(__file__).resolve().parents[2] / "data" / "filters"
    flux, ivar = g["flux"].tolist(), g["ivar"].tolist()
    for band in "grz":
        w, r = read_ecsv(data / f"decam2014-{band}.ecsv")
        k_lo, k_hi = int(math.floor(w[0] / STEP + 0.5)), int(math.floor(w[-1] / STEP + 0.5))
        weights = band_weights(w, r, k_lo, k_hi)
        total = sum(b for _, b in weights.values())
        for i, tid in enumerate(ids):
            got = [x for x in rows if x["band"] == f"decam2014-{band}" and x["specobjid"] == tid]
            assert len(got) == 1
            got = got[0]
            num = norm = var = covered = 0.0
            for j in range(NPIX):
                a, b = weights.get(LATTICE0 + j, (0.0, 0.0))
                covered += b
                if ivar[i][j] > 0 and math.isfinite(flux[i][j]):
                    num += a * flux[i][j]
                    norm += b
                    var += a * a / ivar[i][j]
            uncovered = 1 - covered / total
            if band == "z":  # DECam z runs past DESI's 9824 A: 8.7% of its weight
                assert uncovered > 0.08 and int(got["flag"]) & 1 and got["nanomaggies"] == "nan"
                continue
            assert uncovered < 0.005 and int(got["flag"]) == 0, got
            want = num / norm * 1e9
            assert abs(float(got["nanomaggies"]) - want) <= 1e-7 * abs(want), (band, tid, got, want)
            assert abs(float(got["nanomaggies_err"]) - math.sqrt(var) / norm * 1e9) <= 1e-7 * math.sqrt(var) / norm * 1e9


# ---- rendering

OVERLAP = (230, 230, 204)  # plot_colors::camera_overlap (0.90, 0.90, 0.80)


def overlap_columns(png):
    px, _ = read_png(png)
    hits = np.all(px == np.array(OVERLAP), axis=2)
    return np.where(hits.sum(axis=0) > px.shape[0] // 4)[0]


def test_preview_marks_the_camera_overlaps(desi, tmp_path):
    root, ids, g, z = desi
    run("preview", "--store", root / "st", "--context", "desi_dr1", "--id", ids[0], "--width", "1000", "--height",
        "300", "--out", tmp_path / "p.png")
    cols = overlap_columns(tmp_path / "p.png")
    # two bands: b/r 5760-5800 A and r/z 7520-7620 A on a 3600-9824 A axis
    assert len(cols) > 0
    groups = np.split(cols, np.where(np.diff(cols) > 1)[0] + 1)
    assert len(groups) == 2, groups
    (a, b) = groups
    assert len(b) > len(a)  # r/z (100 A) is wider than b/r (40 A)
    assert 0.3 < a.mean() / b.mean() < 0.8
    # a cutout inside the r camera shows no overlap
    run("preview", "--store", root / "st", "--context", "desi_dr1", "--id", ids[0], "--cutout", "6000-7000",
        "--out", tmp_path / "c.png")
    assert len(overlap_columns(tmp_path / "c.png")) == 0


def test_grid_and_stacked_image(desi, tmp_path):
    """The grid's panels shade the overlaps; the stacked image's rows are the native get's rows
    (first ID at the bottom, bad pixels NaN), its zscale limits astropy's ZScaleInterval on that
    image (1e-6), its PNG the scaled image (at most 1 grey level off at bin edges)."""
    from astropy.visualization import ZScaleInterval
    from render_util import expected_gray
    root, ids, g, z = desi
    run("grid", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--nx", "2", "--ny", "2",
        "--out", tmp_path / "g.png")
    px, _ = read_png(tmp_path / "g.png")
    assert px.shape[0] > 100 and len(overlap_columns(tmp_path / "g.png")) > 0
    run("image", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--out",
        tmp_path / "i.npy")
    img = np.load(tmp_path / "i.npy")
    assert img.shape == (len(ids), NPIX)
    good = good_of(g["flux"], g["ivar"], g["and_mask"], 0)
    for i in range(len(ids)):
        row = img[len(ids) - 1 - i]
        assert np.array_equal(row[good[i]], g["flux"][i][good[i]]) and np.isnan(row[~good[i]]).all()
    run("image", "--store", root / "st", "--context", "desi_dr1", "--ids", root / "ids.txt", "--out",
        tmp_path / "i.png")
    px, text = read_png(tmp_path / "i.png")
    assert px.shape == (len(ids), NPIX)
    assert "lattice start 4500, width 7781 (lambda = index * 0.8 A)" in text["Comment"]
    lo, hi = (float(x) for x in text["Comment"].split(" limits ")[1].split(",")[:2])
    alo, ahi = ZScaleInterval().get_limits(img)
    assert lo == pytest.approx(alo, rel=1e-6, abs=1e-6) and hi == pytest.approx(ahi, rel=1e-6, abs=1e-6)
    want = expected_gray(img, lo, hi)
    assert np.mean(px != want) < 1e-3 and np.abs(px.astype(int) - want).max() <= 1
