"""DESI end to end through the CLI: sample -> ingest -> query -> get. The stored brz spectra are
checked against a numpy float64 merge of the files' cameras read with astropy (desispec's
coadd_cameras rules; flux rtol 1e-6, masks exact), and queries against the catalog file."""
import glob
import os

import numpy as np
import pytest
from astropy.io import fits

from conftest import run

if not os.environ.get("SPECMILL_BIN"):
    pytest.skip("SPECMILL_BIN not set", allow_module_level=True)


@pytest.fixture(scope="module")
def desi(tmp_path_factory):
    root = tmp_path_factory.mktemp("desi_cli")
    run("sample", "--survey", "desi", "--out", root / "s", "--count", "40", "--seed", "9", "--fields", "1",
        "--mask-type", "uint32")
    run("ingest", "--store", root / "st", "--catalog", root / "s" / "zpix-sample.fits", root / "s" / "healpix")
    with fits.open(root / "s" / "zpix-sample.fits") as h:
        z = h["ZCATALOG"].data
        cat = {k: np.array(z[k]) for k in ["TARGETID", "SURVEY", "PROGRAM", "TARGET_RA", "TARGET_DEC", "SPECTYPE",
                                            "ZWARN", "ZCAT_PRIMARY", "BGS_TARGET", "FLUX_R"]}
    return root, cat


def merged(path):
    """brz of every target of a coadd, float64, from 3600 A, 7781 pixels."""
    with fits.open(path) as h:
        ids = np.array(h["FIBERMAP"].data["TARGETID"])
        n = len(ids)
        fw = np.zeros((n, 7781)); w = np.zeros((n, 7781)); m = np.zeros((n, 7781), dtype=np.uint32)
        for cam in "BRZ":
            first = int(round((h[f"{cam}_WAVELENGTH"].data[0] - 3600.0) / 0.8))
            iv = h[f"{cam}_IVAR"].data.astype(np.float64)
            sl = slice(first, first + iv.shape[1])
            fw[:, sl] += iv * h[f"{cam}_FLUX"].data
            w[:, sl] += iv
            m[:, sl] |= h[f"{cam}_MASK"].data.astype(np.uint32)
    flux = np.where(w > 0, fw / np.where(w > 0, w, 1), 0)
    m[w > 0] = 0
    return ids, flux, w, m


def test_get_returns_the_merged_cameras(desi, tmp_path):
    root, cat = desi
    path = sorted(glob.glob(str(root / "s" / "healpix" / "main" / "*" / "*" / "*" / "coadd-*.fits")))[0]
    ids, flux, ivar, mask = merged(path)
    (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", tmp_path / "ids.txt", "-o", tmp_path / "g.npz")
    g = np.load(tmp_path / "g.npz")
    assert g["found"].all()
    assert [int(x) for x in g["specobjid"]] == [int(i) for i in ids]  # main survey: TARGETID is the key
    off = g["offsets"]
    for k in range(len(ids)):
        sl = slice(off[k], off[k + 1])
        got_flux = g["flux"][sl].astype(np.float64)
        assert got_flux.shape == (7781,)
        np.testing.assert_allclose(got_flux, flux[k], rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(g["ivar"][sl].astype(np.float64), ivar[k], rtol=1e-6)
        assert (g["and_mask"][sl].astype(np.uint32) == mask[k]).all()
        # loglam of the linear lattice: log10(0.8 * index) from index 4500 (3600 A)
        np.testing.assert_allclose(g["loglam"][sl], np.log10(0.8 * np.arange(4500, 4500 + 7781)), rtol=1e-7)


def test_query_cone_constraint_and_targets_catalog(desi):
    root, cat = desi
    ra, dec = float(np.median(cat["TARGET_RA"])), float(np.median(cat["TARGET_DEC"]))
    out = run("query", "--store", root / "st", "--context", "desi_dr1", "--cone", f"{ra},{dec},0.2",
              "--constraint", "class = 'GALAXY' AND zwarning = 0").stdout.split()
    got = sorted(int(x) for x in out)
    # expected from the catalog file: primary rows in the cone (small-angle distance)
    d = np.hypot((cat["TARGET_RA"] - ra) * np.cos(np.radians(dec)), cat["TARGET_DEC"] - dec)
    sel = (d < 0.2) & (np.char.strip(cat["SPECTYPE"].astype(str)) == "GALAXY") & (cat["ZWARN"] == 0) & cat["ZCAT_PRIMARY"]
    assert got == sorted(int(t) for t in cat["TARGETID"][sel])
    out = run("query", "--store", root / "st", "--catalog", "desi_dr1_targets", "--constraint",
              "bgs_target > 0 AND zcat_primary = 1").stdout.split()
    sel = (cat["BGS_TARGET"] > 0) & cat["ZCAT_PRIMARY"]
    assert sorted(int(x) for x in out) == sorted(int(t) for t in cat["TARGETID"][sel])


def test_cutout_on_the_linear_grid(desi, tmp_path):
    root, cat = desi
    tid = int(cat["TARGETID"][cat["ZCAT_PRIMARY"]][0])
    (tmp_path / "ids.txt").write_text(f"{tid}\n")
    run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", tmp_path / "ids.txt", "--cutout",
        "6500-6600", "-o", tmp_path / "c.npz")
    c = np.load(tmp_path / "c.npz")
    assert c["flux"].shape == (1, 126)  # centres 6500.0 .. 6600.0 at 0.8 A


def test_resample_works_on_the_linear_grid(desi, tmp_path):
    """Once refused ("works on log10 lattices only"); the values are checked against a float64
    reference in test_desi_ops.py."""
    root, cat = desi
    tid = int(cat["TARGETID"][cat["ZCAT_PRIMARY"]][0])
    (tmp_path / "ids.txt").write_text(f"{tid}\n")
    run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", tmp_path / "ids.txt", "--resample",
        "lin:4000,9000,1", "-o", tmp_path / "r.npz")
    r = np.load(tmp_path / "r.npz")
    assert r["flux"].shape == (1, 5001) and (r["ivar"] > 0).sum() > 4000


def test_get_by_targetid_survey_program(desi, tmp_path):
    """A target observed in main and sv1: `targetid,survey,program` reaches each copy; the plain
    TARGETID serves the ZCAT_PRIMARY one; an unobserved pair is reported not found."""
    root, cat = desi
    ids, counts = np.unique(cat["TARGETID"], return_counts=True)
    tid = int(ids[counts > 1][0])
    rows = cat["TARGETID"] == tid
    prog = str(cat["PROGRAM"][rows][0]).strip()
    primary_survey = str(cat["SURVEY"][rows & cat["ZCAT_PRIMARY"]][0]).strip()
    other = [str(s).strip() for s in cat["SURVEY"][rows] if str(s).strip() != primary_survey][0]
    (tmp_path / "ids.txt").write_text(f"{tid},{other},{prog}\n{tid},{primary_survey},{prog}\n{tid}\n{tid},sv3,{prog}\n")
    p = run("get", "--store", root / "st", "--context", "desi_dr1", "--ids", tmp_path / "ids.txt", "-o",
            tmp_path / "d.npz")
    g = np.load(tmp_path / "d.npz")
    assert list(g["found"]) == [True, True, True, False]
    keys = [int(x) for x in g["specobjid"]]
    assert keys[1] == keys[2] == tid          # the primary copy is keyed by its TARGETID
    assert keys[0] != tid and keys[0] >> 63  # the other copy: a secondary key (bit 63)
    off = g["offsets"]
    assert not np.array_equal(g["flux"][off[0]:off[1]], g["flux"][off[1]:off[2]])  # two observations
    assert "not found" in p.stderr and f"{tid},sv3,{prog}" in p.stderr
