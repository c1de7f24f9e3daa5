"""The web page's files at /ui: content types, caching, deep-link fallback, no way out of the
folder (raw and encoded ..), the service's method rules and metrics, and the ui_dir key."""
import json
import os
import pathlib
import socket

import pytest
import requests

from rest_fixture import rest_store, server, start  # noqa: F401


def raw_get(port, target):
    """Sends the request line as given (requests and curl would normalise the dots away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def test_page_and_assets_have_types_and_caching(server):
    r = server.get("/ui")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["Cache-Control"] == "no-cache"
    assert '<base href="/ui/">' in r.text
    for path, ctype, cache in [("/ui/app.js", "text/javascript; charset=utf-8", "no-cache"),
                               ("/ui/style.css", "text/css; charset=utf-8", "no-cache"),
                               ("/ui/vendor/uPlot.iife.min.js", "text/javascript; charset=utf-8", "public, max-age=86400")]:
        a = server.get(path)
        assert a.status_code == 200, path
        assert a.headers["Content-Type"] == ctype
        assert a.headers["Cache-Control"] == cache
        assert a.headers["X-Content-Type-Options"] == "nosniff"
        again = server.get(path, headers={"If-None-Match": a.headers["ETag"]})
        assert again.status_code == 304 and again.content == b""
    head = requests.head(server.url + "/ui/app.js", timeout=10)
    assert head.status_code == 200 and head.content == b""


def test_deep_links_get_the_page_and_missing_files_404(server):
    index = server.get("/ui").text
    for path in ["/ui/", "/ui/spectrum/7201313360318844928", "/ui/stack", "/spec/ui", "/spec/ui/spectrum/1"]:
        r = server.get(path)
        assert r.status_code == 200 and r.text == index, path
    r = server.get("/ui/missing.js")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    assert server.get("/uix").status_code == 404


@pytest.mark.parametrize("target", [
    "/ui/../../etc/passwd", "/ui/..", "/ui/../..", "/ui/%2e%2e/%2e%2e/etc/passwd", "/ui/..%2f..%2fetc%2fpasswd",
    "/ui/vendor/../../../CMakeCache.txt", "/ui/.stamp", "/ui/./index.html", "/ui//etc/passwd", "/ui/%5c..%5cetc",
    "/ui/a%00.js", "/spec/ui/../../../etc/passwd"])
def test_no_way_out_of_the_folder(server, target):
    status, body = raw_get(server.port, target)
    assert status in (400, 404), (target, status)
    assert b"root:" not in body and b"CMAKE" not in body
    assert json.loads(body)["error"] in ("invalid_argument", "not_found", "no_route")


def test_methods_and_metrics(server):
    r = server.post("/ui/app.js", data="x")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"
    server.get("/ui/app.js")
    metrics = server.get("/metrics").text
    assert 'route="/ui"' in metrics
    assert "app.js" not in metrics  # one label for the whole page, never a client's path


def test_page_is_public_but_data_keeps_its_token(server):
    # The page is static; a protected context's data still needs the token.
    assert server.get("/ui?context=private_dr16").status_code == 200
    assert server.get("/contexts", params={"context": "private_dr16"}).status_code == 401


def test_ui_dir_key(rest_store, tmp_path):
    page = tmp_path / "page"
    page.mkdir()
    (page / "index.html").write_text("<p>custom</p>")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    os.symlink(outside, page / "leak.txt")
    config = tmp_path / "service.json"
    config.write_text(json.dumps({"contexts": [{"name": "sdss_dr16", "store": str(rest_store / "store")}],
                                  "ui_dir": "page"}))  # relative to the config file
    proc, port = start(config)
    try:
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/ui/spectrum/1", timeout=10).text == "<p>custom</p>"
        leak = requests.get(url + "/ui/leak.txt", timeout=10)
        assert leak.status_code == 404 and "secret" not in leak.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    config.write_text(json.dumps({"contexts": [{"name": "sdss_dr16", "store": str(rest_store / "store")}],
                                  "ui_dir": str(tmp_path / "nothing-here")}))
    proc, port = start(config)
    try:
        r = requests.get(f"http://127.0.0.1:{port}/ui", timeout=10)
        assert r.status_code == 404 and "not installed" in r.json()["message"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_openapi_lists_the_page_and_the_committed_document_is_current(server):
    spec = server.get("/openapi.json").json()
    assert spec["paths"]["/ui"]["get"]["responses"]["200"]["content"] == {"text/html": {}}
    (file_param,) = spec["paths"]["/ui/{file}"]["get"]["parameters"]
    assert file_param["in"] == "path" and file_param["required"] is True
    # docs/openapi.json is what `specmill openapi` prints: regenerate it when the routes change.
    from conftest import run
    committed = pathlib.Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
    assert json.loads(committed.read_text()) == json.loads(run("openapi").stdout) == spec
