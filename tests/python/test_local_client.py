"""The engine in-process (specmill.open_store, module specmill._engine) and the HTTP client over
the same store: every test body runs against both (`client`: local, remote), results checked
against the real SDSS files; the `both` tests assert the two return the same types and
bit-identical arrays. Stores and positions: client_fixture.py. Stack tolerances: those of
test_stack_real.py (2.4e-7 relative against a float64 reference)."""
import warnings

import numpy as np
import pytest

from client_fixture import moved, real_files, real_tuples  # noqa: F401
from local_fixture import both, client, client_store, server  # noqa: F401
from test_client_getspec import FIELDS, lattice_start, specobjid_of
from test_roundtrip_real import coadd
from test_stack_real import aligned, reference

from specmill import errors


def same(a, b, where="result"):
    """a and b of the same type, arrays bit for bit (NaN too)."""
    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, (where, a.dtype, b.dtype, a.shape, b.shape)
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), where
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for k, (x, y) in enumerate(zip(a, b)):
            same(x, y, "%s[%d]" % (where, k))
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for k in a:
            same(a[k], b[k], "%s[%r]" % (where, k))
    else:
        assert a == b, (where, a, b)


# --- query ----------------------------------------------------------------------------------
def test_query_cone_polygon_constraint(client, moved):
    sids = client.query(0.125, 12.123, 0.1, fields="tuple")
    assert sorted(sids) == sorted(moved["cone"])
    assert sorted(client.query([(0, 0), (1, 0), (0, 1)], fields="tuple")) == sorted(moved["polygon"])
    assert sorted(client.query(ra=2.023458, dec=14.839806, size=0.1, fields="tuple")) == sorted(moved["coord"])
    plate = real_tuples()[0][0]
    want = sorted(t for t in real_tuples() if t[0] == plate)
    assert sorted(client.query(constraint="plate = %d" % plate, fields="tuple", primary=False)) == want
    ids = client.query(constraint="plate = %d" % plate, primary=False)
    assert sorted(ids) == sorted(specobjid_of(f) for f in real_files() if int(f.stem.split("-")[1]) == plate)
    # the original's cond with a q3c call, and a registered catalog
    assert sorted(client.query(cond="q3c_radial_query(ra, dec, 0.125, 12.123, 0.1)", fields="tuple")) == \
        sorted(moved["cone"])
    assert len(client.query(constraint="flux_oiii_5006 >= 10", catalog="emissionlinesport")) == 6


def test_query_paging_and_sort(client):
    every = client.query(constraint="z > -1", sort="z")
    assert len(every) > 20 and len(set(every)) == len(every)
    page = client.query(constraint="z > -1", sort="z", limit=7, offset=5)
    assert page == every[5:12]
    assert client.query(constraint="z > -1", sort="z", limit=0) == []
    assert client.query(constraint="z > -1", sort="z", offset=68) == every[68:]
    rows = client.query_spectra(constraint="z > -1", sort="z", limit=4)
    assert [int(s) for s in rows["specobjid"]] == every[:4]
    assert np.all(np.diff(np.asarray(rows["z"], dtype=float)) >= 0)


def test_query_bad_requests(client):
    with pytest.raises(errors.InvalidArgumentError):
        client.query(constraint="nosuchcolumn > 1")
    with pytest.raises(errors.InvalidArgumentError):
        client.query(0.1, 0.2, -3)
    with pytest.raises(errors.InvalidArgumentError):
        client.query(constraint="z > 0", sort="nosuchcolumn")


def test_query_results_are_identical(both, moved):
    local, remote = both
    for args, kw in [((0.125, 12.123, 0.1), {}), (([(0, 0), (1, 0), (0, 1)],), {"fields": "tuple"}),
                     ((), {"constraint": "z > -1", "sort": "ra", "limit": 9, "offset": 2}),
                     ((), {"constraint": "z > 0.1", "primary": False})]:
        same(local.query(*args, **kw), remote.query(*args, **kw), repr((args, kw)))
    a = local.query_spectra(constraint="z > -1", sort="z")
    b = remote.query_spectra(constraint="z > -1", sort="z")
    assert a.colnames == b.colnames and len(a) == len(local.query(constraint="z > -1")) > 20
    for c in a.colnames:
        same(np.asarray(a[c]), np.asarray(b[c]), c)
    t = real_tuples()[0]
    sa, sb = local.get_spectrum(t), remote.get_spectrum(t)
    assert sa.specobjid == sb.specobjid == specobjid_of(real_files()[0])
    same(sa.data, sb.data, "get_spectrum data")
    oa, ob = local.get_object(0.125, 12.123, radius=0.1), remote.get_object(0.125, 12.123, radius=0.1)
    assert [s.specobjid for s in oa.spectra] == [s.specobjid for s in ob.spectra] and len(oa.spectra) == 3
    it = [s.specobjid for s in local.iter_spectra(constraint="z > -1", sort="z", page_size=16)]
    assert it == [s.specobjid for s in remote.iter_spectra(constraint="z > -1", sort="z", page_size=16)]
    assert len(it) == len(a)


# --- getSpec --------------------------------------------------------------------------------
def test_getspec_unaligned_matches_the_files(client):
    files, tuples = real_files(), real_tuples()
    one = client.getSpec(tuples[0])
    cols = coadd(files[0])[0]
    assert isinstance(one, np.ndarray) and one.ndim == 1 and one.dtype.names == FIELDS
    for c in FIELDS:
        assert np.array_equal(one[c], cols[c]), c
    many = client.getSpec(tuples)
    assert isinstance(many, list) and len(many) == 10
    for a, f in zip(many, files):
        cols = coadd(f)[0]
        for c in FIELDS:
            assert np.array_equal(a[c], cols[c]), (f.name, c)


def test_getspec_aligned_cutout_resample(client):
    files, tuples = real_files(), real_tuples()
    lo, flux, ivar, mask = aligned(files)
    a = client.getSpec(tuples, align=True)
    assert a.shape == flux.shape
    assert np.array_equal(a["flux"], flux.astype(np.float32)) and np.array_equal(a["ivar"], ivar.astype(np.float32))
    assert lattice_start(a["loglam"][0]) == lo
    # a cutout: the aligned window clipped to [6500, 6600] A
    c = client.getSpec(tuples, align=True, cutout="6500-6600")
    k0 = int(np.ceil(np.log10(6500) * 1e4 - 1e-9)) - lo
    k1 = int(np.floor(np.log10(6600) * 1e4 + 1e-9)) - lo
    assert c.shape == (10, k1 - k0 + 1)
    assert np.array_equal(c["flux"], flux[:, k0:k1 + 1].astype(np.float32))
    # one spectrum with a cutout: its own pixels in the window, 1-D
    one = client.getSpec(tuples[0], cutout=(6500, 6600))
    assert one.ndim == 1 and np.all((10 ** one["loglam"] > 6499) & (10 ** one["loglam"] < 6601))
    # resample: onto a linear grid, flux-conserving; the flux is finite where ivar > 0
    r = client.getSpec(tuples[:3], resample="lin:4000,5000,2")
    assert r.shape == (3, 501) and r.dtype.names == ("flux", "loglam", "ivar", "and_mask")
    assert np.isfinite(r["flux"][r["ivar"] > 0]).all() and (r["ivar"] > 0).sum() > 1000


def test_getspec_not_found_and_bad_input(client):
    t = real_tuples()[0]
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        out = client.getSpec([t, (9999, 55555, 1)])
    assert len(out) == 2 and len(out[0]) == 3838 and len(out[1]) == 0
    assert any("1 of 2 spectra not found" in str(x.message) for x in w)
    with pytest.raises(errors.NotFoundError):
        client.getSpec((9999, 55555, 1))
    with pytest.raises(errors.InvalidArgumentError):
        client.getSpec(t, cutout="7000-6000")
    with pytest.raises(errors.InvalidArgumentError):
        client.getSpec(t, resample="log:1,2")
    with pytest.raises(errors.InvalidArgumentError):
        client.getSpec([t], align=True, w0=3.7)
    with pytest.raises(errors.InvalidArgumentError):
        client.getSpec([t, 2 ** 70])
    with pytest.raises(errors.InvalidArgumentError):
        client.getSpec([t, {"plate": 1}])


def test_getspec_results_are_identical(both):
    local, remote = both
    tuples = real_tuples()
    cases = [((tuples[0],), {}), ((tuples,), {}), ((tuples,), {"align": True}),
             ((tuples,), {"align": True, "cutout": "6500-6600"}), ((tuples[0],), {"cutout": "5000-5100"}),
             ((tuples[:4],), {"resample": "log:3.6,3.9,1e-4"}), ((tuples,), {"values": "flux,ivar"}),
             ((tuples,), {"align": True, "w0": 3.6, "w1": 3.7}), (((tuples[0][0],),), {}),
             ((tuples[:3],), {"fmt": "pandas"}), ((tuples[:2],), {"fmt": "Spectrum1D"})]
    for args, kw in cases:
        a, b = local.getSpec(*args, **kw), remote.getSpec(*args, **kw)
        if kw.get("fmt") == "pandas":
            assert all(x.equals(y) for x, y in zip(a, b)) and len(a) == len(b) == 3
        elif kw.get("fmt") == "Spectrum1D":
            for x, y in zip(a, b):
                same(np.asarray(x.flux.value), np.asarray(y.flux.value), "Spectrum1D")
                same(np.asarray(x.spectral_axis.value), np.asarray(y.spectral_axis.value), "Spectrum1D axis")
        else:
            same(a, b, repr((args, kw)))
    fa, fb = local.getSpec(tuples[0], fmt="FITS"), remote.getSpec(tuples[0], fmt="FITS")
    same(np.asarray(fa[1].data["flux"]), np.asarray(fb[1].data["flux"]), "FITS flux")


def test_local_arrays_are_views_of_the_engine_buffer(both):
    """The engine's npz is read in place: its arrays are views of the module's buffer (the client
    then builds the structured arrays as it does over HTTP)."""
    local, _ = both
    from specmill import _convert
    data, summary = local._store.get(context="sdss_dr16", ids=real_tuples(), format="npz", values="flux", align=True)
    assert summary["found"] == 10 and summary["missing"] == []
    z = _convert.read_npz(memoryview(data))
    flux = z["flux"]
    assert not flux.flags.owndata and flux.shape[0] == 10
    assert np.shares_memory(flux, np.frombuffer(data, dtype=np.uint8))
    same(flux, np.ascontiguousarray(local.getSpec(real_tuples(), align=True, values="flux")["flux"]), "flux")


# --- stack and photometry -----------------------------------------------------------------------
def test_stack_matches_the_float64_reference(client):
    files = real_files()
    z = client.stack(real_tuples(), method="weighted_mean")
    lo, flux, ivar, mask = aligned(files)
    want = reference(flux, ivar, mask, "weighted_mean")
    assert z["metadata"]["n_used"] == 10
    assert np.array_equal(z["n"], want["n"].astype(np.int32))
    assert np.all(np.abs(z["flux"] - want["flux"]) <= 2.4e-7 * np.abs(want["flux"]) + 1e-12 * want["sum_abs"])
    assert np.allclose(z["ivar"], want["ivar"], rtol=2.4e-7, atol=0)
    with pytest.raises(errors.InvalidArgumentError):
        client.stack(real_tuples(), method="nope")
    with pytest.raises(errors.NotFoundError):
        client.stack([(9999, 55555, 1)])


def test_stack_and_photometry_are_identical(both):
    local, remote = both
    tuples = real_tuples()
    for kw in [{}, {"method": "median"}, {"grid": "lin:4000,8000,2", "normalize": "5000-5500"}]:
        same(local.stack(tuples, **kw), remote.stack(tuples, **kw), repr(kw))
    assert local.stack(tuples, fmt="csv") == remote.stack(tuples, fmt="csv")
    a = local.photometry(tuples, filters="sdss2010-g,sdss2010-r")
    same(a, remote.photometry(tuples, filters="sdss2010-g,sdss2010-r"), "photometry")
    assert len(a) == 20 and np.isfinite(a["mag"]).all()
    for bad, exc in [("/etc/passwd", errors.InvalidArgumentError), ("nope-x", errors.NotFoundError)]:
        for c in (local, remote):
            with pytest.raises(exc):
                c.photometry(tuples, filters=bad)


def test_photometry_matches_the_cli(client, client_store, specmill, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join("%d,%d,%d" % t for t in real_tuples()) + "\n")
    specmill("photometry", "--store", client_store / "store", "--ids", ids, "--filters", "sdss2010-r",
             "--out", tmp_path / "p.csv")
    assert client.photometry(real_tuples(), filters="sdss2010-r", fmt="csv") == (tmp_path / "p.csv").read_text()


# --- the interface around ------------------------------------------------------------------------
def test_open_store_and_get_client(client_store):
    from local_fixture import engine_built, NOT_BUILT
    if not engine_built():
        pytest.skip(NOT_BUILT)
    import specmill
    from specmill import client as spec
    c = spec.getClient(store=client_store / "store")
    assert isinstance(c, specmill.LocalClient) and c.isAlive()
    assert c.default_context == "sdss_dr16"
    assert "sdss_dr16" in c.list_contexts() and "emissionlinesport" in c.catalogs()
    assert len(c.query(0.125, 12.123, 0.1)) == 3
    with pytest.raises(errors.NotFoundError):
        specmill.open_store(client_store / "no-such-store")
    with pytest.raises(errors.NotFoundError):
        specmill.open_store(client_store / "store", context="nope").query(constraint="z > 0")
    with pytest.raises(errors.InvalidArgumentError):
        c.plotGrid(real_tuples()[:4])  # HTTP-only for now: says so


def test_preview_and_stacked_image_are_identical(both):
    local, remote = both
    tuples = real_tuples()
    a, b = local.preview(tuples[0], lines=True, width=600), remote.preview(tuples[0], lines=True, width=600)
    assert a.startswith(b"\x89PNG") and a == b
    img = local.stackedImage(tuples, fmt="numpy", cutout="5000-6000")
    same(img, remote.stackedImage(tuples, fmt="numpy", cutout="5000-6000"), "stackedImage numpy")
    lo, flux, ivar, mask = aligned(real_files())
    k0 = int(np.ceil(np.log10(5000) * 1e4 - 1e-9)) - lo
    assert img.shape == (10, int(np.floor(np.log10(6000) * 1e4 + 1e-9)) - lo - k0 + 1)
    # display order: the first ID is the bottom row; NaN where masked (ivar 0)
    row = img[-1]
    good = ivar[0, k0:k0 + img.shape[1]] > 0
    assert np.array_equal(row[good], flux[0, k0:k0 + img.shape[1]][good].astype(np.float32))
    assert np.isnan(row[~good]).all()
    pa = local.stackedImage(tuples, cmap="viridis", thickness=2.0)
    assert pa.startswith(b"\x89PNG") and pa == remote.stackedImage(tuples, cmap="viridis", thickness=2.0)
    for c in (local, remote):
        with pytest.raises(errors.InvalidArgumentError):
            c.stackedImage(tuples, thickness=1.5)
        with pytest.raises(errors.InvalidArgumentError):
            c.preview(tuples[0], width=3)


def test_local_calls_from_threads(both):
    """The engine runs with the GIL released: calls from several threads at once (getSpec, query,
    stack on one store) each give the serial answer."""
    from concurrent.futures import ThreadPoolExecutor
    local, _ = both
    tuples = real_tuples()
    want_spec = local.getSpec(tuples, align=True)
    want_ids = local.query(constraint="z > -1", sort="z")
    want_stack = local.stack(tuples)
    with ThreadPoolExecutor(4) as ex:
        specs = [ex.submit(local.getSpec, tuples, align=True) for _ in range(4)]
        ids = [ex.submit(local.query, constraint="z > -1", sort="z") for _ in range(4)]
        stacks = [ex.submit(local.stack, tuples) for _ in range(2)]
        for f in specs:
            same(f.result(), want_spec, "getSpec in a thread")
        for f in ids:
            same(f.result(), want_ids, "query in a thread")
        for f in stacks:
            same(f.result(), want_stack, "stack in a thread")


def test_pip_install_with_the_engine(tmp_path, client_store):
    """The documented install: the built module copied into the package, then pip (offline);
    the installed copy opens a store with no SPECMILL_ENGINE_DIR."""
    import glob
    import os
    import shutil
    import subprocess
    import sys
    from client_fixture import CLIENT_DIR
    from local_fixture import ENGINE_DIR, engine_built, NOT_BUILT
    if not engine_built():
        pytest.skip(NOT_BUILT)
    src = tmp_path / "src"
    shutil.copytree(CLIENT_DIR, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    for so in glob.glob(os.path.join(ENGINE_DIR, "_engine*.so")):
        shutil.copy(so, src / "specmill")
    target = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                        "--target", str(target), str(src)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert glob.glob(str(target / "specmill" / "_engine*.so"))
    env = {k: v for k, v in os.environ.items() if k not in ("SPECMILL_ENGINE_DIR", "PYTHONPATH")}
    env["PYTHONPATH"] = str(target)
    code = ("import specmill; c = specmill.open_store(%r); "
            "assert specmill.__file__.startswith(%r); print(len(c.query(0.125, 12.123, 0.1)))"
            % (str(client_store / "store"), str(target)))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["3"]
