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

from conftest import BIN, run, SHARED
from rest_fixture import rest_store, server, start  # noqa: F401 (fixtures)
from test_roundtrip_real import coadd

FILES = sorted((SHARED / "spectra").glob("spec-*.fits"))
TUPLES = [tuple(int(x) for x in f.stem.split("-")[1:]) for f in FILES]


def test_small_endpoints_at_both_prefixes(server):
    for prefix in ["", "/spec"]:
        assert server.get(prefix + "/ping").text == "OK"
        assert server.get(prefix + "/available").text == "True"
        assert "specmill" in server.get(prefix + "/").text
        assert set(server.get(prefix + "/contexts", params={"format": "json"}).json()) == {"sdss_dr16"}
        ctx = server.get(prefix + "/contexts", params={"format": "json"}, headers={"X-DL-AuthToken": "reader-token"}).json()
        assert set(ctx) == {"sdss_dr16", "private_dr16"}
        assert ctx["sdss_dr16"]["id_main"] == "specobjid" and ctx["private_dr16"]["public"] is False
        assert server.get(prefix + "/contexts", params={"context": "sdss_dr16"}).json()["redshift"] == "z"
        # The store's native pixel grid: the SDSS lattice (core/native_grid.hpp, docs/store-format.md).
        assert ctx["sdss_dr16"]["native_grid"] == "log10:1e-4"
        assert server.get(prefix + "/contexts", params={"context": "sdss_dr16"}).json()["native_grid"] == "log10:1e-4"
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


def png_size(data):
    assert data[:8] == b"\x89PNG\r\n\x1a\n", data[:40]
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_preview_grid_and_stacked_image(server):
    for prefix in ["", "/spec"]:
        r = server.get(prefix + "/preview", params={"id": "%d,%d,%d" % TUPLES[0]})
        assert r.status_code == 200 and r.headers["Content-Type"] == "image/png"
        assert png_size(r.content) == (400, 100)  # the original's default size
    r = server.get("/preview", params={"id": "%d,%d,%d" % TUPLES[1], "width": 800, "height": 300, "lines": "True", "sky": "True"})
    assert png_size(r.content) == (800, 300)
    for route in ["/plotGrid", "/gridPlot"]:
        r = server.post(route, data={"id_list": str(TUPLES), "nx": 2, "ny": 2, "page": 2, "width": 200, "height": 80})
        assert r.status_code == 200, r.text[:200]
        assert png_size(r.content) == (400, 160) and r.headers["X-Grid-Pages"] == "3"  # 10 IDs, 4 a page
    assert server.post("/plotGrid", data={"id_list": str(TUPLES), "nx": 2, "ny": 2, "page": 3}).status_code == 400
    r = server.post("/stackedImage", data={"id_list": str(TUPLES), "thickness": 3, "cmap": "viridis", "yflip": "True"})
    assert r.status_code == 200 and png_size(r.content)[1] == 30
    r = server.post("/stackedImage", data={"id_list": str(TUPLES), "fmt": "numpy", "cutout": "6500-6600"})
    img = np.load(io.BytesIO(r.content), allow_pickle=False)
    assert img.dtype == np.float32 and img.shape[0] == 10
    # first ID at the bottom: row 9 of the image is TUPLES[0]
    cols, _, _ = coadd(FILES[0])
    lam = 10 ** cols["loglam"].astype(np.float64)
    inside = cols["flux"][(lam >= 6500) & (lam <= 6600) & (cols["ivar"] > 0)]
    assert np.allclose(np.sort(img[9][np.isfinite(img[9])]), np.sort(inside))


@pytest.mark.parametrize("path,params", [
    ("/preview", {}),
    ("/preview", {"id": "%d,%d,%d" % TUPLES[0], "width": 10}),
    ("/preview", {"id": "[1, 2]"}),
    ("/stackedImage", {"id_list": "[(266,51602,13)]", "cmap": "rainbow"}),
    ("/stackedImage", {"id_list": "[(266,51602,13)]", "scale": "log"}),
    ("/stackedImage", {"id_list": "[(266,51602,13)]", "fmt": "gif"}),
    ("/stackedImage", {"id_list": "[(266,51602,13)]", "range": "5,1"}),
    ("/plotGrid", {"id_list": "[(266,51602,13)]", "nx": 0}),
])
def test_render_bad_requests_are_400(server, path, params):
    r = server.post(path, data=params)
    assert r.status_code == 400, (path, params, r.status_code, r.text[:200])
    assert r.json()["message"]


def test_render_unknown_ids_are_404(server):
    assert server.get("/preview", params={"id": "1"}).status_code == 404
    assert server.post("/stackedImage", data={"id_list": "[1, 2]"}).status_code == 404


def test_stack_endpoint(server):
    r = server.post("/stack", data={"id_list": str(TUPLES), "method": "median", "format": "npz"})
    assert r.status_code == 200, r.text[:300]
    z = np.load(io.BytesIO(r.content))
    assert z["flux"].shape == z["wavelength"].shape == z["n"].shape
    assert z["n"].max() <= 10 and z["n"].max() >= 5
    # the same stack through the CLI gives the same numbers
    ids = server.store.parent / "stack_ids.txt"
    ids.write_text("\n".join("%d,%d,%d" % t for t in TUPLES) + "\n")
    out = server.store.parent / "stack.npz"
    run("stack", "--store", server.store, "--ids", ids, "--method", "median", "--out", out)
    cli = np.load(out)
    assert np.array_equal(cli["flux"], z["flux"], equal_nan=True) and np.array_equal(cli["n"], z["n"])
    r = server.post("/stack", json={"id_list": [list(t) for t in TUPLES], "grid": "lin:4000,5000,2", "format": "csv"})
    assert r.status_code == 200 and r.text.count("\n") >= 500
    for bad in [{"method": "mode"}, {"grid": "log:3600,9000,1e-4"}, {"normalize_band": "../x"}, {"sigma": "0.5", "method": "clipped_mean"},
                {"mask_bits": "NOT_A_BIT"}, {"format": "png"}]:
        r = server.post("/stack", data={"id_list": str(TUPLES), **bad})
        assert r.status_code == 400, (bad, r.status_code, r.text[:200])


def test_serve_chooses_the_backend_once(rest_store):
    """--device auto|cpu|cuda (or the config's "device") is resolved at start-up and named on the
    listening line; cuda without a usable device, or an unknown name, is a start-up error."""
    p = subprocess.Popen([BIN, "serve", "--store", str(rest_store / "store"), "--port", "0",
                          "--device", "cpu"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = p.stdout.readline()
        assert "listening on" in line and line.rstrip().endswith("on cpu"), line
    finally:
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
    bad = subprocess.run([BIN, "serve", "--store", str(rest_store / "store"), "--port", "0",
                          "--device", "gpu"], capture_output=True, text=True, timeout=30)
    assert bad.returncode != 0 and "unknown device 'gpu'" in bad.stderr
    auto = subprocess.Popen([BIN, "serve", "--store", str(rest_store / "store"), "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = auto.stdout.readline()
        assert line.rstrip().endswith(("on cpu", "on cuda")), line
    finally:
        auto.send_signal(signal.SIGTERM)
        auto.wait(timeout=30)


def test_out_of_range_numbers_in_config_exit_2(tmp_path):
    """fuzz/fuzz_config: "port": 7e119 was converted to int by a plain cast (undefined
    behaviour under UBSan), and "max_ids": -1 wrapped to 2^64 - 1. Both are refused now."""
    ctx = '"contexts": [{"name":"x","store":"s"}]'
    for field in ['"port": 7e119', '"port": 4294967296', '"threads": -1e30', '"threads": 2.5e9',
                  '"limits": {"max_ids": -1}', '"limits": {"max_body_bytes": 1e300}',
                  '"limits": {"max_query_rows": 9.3e18}']:
        p = tmp_path / "c.json"
        p.write_text("{" + field + ", " + ctx + "}")
        r = run("serve", "--config", p, "--port", "0", check=False, timeout=20)
        assert r.returncode == 2 and "out of range" in r.stderr, (field, r.returncode, r.stderr)
