"""The REST service end to end: every endpoint under both prefixes, form and JSON requests, the
original client's exact form fields, the error paths (always a 4xx JSON body, never a 5xx),
tokens, limits, concurrency, and a graceful SIGTERM."""
import concurrent.futures
import io
import json
import signal
import subprocess

import numpy as np
import pytest
import requests
from astropy.io import fits

from conftest import run, SHARED
from rest_fixture import rest_store, server, start  # noqa: F401 (fixtures)
from test_roundtrip_real import coadd

FILES = sorted((SHARED / "spectra").glob("spec-*.fits"))
TUPLES = [tuple(int(x) for x in f.stem.split("-")[1:]) for f in FILES]


def test_small_endpoints_at_both_prefixes(server):
    for prefix in ["", "/spec"]:
        assert server.get(prefix + "/ping").text == "OK"
        assert server.get(prefix + "/available").text == "True"
        assert "specmill" in server.get(prefix + "/").text
        ctx = server.get(prefix + "/contexts", params={"format": "json"}).json()
        assert set(ctx) == {"sdss_dr16", "private_dr16"}
        assert ctx["sdss_dr16"]["id_main"] == "specobjid" and ctx["private_dr16"]["public"] is False
        assert server.get(prefix + "/contexts", params={"context": "sdss_dr16"}).json()["redshift"] == "z"
        assert "test profile" in server.get(prefix + "/profiles").text
        assert server.get(prefix + "/profiles", params={"format": "json"}).json() == {"default": "test profile"}
        assert "specobjall" in server.get(prefix + "/catalogs").text
        assert server.get(prefix + "/validate", params={"what": "context", "value": "sdss_dr16"}).text == "OK"
        assert server.get(prefix + "/validate", params={"what": "context", "value": "nope"}).text == "Error"
        h = server.get(prefix + "/health").json()
        assert h["status"] == "ok" and h["contexts"]["sdss_dr16"]["with_pixels"] == 70
        spec = server.get(prefix + "/openapi.json").json()
        assert spec["openapi"].startswith("3.") and "/getSpec" in spec["paths"]


def test_original_client_form_fields_and_numpy_load(server):
    """The original client posted these fields and loaded the body with numpy.load."""
    ids = TUPLES[:3]
    form = {"id_list": str(ids), "values": "all", "cutout": "None", "format": "numpy", "align": "True",
            "w0": "None", "w1": "None", "context": "sdss_dr16", "profile": "default"}
    # w0/w1 'None' are not numbers: the original client sent them only when set
    form.pop("w0"), form.pop("w1")
    r = server.post("/spec/getSpec", data=form, headers={"X-DL-AuthToken": "anonymous.0.0.anon_access"})
    assert r.status_code == 200, r.text
    a = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert a.ndim == 2 and a.shape[0] == 3
    assert a.dtype.names == ("flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model")
    for i, f in enumerate(FILES[:3]):
        cols, _, _ = coadd(f)
        start = int(round(float(cols["loglam"][0]) * 1e4)) - int(round(float(a["loglam"][0, 0]) * 1e4))
        n = len(cols["flux"])
        assert np.array_equal(a["flux"][i, start:start + n], cols["flux"])
        assert np.array_equal(a["loglam"][i], a["loglam"][0])  # the common grid in every row
    # one ID, unaligned: the 1-D structured array the original sent
    r = server.post("/spec/getSpec", data={"id_list": str([TUPLES[0]]), "values": "flux,ivar", "format": "numpy"})
    a = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert a.ndim == 1 and a.dtype.names == ("flux", "ivar")
    assert np.array_equal(a["flux"], coadd(FILES[0])[0]["flux"])


def test_json_requests_npz_and_partial_tuples(server):
    plate, mjd, fiber = TUPLES[4]
    r = server.post("/getSpec", json={"id_list": [[plate, mjd, fiber], "%d,%d,%d" % TUPLES[5], [plate]],
                                      "format": "npz", "cutout": "5000-5100"})
    assert r.status_code == 200, r.text
    z = np.load(io.BytesIO(r.content))
    assert z["flux"].shape[0] == 3  # the partial tuple [plate] names one stored spectrum here
    assert z["wavelength"][0] >= 5000 and z["wavelength"][-1] <= 5100
    assert z["found"].all()
    # npz unaligned: the columnar layout of `specmill get`
    r = server.post("/getSpec", json={"id_list": [list(t) for t in TUPLES], "format": "npz", "values": "flux"})
    z = np.load(io.BytesIO(r.content))
    assert list(z["offsets"][1:] - z["offsets"][:-1]) == [len(coadd(f)[0]["flux"]) for f in FILES]


def test_fits_csv_and_listspan(server):
    r = server.post("/getSpec", data={"id_list": str(TUPLES[:2]), "format": "FITS", "values": "flux"})
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/fits")
    with fits.open(io.BytesIO(r.content)) as h:
        assert len(h[1].data) == 2
    r = server.post("/getSpec", data={"id_list": str(TUPLES[:1]), "format": "csv", "values": "flux"})
    assert r.text.startswith("specobjid,pixel,flux\n")
    span = server.post("/spec/listSpan", data={"id_list": str(TUPLES)}).json()
    starts = [int(round(float(coadd(f)[0]["loglam"][0]) * 1e4)) for f in FILES]
    assert round(span["w0"] * 1e4) == min(starts) and span["found"] == 10


def test_photometry_endpoint(server):
    r = server.post("/photometry", data={"id_list": str(TUPLES[:2]), "filters": "sdss2010-g,sdss2010-r"})
    assert r.status_code == 200
    lines = r.text.strip().split("\n")
    assert lines[0] == "specobjid,band,nanomaggies,nanomaggies_err,mag,mag_err,flag" and len(lines) == 5
    assert server.post("/photometry", data={"id_list": str(TUPLES[:1]), "filters": "/etc/passwd"}).status_code == 400
    assert server.post("/photometry", data={"id_list": str(TUPLES[:1]), "filters": "nope-x"}).status_code == 404


@pytest.mark.parametrize("path,kw,status", [
    ("/getSpec", {"data": {"id_list": "[1, 2]"}}, 404),                       # none found
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "cutout": "7200-6500"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "cutout": "abc"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "format": "pickle"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "values": "flux,nope"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "align": "maybe"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "w0": "3.6"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "context": "nope"}}, 404),
    ("/getSpec", {"data": {"id_list": "not an id"}}, 400),
    ("/getSpec", {"data": {"id_list": "[(266, 'x', 13)]"}}, 400),
    ("/getSpec", {"data": {}}, 400),                                            # no id_list
    ("/getSpec", {"data": "{not json", "headers": {"Content-Type": "application/json"}}, 400),
    ("/getSpec", {"json": {"id_list": {"a": 1}}}, 400),
    ("/getSpec", {"json": {"id_list": list(range(1, 6000))}}, 400),            # over max_ids
    ("/getSpec", {"data": {"id_list": "1\n" * 100000}}, 413),                   # body over the limit
    ("/listSpan", {"data": {"id_list": "[1]"}}, 404),
    ("/getSpec", {"data": {"id_list": "[(266,51602,13)]", "context": "private_dr16"}}, 401),
    ("/nope", {}, 404),
])
def test_bad_requests_get_4xx_json(server, path, kw, status):
    r = server.post(path, **kw)
    assert r.status_code == status, (r.status_code, r.text[:200])
    body = r.json()
    assert set(body) == {"error", "message"} and body["message"]


def test_tokens_and_admin(server):
    ids = {"id_list": str(TUPLES[:1]), "context": "private_dr16", "format": "npz"}
    assert server.post("/getSpec", data=ids, headers={"X-DL-AuthToken": "wrong"}).status_code == 403
    assert server.post("/getSpec", data=ids, headers={"X-DL-AuthToken": "reader-token"}).status_code == 200
    assert server.post("/getSpec", data=ids, headers={"X-DL-AuthToken": "admin-token"}).status_code == 200
    assert server.get("/debug").status_code == 401
    assert server.get("/shutdown", headers={"X-DL-AuthToken": "reader-token"}).status_code == 403
    assert server.get("/spec/debug", headers={"X-DL-AuthToken": "admin-token"}).json() == {"debug": True}
    assert server.get("/spec/debug", headers={"X-DL-AuthToken": "admin-token"}).json() == {"debug": False}
    m = server.get("/metrics").text
    assert 'specmill_requests_total{route="/getSpec",status="200"}' in m
    assert "specmill_request_seconds_bucket" in m and "specmill_spectra_served_total" in m


def test_concurrent_clients_get_the_same_bytes(server):
    form = {"id_list": str(TUPLES), "align": "True", "format": "npz"}
    want = server.post("/getSpec", data=form).content

    def one(_):
        return server.post("/getSpec", data=form).content

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        got = list(pool.map(one, range(24)))
    assert all(g == want for g in got)


def test_sigterm_drains_and_exits(rest_store):
    cfg = rest_store / "one.json"
    cfg.write_text(json.dumps({"contexts": [{"name": "sdss_dr16", "store": "store"}]}))
    proc, port = start(cfg)
    assert requests.get(f"http://127.0.0.1:{port}/ping", timeout=10).text == "OK"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    assert "stopped" in proc.stderr.read()


def test_bad_configs_exit_2(tmp_path):
    for cfg in ["{", "[]", '{"contexts": []}', '{"contexts": [{"name": "x"}]}', '{"port": 99999, "contexts": [{"name":"x","store":"s"}]}',
                '{"contexts": [{"name":"x","store":"s","public":false}]}', '{"bogus": 1, "contexts": [{"name":"x","store":"s"}]}']:
        p = tmp_path / "c.json"
        p.write_text(cfg)
        r = run("serve", "--config", p, "--port", "0", check=False, timeout=20)
        assert r.returncode == 2, (cfg, r.stderr)


def test_query_cone_polygon_constraint(server):
    import sqlite3
    db = sqlite3.connect(f"file:{server.store / 'catalog.sqlite'}?mode=ro", uri=True)
    ra, dec, sid = db.execute("SELECT ra, dec, specobjid FROM specobjall WHERE context='sdss_dr16' AND plate=266").fetchone()
    primary = db.execute("SELECT specprimary FROM specobjall WHERE context='sdss_dr16' AND plate=266").fetchone()[0]
    sid &= 0xFFFFFFFFFFFFFFFF
    for prefix in ["", "/spec"]:
        r = server.get(prefix + "/query", params={"ra": ra, "dec": dec, "size": 0.01, "primary": "False"})
        assert r.status_code == 200, r.text
        lines = r.text.strip().split("\n")
        assert lines[0] == "specobjid" and str(sid) in lines[1:]
    r = server.post("/query", data={"ra": ra, "dec": dec, "size": 0.01, "fields": "tuple", "primary": "False"})
    assert "266,51602,13" in r.text.split("\n")
    poly = [(ra - 0.05, dec - 0.05), (ra + 0.05, dec - 0.05), (ra + 0.05, dec + 0.05), (ra - 0.05, dec + 0.05)]
    r = server.post("/query", data={"region": str(poly), "primary": "False"})
    assert str(sid) in r.text
    r = server.post("/query", json={"region": [list(v) for v in poly], "format": "json", "primary": False})
    rows = r.json()["rows"]
    assert any(row["specobjid"] == str(sid) for row in rows)
    # primary (the default) searches specobj: the row is there only when the catalog says primary
    r = server.get("/query", params={"ra": ra, "dec": dec, "size": 0.01})
    assert (str(sid) in r.text) == (primary == 1)
    r = server.post("/query", data={"constraint": "class = 'QSO'", "format": "json", "limit": 2})
    body = r.json()
    assert len(body["rows"]) <= 2 and r.headers["X-Query-More"] in ("true", "false")
    n_qso = db.execute("SELECT count(*) FROM specobj WHERE context='sdss_dr16' AND class='QSO'").fetchone()[0]
    assert body["more"] == (n_qso > 2)


@pytest.mark.parametrize("params", [
    {"constraint": "1; DROP TABLE specobjall"},
    {"constraint": "(SELECT count(*) FROM ingested_files) > 0"},
    {"constraint": "load_extension('x')"},
    {"constraint": "nope_column > 1"},
    {"constraint": "z >"},
    {"ra": 10, "dec": 95, "size": 1},
    {"ra": 10, "dec": 10, "size": 0},
    {"ra": 10, "dec": 10},
    {"region": "[(0, 0), (1, 0)]"},
    {"region": "garbage"},
    {},
    {"constraint": "1", "fields": "everything"},
    {"constraint": "1", "limit": -1},
])
def test_query_bad_requests_are_400(server, params):
    r = server.post("/query", data=params)
    assert r.status_code == 400, (params, r.status_code, r.text[:200])
    assert r.json()["message"]
