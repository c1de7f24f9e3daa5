"""A re-processed spec file is re-ingested and served new; a touched one (new mtime, same bytes)
is not re-read. Real files copied from the shared data; the "re-processing" is astropy scaling
the flux of one copy in place. Checked over `specmill get`, REST (a server started before the
re-ingest, still running after) and the local Python client, and `ingest --check-stale` first
reports without changing anything."""
import json
import os
import shutil
import signal

import numpy as np
import pytest
import requests
from astropy.io import fits

from conftest import SHARED, run
from local_fixture import engine_built, NOT_BUILT
from rest_fixture import start
from test_roundtrip_real import coadd


def plate_mjd_fiber(f):
    return tuple(int(x) for x in f.stem.split("-")[1:])


def get_flux_cli(store, tmp_path, pmf):
    ids = tmp_path / "ids.txt"
    ids.write_text("%d,%d,%d\n" % pmf)
    out = tmp_path / "got.npz"
    run("get", "--store", store, "--ids", ids, "--out", out)
    z = np.load(out)
    return z["flux"][z["offsets"][0]:z["offsets"][1]].copy()


def get_flux_rest(url, pmf):
    r = requests.post(url + "/getSpec", json={"id_list": [list(pmf)], "format": "npz"}, timeout=60)
    assert r.status_code == 200, r.text
    import io
    z = np.load(io.BytesIO(r.content))
    return z["flux"][z["offsets"][0]:z["offsets"][1]].copy()


def get_flux_local(store, pmf):
    import specmill
    c = specmill.open_store(store, context="sdss_dr16")
    return np.asarray(c.getSpec(pmf)["flux"]).copy()


def test_reprocessed_file_is_reingested_touched_file_is_not(tmp_path):
    src = sorted((SHARED / "spectra").glob("spec-*.fits"))[:3]
    indir = tmp_path / "in"
    indir.mkdir()
    files = [pathlib_copy(f, indir) for f in src]
    store = tmp_path / "store"
    p = run("ingest", "--store", store, "--block-size", "2", indir)
    assert "3 ingested" in p.stdout, p.stdout
    changed, touched = files[0], files[1]
    pmf = plate_mjd_fiber(changed)
    original = coadd(changed)[0]["flux"]

    config = tmp_path / "service.json"
    config.write_text(json.dumps({"contexts": [{"name": "sdss_dr16", "store": str(store)}]}))
    proc, port = start(config)
    url = "http://127.0.0.1:%d" % port
    try:
        assert np.array_equal(get_flux_rest(url, pmf), original)

        # Re-processing: the flux of one copy scaled by 1.25 (astropy rewrites the file in place).
        with fits.open(changed, mode="update") as h:
            h[1].data["flux"] = h[1].data["flux"] * np.float32(1.25)
        reprocessed = coadd(changed)[0]["flux"]
        assert not np.array_equal(reprocessed, original)
        st = os.stat(touched)
        os.utime(touched, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))

        check = run("ingest", "--store", store, "--check-stale")
        assert "check-stale: 3 files on record for context sdss_dr16: 1 unchanged, 1 touched (same bytes), " \
               "1 changed, 0 missing, 0 unreadable" in check.stdout, check.stdout
        assert "changed: %s" % changed.resolve() in check.stdout, check.stdout
        assert "touched: %s" % touched.resolve() in check.stdout, check.stdout
        # ... and changed nothing: still the old flux everywhere.
        assert np.array_equal(get_flux_cli(store, tmp_path, pmf), original)
        assert np.array_equal(get_flux_rest(url, pmf), original)

        p = run("ingest", "--store", store, "--block-size", "2", indir)
        assert "0 ingested" in p.stdout and "0 failed" in p.stdout, p.stdout
        assert "1 replaced (file changed since it was stored)" in p.stdout, p.stdout
        assert "1 of the skipped touched (new mtime, same bytes)" in p.stdout, p.stdout
        assert "1 blocks written" in p.stdout, p.stdout  # only the changed file's new block

        assert np.array_equal(get_flux_cli(store, tmp_path, pmf), reprocessed)
        assert np.array_equal(get_flux_rest(url, pmf), reprocessed)  # the running server too
        if engine_built():
            assert np.array_equal(get_flux_local(store, pmf), reprocessed)
        # The untouched spectra are served as before.
        other = plate_mjd_fiber(touched)
        assert np.array_equal(get_flux_rest(url, other), coadd(touched)[0]["flux"])
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)

    check = run("ingest", "--store", store, "--check-stale")
    assert "3 unchanged, 0 touched (same bytes), 0 changed" in check.stdout, check.stdout
    again = run("ingest", "--store", store, indir)
    assert "3 skipped" in again.stdout and "0 blocks written" in again.stdout, again.stdout
    v = run("verify", "--deep", "--store", store)
    assert "OK" in v.stdout, v.stdout
    if not engine_built():
        pytest.skip("local Python part: " + NOT_BUILT)


def test_check_stale_lists_missing_files_and_refuses_inputs(tmp_path):
    indir = tmp_path / "in"
    indir.mkdir()
    f = pathlib_copy(sorted((SHARED / "spectra").glob("spec-*.fits"))[0], indir)
    store = tmp_path / "store"
    run("ingest", "--store", store, indir)
    f.unlink()
    check = run("ingest", "--store", store, "--check-stale")
    assert "missing: %s" % f.resolve() in check.stdout, check.stdout
    assert "0 unchanged, 0 touched (same bytes), 0 changed, 1 missing" in check.stdout, check.stdout
    bad = run("ingest", "--store", store, "--check-stale", indir, check=False)
    assert bad.returncode == 2 and "give no inputs" in bad.stderr, bad.stderr
    nostore = run("ingest", "--store", tmp_path / "absent", "--check-stale", check=False)
    assert nostore.returncode == 3, nostore.stderr
    assert not (tmp_path / "absent").exists()  # the check creates nothing


def pathlib_copy(f, d):
    target = d / f.name
    shutil.copyfile(f, target)
    return target


def fluxes(store, tmp_path, ids_file):
    out = tmp_path / "all.npz"
    run("get", "--store", store, "--ids", ids_file, "--out", out, "--columns", "flux")
    z = np.load(out)
    o = z["offsets"]
    return [z["flux"][o[i]:o[i + 1]] for i in range(len(o) - 1)]


def test_kill_during_replacement_leaves_old_or_new_never_neither(tmp_path):
    """Every sample file re-processed (flux x 2, exact in float32), then the re-ingest that
    replaces them is killed -9 at growing delays: after each kill the store verifies and every
    spectrum is served either all old or all new; the last run leaves all new."""
    import random
    import subprocess
    import time
    from conftest import BIN
    sample = tmp_path / "sample"
    run("sample", "--out", sample, "--count", "120", "--seed", "19")
    files = sorted(sample.rglob("spec-*.fits"))
    store = tmp_path / "store"
    run("ingest", "--store", store, "--block-size", "2", sample)
    ids = tmp_path / "ids.txt"
    ids.write_text("".join("%d,%d,%d\n" % plate_mjd_fiber(f) for f in files))
    old = fluxes(store, tmp_path, ids)
    for f in files:
        with fits.open(f, mode="update") as h:
            h[1].data["flux"] = h[1].data["flux"] * np.float32(2)
    new = [a * np.float32(2) for a in old]

    rng = random.Random(19)
    kills, mixed, delay = 0, 0, 0.02
    while True:
        p = subprocess.Popen([BIN, "--quiet", "ingest", "--store", str(store), "--block-size", "2", str(sample)],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(delay)
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
        out, _ = p.communicate()
        if p.returncode == -signal.SIGKILL:
            kills += 1
        v = run("verify", "--store", store, check=False)
        assert v.returncode == 0, v.stdout + v.stderr
        got = fluxes(store, tmp_path, ids)
        is_new = []
        for i, (g, o, n) in enumerate(zip(got, old, new)):
            assert np.array_equal(g, n) or np.array_equal(g, o), files[i].name
            is_new.append(np.array_equal(g, n))
        if 0 < sum(is_new) < len(files):
            mixed += 1
        if p.returncode == 0:
            break
        delay = delay * 1.6 + rng.uniform(0, 0.02)
    assert all(is_new)
    assert kills >= 2, "the re-ingest finished before it could be interrupted: raise the sample count"
    final = run("ingest", "--store", store, "--check-stale")
    assert "120 unchanged" in final.stdout, final.stdout
    print("%d kills, %d left a mix of old and new spectra" % (kills, mixed))
