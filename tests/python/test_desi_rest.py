"""DESI over REST and through the Python client (context='desi_dr1', over HTTP and with the engine
in-process), against the CLI's answers
on the same store: getSpec by TARGETID and by `targetid,survey,program`, a cone query with a
ZWARN constraint, a stack, a preview. A service that also serves an SDSS context answers each
on its own grid. Generated DESI files (`specmill sample --survey desi`)."""
import io
import json
import signal
import sys

import numpy as np
import pytest
from astropy.io import fits

from conftest import run
from rest_fixture import start

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[2] / "clients" / "python"))


@pytest.fixture(scope="module")
def desi_server(tmp_path_factory):
    d = tmp_path_factory.mktemp("desi_rest")
    run("sample", "--survey", "desi", "--out", d / "s", "--count", "30", "--seed", "3", "--fields", "1",
        "--repeat-fraction", "0.3")
    run("ingest", "--store", d / "desi", "--catalog", d / "s" / "zpix-sample.fits", d / "s" / "healpix")
    run("sample", "--out", d / "sdss_sample", "--count", "6", "--seed", "2")
    run("ingest", "--store", d / "sdss", d / "sdss_sample")
    (d / "service.json").write_text(json.dumps({
        "contexts": [{"name": "desi_dr1", "store": "desi", "description": "DESI sample"},
                     {"name": "sdss_dr16", "store": "sdss", "description": "SDSS sample"}],
        "default_context": "sdss_dr16",
    }))
    proc, port = start(d / "service.json")
    from rest_fixture import Server
    yield Server(proc, port, d / "desi"), d
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def cli(d, *args, **kw):
    return run(*args[:1], "--store", d / "desi", "--context", "desi_dr1", *args[1:], **kw)


def catalog(d):
    with fits.open(d / "s" / "zpix-sample.fits") as h:
        return h["ZCATALOG"].data.copy()


def repeated_target(d):
    """A TARGETID stored under two survey/program pairs: (tid, the non-primary survey, program)."""
    cat = catalog(d)
    tids, counts = np.unique(cat["TARGETID"], return_counts=True)
    tid = int(tids[counts > 1][0])
    row = cat[(cat["TARGETID"] == tid) & ~cat["ZCAT_PRIMARY"].astype(bool)][0]
    return tid, str(row["SURVEY"]).strip(), str(row["PROGRAM"]).strip()


def a_position(d):
    cat = catalog(d)
    return float(cat["TARGET_RA"][0]), float(cat["TARGET_DEC"][0])


def cli_get(d, tmp_path, lines, *extra):
    (tmp_path / "ids.txt").write_text("".join(f"{x}\n" for x in lines))
    cli(d, "get", "--ids", tmp_path / "ids.txt", *extra, "-o", tmp_path / "cli.npz")
    return np.load(tmp_path / "cli.npz")


def test_rest_getspec_by_targetid_and_survey_program(desi_server, tmp_path):
    server, d = desi_server
    tid, survey, program = repeated_target(d)
    lines = [str(tid), f"{tid},{survey},{program}"]
    want = cli_get(d, tmp_path, lines, "--columns", "flux,ivar,and_mask")
    r = server.post("/getSpec", json={"context": "desi_dr1", "id_list": [tid, f"{tid},{survey},{program}"],
                                      "format": "npz", "values": "flux,ivar,and_mask"})
    assert r.status_code == 200, r.text
    got = np.load(io.BytesIO(r.content))
    assert list(got["found"]) == [True, True]
    for k in ("specobjid", "offsets", "flux", "ivar", "and_mask"):
        assert np.array_equal(got[k], want[k]), k
    assert not np.array_equal(got["flux"][:7781], got["flux"][7781:])  # two observations
    # the same IDs as text lines (the original service's form)
    r = server.post("/getSpec", data={"context": "desi_dr1", "id_list": "\n".join(lines), "format": "npz",
                                      "values": "flux"})
    assert r.status_code == 200 and np.array_equal(np.load(io.BytesIO(r.content))["flux"], want["flux"])
    # an unknown survey/program pair is reported, not an error; a malformed one is a 400
    r = server.post("/getSpec", json={"context": "desi_dr1", "id_list": [f"{tid},sv3,{program}"], "format": "npz"})
    assert r.status_code in (200, 404)
    assert server.post("/getSpec", json={"context": "desi_dr1", "id_list": [f"{tid},sv1,da rk"]}).status_code == 400
    # as a JSON list it would be plate, mjd, fiber: refused, not misread
    assert server.post("/getSpec", json={"context": "desi_dr1", "id_list": [[tid, survey, program]]}).status_code == 400


def test_rest_query_cone_and_zwarn(desi_server):
    server, d = desi_server
    ra, dec = a_position(d)
    want = cli(d, "query", "--cone", f"{ra},{dec},0.5", "--constraint", "zwarning = 0").stdout.split()
    r = server.post("/query", data={"context": "desi_dr1", "ra": ra, "dec": dec, "size": 0.5,
                                    "constraint": "zwarning = 0", "format": "csv"})
    assert r.status_code == 200, r.text
    got = [l for l in r.text.split() if l and not l.startswith("specobjid")]
    assert sorted(got) == sorted(want) and len(want) >= 1


def test_rest_stack_and_preview(desi_server, tmp_path):
    server, d = desi_server
    ids = cli(d, "query", "--constraint", "1", "--limit", "8").stdout.split()
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    cli(d, "stack", "--ids", tmp_path / "ids.txt", "--method", "median", "--out", tmp_path / "s.npz")
    want = np.load(tmp_path / "s.npz")
    r = server.post("/stack", json={"context": "desi_dr1", "id_list": [int(i) for i in ids], "method": "median",
                                    "format": "npz"})
    assert r.status_code == 200, r.text
    got = np.load(io.BytesIO(r.content))
    for k in ("wavelength", "flux", "ivar", "n"):
        assert np.array_equal(got[k], want[k]), k
    cli(d, "preview", "--id", ids[0], "--width", "600", "--height", "200", "--out", tmp_path / "p.png")
    r = server.get("/preview", params={"context": "desi_dr1", "id": ids[0], "width": 600, "height": 200})
    assert r.status_code == 200 and r.content == (tmp_path / "p.png").read_bytes()
    # a secondary copy by TARGETID,SURVEY,PROGRAM; an unknown pair is a 404
    tid, survey, program = repeated_target(d)
    cli(d, "preview", "--id", f"{tid},{survey},{program}", "--out", tmp_path / "q.png")
    r = server.get("/preview", params={"context": "desi_dr1", "id": f"{tid},{survey},{program}"})
    assert r.status_code == 200 and r.content == (tmp_path / "q.png").read_bytes()
    assert server.get("/preview", params={"context": "desi_dr1", "id": f"{tid},sv3,{program}"}).status_code == 404


def test_python_client_on_desi(desi_server, tmp_path):
    server, d = desi_server
    from specmill import client
    c = client.SpecClient(context="desi_dr1", svc_url=server.url)
    tid, survey, program = repeated_target(d)
    want = cli_get(d, tmp_path, [str(tid), f"{tid},{survey},{program}"], "--columns", "flux,ivar")
    off = want["offsets"]
    one = c.getSpec(tid)
    assert np.array_equal(one["flux"], want["flux"][off[0]:off[1]])
    other = c.getSpec(f"{tid},{survey},{program}")
    assert np.array_equal(other["flux"], want["flux"][off[1]:off[2]])
    # loglam on the linear lattice: log10(0.8 index) from 3600 A
    np.testing.assert_allclose(10 ** one["loglam"].astype(float), 3600 + 0.8 * np.arange(7781), rtol=1e-6)
    ra, dec = a_position(d)
    want_q = cli(d, "query", "--cone", f"{ra},{dec},0.5", "--constraint", "zwarning = 0").stdout.split()
    assert sorted(c.query(ra, dec, 0.5, constraint="zwarning = 0")) == sorted(int(x) for x in want_q)
    ids = [int(x) for x in cli(d, "query", "--constraint", "1", "--limit", "6").stdout.split()]
    (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    cli(d, "stack", "--ids", tmp_path / "ids.txt", "--out", tmp_path / "s.npz")
    s = c.stack(ids)
    assert np.array_equal(s["flux"], np.load(tmp_path / "s.npz")["flux"])
    assert s["metadata"]["n_used"] == len(ids)
    cli(d, "preview", "--id", str(ids[0]), "--out", tmp_path / "p.png")
    assert c.preview(ids[0]) == (tmp_path / "p.png").read_bytes()
    cli(d, "preview", "--id", f"{tid},{survey},{program}", "--out", tmp_path / "q.png")
    assert c.preview(f"{tid},{survey},{program}") == (tmp_path / "q.png").read_bytes()


def test_local_client_on_desi(desi_server, tmp_path):
    """The same interface with the engine in-process (specmill.open_store): the same answers."""
    from local_fixture import NOT_BUILT, engine_built
    if not engine_built():
        pytest.skip(NOT_BUILT)
    import specmill
    server, d = desi_server
    c = specmill.open_store(d / "desi", context="desi_dr1")
    tid, survey, program = repeated_target(d)
    want = cli_get(d, tmp_path, [str(tid), f"{tid},{survey},{program}"], "--columns", "flux,ivar")
    off = want["offsets"]
    assert np.array_equal(c.getSpec(tid)["flux"], want["flux"][off[0]:off[1]])
    assert np.array_equal(c.getSpec(f"{tid},{survey},{program}")["flux"], want["flux"][off[1]:off[2]])
    ra, dec = a_position(d)
    want_q = cli(d, "query", "--cone", f"{ra},{dec},0.5", "--constraint", "zwarning = 0").stdout.split()
    assert sorted(c.query(ra, dec, 0.5, constraint="zwarning = 0")) == sorted(int(x) for x in want_q)
    ids = [int(x) for x in cli(d, "query", "--constraint", "1", "--limit", "6").stdout.split()]
    (tmp_path / "ids.txt").write_text("".join(f"{i}\n" for i in ids))
    cli(d, "stack", "--ids", tmp_path / "ids.txt", "--rest-frame", "--out", tmp_path / "s.npz")
    s = c.stack(ids, rest_frame=True)
    want_s = np.load(tmp_path / "s.npz")
    assert np.array_equal(s["flux"], want_s["flux"]) and np.array_equal(s["wavelength"], want_s["wavelength"])
    cli(d, "preview", "--id", str(ids[0]), "--out", tmp_path / "p.png")
    assert c.preview(ids[0]) == (tmp_path / "p.png").read_bytes()
