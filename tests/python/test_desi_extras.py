"""DESI camera spectra and resolution (ingest --with-cameras --with-resolution, get --camera,
get --with-resolution, REST camera / with_resolution, verify --deep) on generated coadds with
int32 and uint32 masks. Every expected value is read from the coadd files with astropy:
  - camera arrays (wavelength, flux, ivar, mask) bit-exact;
  - brz resolution against a float64 numpy merge written from desispec's coadd_cameras rules
    (each diagonal weighted by the ivar of the pixel it reaches, index wrapping inside the
    camera; masked ivar first, unmasked where the masked weights sum to 0; 0 where both do):
    rtol 1e-6 (the engine sums in double and rounds once to float32), and bit-exact where one
    camera covers the pixel with weight > 0."""
import glob
import io
import json
import signal

import numpy as np
import pytest
from astropy.io import fits

from conftest import SHARED, run
from rest_fixture import start

import os
if not os.environ.get("SPECMILL_BIN"):
    pytest.skip("SPECMILL_BIN not set", allow_module_level=True)

NDIAG = 11
BRZ_START = 4500  # lattice index of 3600 A at 0.8 A
BRZ_NPIX = 7781


@pytest.fixture(scope="module", params=["int32", "uint32"])
def desi(request, tmp_path_factory):
    root = tmp_path_factory.mktemp(f"desi_extras_{request.param}")
    run("sample", "--survey", "desi", "--out", root / "s", "--count", "40", "--seed", "11", "--fields", "1",
        "--mask-type", request.param)
    p = run("ingest", "--store", root / "full", "--with-cameras", "--with-resolution", "--catalog",
            root / "s" / "zpix-sample.fits", root / "s" / "healpix")
    assert " 0 failed" in p.stdout, p.stdout
    run("ingest", "--store", root / "plain", root / "s" / "healpix")
    run("ingest", "--store", root / "res", "--with-resolution", root / "s" / "healpix")
    return root


def a_file(root):
    return sorted(glob.glob(str(root / "s" / "healpix" / "main" / "*" / "*" / "*" / "coadd-*.fits")))[0]


def id_lines(path):
    """`targetid,survey,program` of every target of a coadd, in FIBERMAP order."""
    with fits.open(path) as h:
        survey, program = h[0].header["SURVEY"].strip(), h[0].header["PROGRAM"].strip()
        return [f"{t},{survey},{program}" for t in h["FIBERMAP"].data["TARGETID"]]


def get(root, store, tmp_path, lines, *extra, check=True):
    (tmp_path / "ids.txt").write_text("".join(f"{x}\n" for x in lines))
    p = run("get", "--store", root / store, "--context", "desi_dr1", "--ids", tmp_path / "ids.txt", *extra, "-o",
            tmp_path / "g.npz", check=check)
    return (np.load(tmp_path / "g.npz") if p.returncode == 0 else None), p


def bits(a):
    """A mask array as its 32 bits (int32 files read as int32, uint32 ones as uint32)."""
    return (np.asarray(a).astype(np.int64) & 0xFFFFFFFF).astype(np.uint32)  # FITS data may be big-endian


def merged_resolution(h):
    """[n, 11, 7781] float64 and a mask of the elements one camera covers with weight > 0
    (where the engine must return that camera's value exactly)."""
    n = len(h["FIBERMAP"].data)
    acc = np.zeros((n, NDIAG, BRZ_NPIX)); norm = np.zeros_like(acc)
    acc_all = np.zeros_like(acc); norm_all = np.zeros_like(acc)
    cover = np.zeros((NDIAG, BRZ_NPIX), dtype=int)
    single = np.zeros((n, NDIAG, BRZ_NPIX))
    for cam in "BRZ":
        wave = h[f"{cam}_WAVELENGTH"].data
        first = int(round(wave[0] / 0.8)) - BRZ_START
        npix = len(wave)
        res = h[f"{cam}_RESOLUTION"].data.astype(np.float64)  # [n, 11, npix]
        ivar = h[f"{cam}_IVAR"].data.astype(np.float64)
        good = bits(h[f"{cam}_MASK"].data) == 0
        # weight of diagonal d at pixel p: ivar at (p + d - 5) mod npix
        q = (np.arange(npix)[None, :] + np.arange(NDIAG)[:, None] - NDIAG // 2) % npix
        w = ivar[:, q]                      # [n, 11, npix]
        wm = np.where(good[:, q], w, 0.0)
        sl = (slice(None), slice(None), slice(first, first + npix))
        acc[sl] += wm * res; norm[sl] += wm
        acc_all[sl] += w * res; norm_all[sl] += w
        cover[:, first:first + npix] += 1
        single[sl] = res
    fallback = norm == 0
    acc[fallback] = acc_all[fallback]; norm[fallback] = norm_all[fallback]
    out = acc / np.where(norm == 0, 1.0, norm)
    exact = (cover[None, :, :] == 1) & (norm > 0)
    return out, exact, single


def test_camera_arrays_equal_the_file(desi, tmp_path):
    path = a_file(desi)
    lines = id_lines(path)
    with fits.open(path) as h:
        for cam in "brz":
            g, _ = get(desi, "full", tmp_path, lines, "--camera", cam)
            C = cam.upper()
            assert g["found"].all() and g["flux"].shape == h[f"{C}_FLUX"].data.shape
            assert np.array_equal(g["wavelength"], h[f"{C}_WAVELENGTH"].data)
            assert np.array_equal(g["flux"].view(np.uint32), h[f"{C}_FLUX"].data.astype(np.float32).view(np.uint32))
            assert np.array_equal(g["ivar"].view(np.uint32), h[f"{C}_IVAR"].data.astype(np.float32).view(np.uint32))
            assert np.array_equal(bits(g["mask"]), bits(h[f"{C}_MASK"].data))
            assert bits(h[f"{C}_MASK"].data).any()  # the sample masks some pixels: the comparison means something
            assert "resolution" not in g.files
    # an unknown ID is a row of zeros, found False
    g, p = get(desi, "full", tmp_path, [lines[0], "1"], "--camera", "z")
    assert list(g["found"]) == [True, False] and not g["flux"][1].any() and "not found: 1" in p.stderr


def test_with_resolution_equals_a_float64_desispec_merge(desi, tmp_path):
    path = a_file(desi)
    lines = id_lines(path)
    g, _ = get(desi, "full", tmp_path, lines, "--with-resolution")
    with fits.open(path) as h:
        want, exact, single = merged_resolution(h)
    got = g["resolution"]
    assert got.dtype == np.float32 and got.shape == (len(lines), NDIAG, BRZ_NPIX)
    np.testing.assert_allclose(got.astype(np.float64), want, rtol=1e-6, atol=1e-30)
    assert exact.sum() > 0.8 * exact.size
    assert np.array_equal(got[exact], single[exact].astype(np.float32))
    # the overlaps really mix cameras (b/r diagonals differ in the sample)
    overlap = ~exact[0] & (want[0] != 0)
    assert overlap.any() and not np.array_equal(want[0][overlap], single[0][overlap])
    # the brz columns are still there, as without the option
    assert g["flux"].shape == (len(lines) * BRZ_NPIX,) and list(g["offsets"][:2]) == [0, BRZ_NPIX]
    # the store made without cameras holds the same merged resolution
    g2, _ = get(desi, "res", tmp_path, lines, "--with-resolution")
    assert np.array_equal(g2["resolution"], got)


def test_camera_with_resolution_is_the_files(desi, tmp_path):
    path = a_file(desi)
    lines = id_lines(path)[:5]
    g, _ = get(desi, "full", tmp_path, lines, "--camera", "r", "--with-resolution")
    with fits.open(path) as h:
        want = h["R_RESOLUTION"].data[:5].astype(np.float32)
    assert g["resolution"].shape == want.shape and np.array_equal(g["resolution"], want)


def test_stores_without_them_refuse(desi, tmp_path):
    lines = id_lines(a_file(desi))[:3]
    _, p = get(desi, "plain", tmp_path, lines, "--camera", "b", check=False)
    assert p.returncode != 0 and "--with-cameras" in p.stderr, p.stderr
    _, p = get(desi, "plain", tmp_path, lines, "--with-resolution", check=False)
    assert p.returncode != 0 and "--with-resolution" in p.stderr, p.stderr
    _, p = get(desi, "res", tmp_path, lines, "--camera", "b", check=False)
    assert p.returncode != 0 and "--with-cameras" in p.stderr, p.stderr


@pytest.mark.parametrize("extra,message", [
    (["--camera", "q"], "expected b, r or z"),
    (["--camera", "b", "--align"], "excludes --align"),
    (["--with-resolution", "--cutout", "5000-6000"], "excludes --align"),
    (["--with-resolution", "--format", "csv"], "npz only"),
    (["--camera", "b", "--columns", "flux"], "give no --columns"),
])
def test_bad_requests_are_refused(desi, tmp_path, extra, message):
    lines = id_lines(a_file(desi))[:2]
    _, p = get(desi, "full", tmp_path, lines, *extra, check=False)
    assert p.returncode != 0 and message in p.stderr, p.stderr


def test_verify_deep_and_idempotent_reingest(desi):
    p = run("verify", "--store", desi / "full", "--deep")
    assert p.returncode == 0, p.stdout + p.stderr
    again = run("ingest", "--store", desi / "full", "--with-cameras", "--with-resolution", desi / "s" / "healpix")
    assert " 0 ingested" in again.stdout and " 0 blocks written" in again.stdout, again.stdout
    assert run("verify", "--store", desi / "full", "--deep").returncode == 0


def test_verify_deep_finds_a_changed_camera_pixel(desi, tmp_path):
    """A stored camera value changed in place (same shape): verify --deep re-merges and reports
    the row; plain verify (shapes only) still passes."""
    import shutil
    import h5py
    store = tmp_path / "copy"
    shutil.copytree(desi / "full", store)
    block = sorted((store / "blocks").glob("blk-*.h5"))[0]
    with h5py.File(block, "r+") as f:
        ivar = f["extra/camera_r/ivar"]
        row = ivar[0]
        p = int(np.argmax(row > 0)) + 300  # a pixel r alone covers (past the b/r overlap)
        row[p] = row[p] * 2 + 1
        ivar[0] = row
    p = run("verify", "--store", store, check=False)
    assert p.returncode == 0, p.stdout + p.stderr
    p = run("verify", "--store", store, "--deep", check=False)
    assert p.returncode != 0 and "differ from the merge of its stored cameras" in p.stdout + p.stderr, p.stdout


def test_sdss_inputs_refuse_the_options(tmp_path):
    p = run("ingest", "--store", tmp_path / "st", "--with-resolution", SHARED / "spectra", check=False)
    assert p.returncode != 0 and "DESI coadds only" in p.stderr, p.stderr


@pytest.fixture(scope="module")
def server(desi):
    (desi / "service.json").write_text(json.dumps({
        "contexts": [{"name": "desi_dr1", "store": "full"}, {"name": "plain", "store": "plain", "store_context": "desi_dr1"}],
        "default_context": "desi_dr1",
    }))
    proc, port = start(desi / "service.json")
    from rest_fixture import Server
    yield Server(proc, port, desi / "full")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def test_rest_equals_the_cli(desi, server, tmp_path):
    lines = id_lines(a_file(desi))[:4]
    for params, extra in [({"camera": "b"}, ["--camera", "b"]),
                          ({"with_resolution": True}, ["--with-resolution"]),
                          ({"camera": "z", "with_resolution": "true"}, ["--camera", "z", "--with-resolution"])]:
        want, _ = get(desi, "full", tmp_path, lines, *extra)
        r = server.post("/getSpec", json={"context": "desi_dr1", "id_list": lines, "format": "npz", **params})
        assert r.status_code == 200, r.text
        got = np.load(io.BytesIO(r.content))
        for k in want.files:
            if k in ("meta", "meta_units"):
                continue
            assert np.array_equal(got[k], want[k]), (params, k)


@pytest.mark.parametrize("params,message", [
    ({"camera": "x"}, "expected b, r or z"),
    ({"with_resolution": "maybe"}, "with_resolution"),
    ({"with_resolution": "true", "format": "csv"}, "npz only"),
    ({"camera": "b", "align": "true"}, "excludes --align"),
    ({"camera": "b", "context": "plain"}, "--with-cameras"),
    ({"with_resolution": "true", "context": "plain"}, "--with-resolution"),
])
def test_rest_bad_values_are_400(desi, server, params, message):
    lines = id_lines(a_file(desi))[:2]
    body = {"context": "desi_dr1", "id_list": lines, "format": "npz", **params}
    r = server.post("/getSpec", json=body)
    assert r.status_code == 400, (r.status_code, r.text)
    assert message in r.text, r.text
