"""get --resample on the real SDSS files: the flux integral over a stretch of good pixels is
conserved (float64 reference from the original files, read with astropy; 1e-6 relative), in the
observed frame and in the rest frame by the catalog's z; the windows of a long list and the
request order do not change the result; bad grids exit 2."""
import numpy as np
import pytest

from test_roundtrip_real import coadd, ingest_real


def edges_obs(loglam):
    """Observed-frame pixel edges (Angstrom) of a lattice spectrum, float64."""
    idx = np.round(loglam.astype(np.float64) * 1e4)
    return 10 ** ((np.append(idx, idx[-1] + 1) - 0.5) * 1e-4)


def reference_integral(flux, edges, lo, hi):
    """Integral of the piecewise-constant f_lambda over [lo, hi], float64."""
    a = np.clip(edges[:-1], lo, hi)
    b = np.clip(edges[1:], lo, hi)
    return float(np.sum(flux.astype(np.float64) * (b - a)))


def good_stretch(ivar, n=400):
    """Start of the first run of n pixels with ivar > 0 (away from the ends)."""
    good = ivar > 0
    for s in range(50, len(good) - n - 50):
        if good[s:s + n].all():
            return s
    pytest.skip("no stretch of good pixels")


@pytest.mark.parametrize("rest", [False, True])
def test_flux_integral_is_conserved(specmill, shared, tmp_path, rest):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join("-".join(f.stem.split("-")[1:]) for f in files) + "\n")
    grid = "log:2.9,4.05,3.3e-4" if rest else "log:3.55,4.02,3.3e-4"  # 3.3 lattice pixels a pixel
    args = ["get", "--store", store, "--ids", ids, "--resample", grid, "--out", tmp_path / "r.npz"]
    specmill(*args, *(["--rest-frame"] if rest else []))
    r = np.load(tmp_path / "r.npz")
    centers = 2.9 + np.arange(r["flux"].shape[1]) * 3.3e-4 if rest else 3.55 + np.arange(r["flux"].shape[1]) * 3.3e-4
    assert np.allclose(r["loglam"], centers, rtol=0, atol=1e-12)
    tedges = 10 ** (np.append(centers, centers[-1] + 3.3e-4) - 1.65e-4)
    checked = 0
    for i, f in enumerate(files):
        cols, z, _ = coadd(f)
        scale = 1 + np.float64(np.float32(z)) if rest else 1.0
        e = edges_obs(cols["loglam"]) / scale
        s = good_stretch(cols["ivar"])
        # target pixels lying entirely inside the good stretch
        k = np.nonzero((tedges[:-1] >= e[s]) & (tedges[1:] <= e[s + 400]))[0]
        assert len(k) > 50
        lo, hi = tedges[k[0]], tedges[k[-1] + 1]
        got = float(np.sum(r["flux"][i, k].astype(np.float64) * np.diff(tedges)[k]))
        want = reference_integral(cols["flux"], e, lo, hi) * scale  # per rest-frame Angstrom
        assert abs(got - want) <= 1e-6 * abs(want) + 1e-9 * np.abs(cols["flux"]).sum(), (f.name, got, want)
        assert (r["ivar"][i, k] > 0).all()
        checked += 1
    assert checked == 10


def test_windows_and_order_do_not_change_the_result(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    lines = ["-".join(f.stem.split("-")[1:]) for f in files]
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(lines) + "\n")
    rev = tmp_path / "rev.txt"
    rev.write_text("\n".join(reversed(lines)) + "\n1234,55555,1\n")
    specmill("get", "--store", store, "--ids", ids, "--resample", "lin:4000,8000,2.5", "--out", tmp_path / "a.npz")
    specmill("get", "--store", store, "--ids", rev, "--resample", "lin:4000,8000,2.5", "--out", tmp_path / "b.npz")
    a, b = np.load(tmp_path / "a.npz"), np.load(tmp_path / "b.npz")
    assert np.array_equal(a["wavelength"], 4000 + 2.5 * np.arange(1601))
    for c in ["flux", "ivar", "and_mask"]:
        assert np.array_equal(a[c], b[c][:10][::-1]), c
        assert not b[c][10].any()
    assert b["found"].tolist() == [True] * 10 + [False]


def test_supplied_redshifts_and_bad_requests(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join("-".join(f.stem.split("-")[1:]) for f in files[:2]) + "\n")
    zs = tmp_path / "z.txt"
    zs.write_text("0\n0\n")
    base = ["get", "--store", store, "--ids", ids, "--out", tmp_path / "x.npz"]
    specmill(*base, "--resample", "log:3.6,3.9,1e-4", "--rest-frame", "--redshifts", zs)
    rest0 = np.load(tmp_path / "x.npz")["flux"]
    specmill(*base, "--resample", "log:3.6,3.9,1e-4")
    assert np.array_equal(rest0, np.load(tmp_path / "x.npz")["flux"])  # z = 0: the observed frame
    zs.write_text("0.1\n")
    bad = [
        ["--resample", "log:3.6,3.9,1e-4", "--rest-frame", "--redshifts", zs],  # 1 z for 2 IDs
        ["--resample", "log:3600,9000,1e-4"],
        ["--resample", "lin:9000,3600,1"],
        ["--resample", "cubic:1,2,3"],
        ["--resample", "lin:3600,9000,1", "--columns", "sky"],
        ["--resample", "lin:3600,9000,1", "--cutout", "4000-5000"],
        ["--align", "--rest-frame"],
        ["--resample", "lin:3600,9000,1", "--mask-bits", "abc"],
    ]
    for extra in bad:
        p = specmill(*base, *extra, check=False)
        assert p.returncode == 2, (extra, p.stderr)
