"""get --align / --cutout on the 10 real SDSS files, checked against the originals read with
astropy: every file's columns at its offset on the common lattice, bit for bit, zeros elsewhere;
the same result in every output format (numpy, astropy.io.fits, h5py, csv)."""
import numpy as np
import h5py
import pytest
from astropy.io import fits

from test_roundtrip_real import coadd, ingest_real

DENSE = ["flux", "ivar", "and_mask"]


def request(files, tmp_path, extra=()):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(["-".join(f.stem.split("-")[1:]) for f in files] + list(extra)) + "\n")
    return ids


def lattice_start(loglam):
    return int(round(float(loglam[0]) * 1e4))


def test_aligned_reproduces_each_file_at_its_offset(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = request(files, tmp_path, ["1234,55555,1"])
    specmill("get", "--store", store, "--ids", ids, "--align", "--columns", "flux,ivar,and_mask,sky,model",
             "--out", tmp_path / "a.npz")
    z = np.load(tmp_path / "a.npz")
    starts = [lattice_start(coadd(f)[0]["loglam"]) for f in files]
    ends = [s + len(coadd(f)[0]["flux"]) for s, f in zip(starts, files)]
    g0, width = min(starts), max(ends) - min(starts)
    assert z["flux"].shape == (11, width) and z["flux"].dtype == np.float32
    assert z["and_mask"].dtype == np.int32
    assert np.array_equal(z["loglam"], (g0 + np.arange(width)) * 1e-4)
    assert np.allclose(z["wavelength"], 10 ** z["loglam"], rtol=1e-15)
    assert z["found"].tolist() == [True] * 10 + [False]
    for i, f in enumerate(files):
        cols, _, _ = coadd(f)
        off, n = starts[i] - g0, len(cols["flux"])
        for c in ["flux", "ivar", "and_mask", "sky", "model"]:
            row = z[c][i]
            assert np.array_equal(row[off:off + n].view(np.uint32), cols[c].view(np.uint32)), (f.name, c)
            assert not row[:off].any() and not row[off + n:].any(), (f.name, c)
    assert not z["flux"][10].any()  # the unknown ID: a row of zeros


def test_cutout_keeps_the_pixel_centers_in_range(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = request(files, tmp_path)
    specmill("get", "--store", store, "--ids", ids, "--cutout", "6500-6600", "--out", tmp_path / "c.npz")
    z = np.load(tmp_path / "c.npz")
    wl = z["wavelength"]
    assert wl[0] >= 6500 and wl[-1] <= 6600
    assert 10 ** ((round(z["loglam"][0] * 1e4) - 1) * 1e-4) < 6500 and 10 ** ((round(z["loglam"][-1] * 1e4) + 1) * 1e-4) > 6600
    for i, f in enumerate(files):
        cols, _, _ = coadd(f)
        own = np.round(cols["loglam"].astype(np.float64) * 1e4).astype(int)
        at = {v: k for k, v in enumerate(own)}
        for j, ll in enumerate(np.round(z["loglam"] * 1e4).astype(int)):
            want = cols["flux"][at[ll]] if ll in at else np.float32(0)
            assert z["flux"][i, j].view(np.uint32) == np.float32(want).view(np.uint32), (f.name, j)


def test_every_format_holds_the_same_aligned_arrays(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = request(files[:4], tmp_path)
    base = ["get", "--store", store, "--ids", ids, "--cutout", "4000-4100"]
    specmill(*base, "--out", tmp_path / "c.npz")
    ref = np.load(tmp_path / "c.npz")

    specmill(*base, "--columns", "flux", "--out", tmp_path / "flux.npy")
    assert np.array_equal(np.load(tmp_path / "flux.npy"), ref["flux"])
    specmill(*base, "--out", tmp_path / "all.npy")
    rec = np.load(tmp_path / "all.npy")
    assert rec.dtype.names == tuple(DENSE) and rec.shape == ref["flux"].shape
    for c in DENSE:
        assert np.array_equal(rec[c], ref[c])

    specmill(*base, "--out", tmp_path / "c.h5")
    with h5py.File(tmp_path / "c.h5", "r") as h:
        for c in DENSE + ["loglam", "wavelength", "specobjid"]:
            assert np.array_equal(h[c][:], ref[c]), c

    specmill(*base, "--out", tmp_path / "c.fits")
    with fits.open(tmp_path / "c.fits") as h:
        t = h["SPECTRA"].data
        assert [int(x) for x in t["SPECOBJID"]] == [int(x) for x in ref["specobjid"]]
        for c in DENSE:
            assert np.array_equal(np.asarray(t[c.upper()]), ref[c]), c
        assert np.array_equal(h["GRID"].data["WAVELENGTH"], ref["wavelength"])

    out = specmill(*base, "--columns", "flux", "--format", "csv", "--out", "-").stdout.strip().split("\n")
    assert out[0] == "specobjid,pixel,wavelength,flux"
    assert len(out) == 1 + ref["flux"].size
    vals = np.array([np.float32(l.split(",")[3]) for l in out[1:]], dtype=np.float32).reshape(ref["flux"].shape)
    assert np.array_equal(vals, ref["flux"])


@pytest.mark.parametrize("cutout", ["7200-6500", "abc", "-6500-7000", "6500", "6500-7200x", "0-100"])
def test_malformed_cutouts_exit_2(specmill, shared, tmp_path, cutout):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = request(files[:1], tmp_path)
    p = specmill("get", "--store", store, "--ids", ids, "--cutout", cutout, "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 2, p.stderr
    assert "wavelength range" in p.stderr or "cutout" in p.stderr
    assert not (tmp_path / "x.npz").exists()


def test_span_is_the_aligned_grid_and_npy_loglam_is_rewritten(specmill, shared, tmp_path):
    import json
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = request(files, tmp_path, ["1234,55555,1"])
    span = json.loads(specmill("span", "--store", store, "--ids", ids).stdout)
    specmill("get", "--store", store, "--ids", ids, "--align", "--columns", "flux,loglam", "--out", tmp_path / "a.npy")
    a = np.load(tmp_path / "a.npy")
    assert a.dtype.names == ("flux", "loglam") and a.shape == (11, span["n_pixels"])
    assert span["requested"] == 11 and span["found"] == 10
    assert round(span["w0"] * 1e4) == span["lattice_start"]
    assert round(span["w1"] * 1e4) == span["lattice_start"] + span["n_pixels"] - 1
    want = ((span["lattice_start"] + np.arange(span["n_pixels"])) * 1e-4).astype(np.float32)
    for row in a["loglam"]:  # every row, the unknown ID's included, carries the common grid
        assert np.array_equal(row, want)
    assert min(coadd(f)[0]["loglam"][0] for f in files) == np.float32(span["w0"])
    p = specmill("span", "--store", store, "--ids", tmp_path / "none.txt", check=False)
    assert p.returncode == 3
