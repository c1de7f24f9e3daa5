"""The Python client's common interface against a live server: getClient, isAlive, the service
URL, contexts, profiles, catalogs; tokens; every error class with the server's message; both
transports (requests and the standard library)."""
import http.server
import json
import subprocess
import sys
import threading

import numpy as np
import pytest

from client_fixture import (ADMIN_TOKEN, PRIVATE_TOKEN, client_env, client_store, real_tuples, server,  # noqa: F401
                            spec)

from specmill import client as spec_module
from specmill import errors
from specmill.client import SpecClient, getClient


def test_module_level_common_interface(spec, server):
    assert spec.isAlive() is True
    assert spec.isAlive(server.url, timeout=2) is True
    assert spec.isAlive("http://127.0.0.1:1") is False
    assert spec.get_svc_url() == server.url
    spec.set_svc_url(server.url + "/spec/")  # the original prefix works too
    assert spec.get_svc_url() == server.url + "/spec" and spec.isAlive()
    spec.set_svc_url(server.url)
    with pytest.raises(errors.InvalidArgumentError):
        spec.set_svc_url("ftp://x")

    assert spec.get_context() == "sdss_dr16"
    spec.set_context("private_dr16")
    assert spec.get_context() == "private_dr16"
    spec.set_context("sdss_dr16")
    with pytest.raises(errors.InvalidArgumentError):
        spec.set_context("")
    assert spec.get_profile() == "default"
    spec.set_profile("default")

    text = spec.list_contexts()
    # a private context is listed only to a request that carries one of its tokens
    assert "sdss_dr16: real and sample spectra" in text and "private_dr16" not in text
    assert "private_dr16" in spec.list_contexts(token=PRIVATE_TOKEN)
    ctxs = spec.list_contexts(fmt="json", token=PRIVATE_TOKEN)
    assert set(ctxs) == {"sdss_dr16", "private_dr16"} and ctxs["sdss_dr16"]["id_main"] == "specobjid"
    assert spec.list_contexts("sdss_dr16", fmt="json")["redshift"] == "z"
    assert spec.list_contexts(context="sdss_dr16", fmt="csv") == "sdss_dr16,real and sample spectra\n"

    assert spec.list_profiles() == "default: test profile\n"
    assert spec.list_profiles(fmt="json") == {"default": "test profile"}
    assert spec.list_profiles("default", fmt="csv") == "default,test profile\n"

    # the spectrum tables and the value-added catalog the fixture registered with `catalog add`
    assert spec.catalogs() == "emissionlinesport\nspecobj\nspecobjall\n"
    assert spec.catalogs(context="sdss_dr16", profile="default") == "emissionlinesport\nspecobj\nspecobjall\n"
    assert set(spec.catalogs(fmt="json")) == {"emissionlinesport", "specobj", "specobjall"}


def test_client_object(server):
    c = getClient(context="sdss_dr16", profile="default", svc_url=server.url)
    assert isinstance(c, SpecClient) and isinstance(c, spec_module.specClient)
    assert c.get_context() == "sdss_dr16" and c.get_profile() == "default" and c.get_svc_url() == server.url
    assert c.isAlive() and "sdss_dr16" in c.list_contexts()
    one = c.getSpec(real_tuples()[0])
    assert one.ndim == 1 and one.dtype.names[:2] == ("flux", "loglam")
    # the object is independent of the module's default client
    c.set_context("private_dr16")
    assert c.get_context() == "private_dr16" and spec_module.sp_client is not c
    assert "svc_url" in repr(c)


def test_default_url_and_token_from_environment(server):
    code = ("from specmill import client as c; "
            "print(c.DEF_SERVICE_URL, c.get_svc_url(), c.sp_client.token, c.isAlive())")
    env = client_env(server)
    env["SPECMILL_SVC_URL"] = "http://example.invalid:1234/"
    env["SPECMILL_AUTH_TOKEN"] = "env-token"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["http://example.invalid:1234", "http://example.invalid:1234", "env-token", "False"]
    env = client_env(server)
    for k in ("SPECMILL_SVC_URL", "SPECMILL_AUTH_TOKEN", "DL_AUTH_TOKEN"):
        env.pop(k, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[:3] == ["http://127.0.0.1:6998", "http://127.0.0.1:6998", "None"]
    env["SPECMILL_SVC_URL"] = server.url
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split()[-1] == "True"


def test_tokens(server, monkeypatch):
    t = real_tuples()[0]
    c = getClient("private_dr16", svc_url=server.url)
    with pytest.raises(errors.AuthenticationError) as e:
        c.getSpec(t)
    assert e.value.status == 401 and e.value.kind == "unauthorized" and e.value.message
    with pytest.raises(errors.AuthenticationError) as e:
        c.getSpec(t, token="wrong")
    assert e.value.status == 403 and isinstance(e.value, PermissionError)
    assert c.getSpec(t, token=PRIVATE_TOKEN).shape == (3838,)
    assert c.getSpec(t, token=ADMIN_TOKEN).shape == (3838,)
    assert getClient("private_dr16", svc_url=server.url, token=PRIVATE_TOKEN).getSpec(t).shape == (3838,)
    monkeypatch.setenv("SPECMILL_AUTH_TOKEN", PRIVATE_TOKEN)
    assert getClient("private_dr16", svc_url=server.url).getSpec(t).shape == (3838,)
    # a context given per call overrides the client's
    assert getClient("sdss_dr16", svc_url=server.url).getSpec(t, context="private_dr16",
                                                             token=PRIVATE_TOKEN).shape == (3838,)


@pytest.mark.parametrize("use_requests", [True, False])
def test_errors_carry_the_server_message(server, use_requests):
    c = SpecClient("sdss_dr16", svc_url=server.url, use_requests=use_requests)
    t = real_tuples()[0]
    cases = [
        (lambda: c.getSpec(t, cutout="7200-6500"), errors.InvalidArgumentError, 400, "invalid_argument"),
        (lambda: c.getSpec(t, values="flux,nope"), errors.InvalidArgumentError, 400, "invalid_argument"),
        (lambda: c.getSpec(t, w0=3.6), errors.InvalidArgumentError, 400, "invalid_argument"),
        (lambda: c.getSpec(list(range(1, 6000))), errors.InvalidArgumentError, 400, "invalid_argument"),
        (lambda: c.getSpec("1\n" * 100000), errors.InvalidArgumentError, 413, "too_large"),
        (lambda: c.getSpec([1, 2]), errors.NotFoundError, 404, "not_found"),
        (lambda: c.getSpec(t, context="nope"), errors.NotFoundError, 404, "not_found"),
        (lambda: c.list_contexts("nope"), errors.NotFoundError, 404, "not_found"),
        (lambda: c.list_profiles("nope"), errors.NotFoundError, 404, "not_found"),
        (lambda: c.list_contexts(fmt="xml"), errors.InvalidArgumentError, 400, "invalid_argument"),
        (lambda: c.getSpec(t, context="private_dr16"), errors.AuthenticationError, 401, "unauthorized"),
    ]
    for call, cls, status, kind in cases:
        with pytest.raises(cls) as e:
            call()
        assert e.value.status == status and e.value.kind == kind, (e.value.status, e.value.kind, str(e.value))
        assert str(e.value) == e.value.message and len(e.value.message) > 5
        assert isinstance(e.value, errors.SpecmillError)
    with pytest.raises(errors.InvalidArgumentError) as e:
        c.getSpec(t, cutout="7200-6500")
    assert "7200" in str(e.value) or "cutout" in str(e.value)
    # the builtin bases
    assert issubclass(errors.InvalidArgumentError, ValueError) and issubclass(errors.NotFoundError, LookupError)
    assert issubclass(errors.ConnectionError, ConnectionError) and issubclass(errors.ServerError, RuntimeError)


@pytest.mark.parametrize("use_requests", [True, False])
def test_connection_errors(use_requests):
    c = SpecClient("sdss_dr16", svc_url="http://127.0.0.1:1", use_requests=use_requests)
    with pytest.raises(errors.ConnectionError) as e:
        c.getSpec(299492975510054912)
    assert e.value.status is None and "127.0.0.1:1" in str(e.value)
    assert c.isAlive() is False


def test_client_side_argument_errors(spec):
    t = real_tuples()[0]
    for call in [lambda: spec.getSpec(t, fmt="pickle"),
                 lambda: spec.getSpec(None),
                 lambda: spec.getSpec([]),
                 lambda: spec.getSpec("vos://myspec/ids.txt"),
                 lambda: spec.getSpec(t, out="vos://myspec/"),
                 lambda: spec.getSpec(t, fmt="pandas", out="/tmp/x"),
                 lambda: spec.getSpec("not an id"),
                 lambda: spec.getSpec([(1, 2, 3, 4, 5)]),
                 lambda: spec.getSpec({"a": 1}),
                 lambda: spec.getSpec(t, cutout=6500),
                 lambda: spec.getSpec([True]),
                 lambda: spec.stackedImage([t], fmt="jpeg"),
                 lambda: spec.photometry([t], fmt="xml"),
                 lambda: spec.preview([t, t]),
                 lambda: spec.query()]:
        with pytest.raises(errors.InvalidArgumentError):
            call()
    with pytest.raises(NotImplementedError):
        spec.prospect(t)


class _Stub(http.server.BaseHTTPRequestHandler):
    """Answers 500/502/503 and a chunked body cut short, for the client's 5xx and broken-transfer
    paths (the specmill server answers bad requests with 4xx, never 5xx)."""

    def log_message(self, *a):
        pass

    seen = {}  # path -> requests received

    def _answer(self):
        n = _Stub.seen[self.path] = _Stub.seen.get(self.path, 0) + 1
        if self.path.startswith("/short") or (self.path.startswith("/flaky") and n == 1):
            # Content-Length promises 256 bytes; 64 come, then the connection closes (a replica
            # killed mid-reply). /flaky does it once, then answers whole.
            self.send_response(200)
            self.send_header("Content-Length", "256")
            self.end_headers()
            self.wfile.write(b"y" * 64)
            self.wfile.flush()
            self.close_connection = True
            return
        if self.path.startswith("/flaky"):
            self.send_response(200)
            self.send_header("Content-Length", "256")
            self.end_headers()
            self.wfile.write(b"z" * 256)
            return
        if self.path.startswith("/cut"):
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"100\r\n" + b"x" * 64)  # promises 256 bytes, sends 64, closes
            self.wfile.flush()
            self.close_connection = True
            return
        status = int(self.path.strip("/").split("/")[0].split("?")[0] or 500)
        body = json.dumps({"error": "internal", "message": "the disk is on fire"}).encode() if status == 500 else b"Bad Gateway"
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 500 else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer


@pytest.fixture
def stub():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    th = threading.Thread(target=srv.serve_forever, daemon=True)
    th.start()
    yield "http://127.0.0.1:%d" % srv.server_address[1]
    srv.shutdown()
    srv.server_close()


@pytest.mark.parametrize("use_requests", [True, False])
def test_server_errors_and_cut_transfers(stub, use_requests):
    c = SpecClient(svc_url=stub + "/500", use_requests=use_requests)
    with pytest.raises(errors.ServerError) as e:
        c.getSpec(1)
    assert e.value.status == 500 and e.value.message == "the disk is on fire" and e.value.kind == "internal"
    c.set_svc_url(stub + "/502")
    with pytest.raises(errors.ServerError) as e:
        c.list_contexts()
    assert e.value.status == 502 and "Bad Gateway" in e.value.message
    assert c._t.resent == 2, "a gateway error is sent again twice, then raised"
    c.set_svc_url(stub + "/cut")
    with pytest.raises(errors.ConnectionError) as e:
        c.getSpec(1)
    assert "broke off" in str(e.value)


@pytest.mark.parametrize("use_requests", [True, False])
def test_cut_replies_are_sent_again(stub, use_requests):
    """A reply shorter than its Content-Length is a cut transfer, not a short body (Debian's
    urllib3 1.26 hands it back without an error); a read cut once comes whole on the resend;
    one cut every time raises after Transport.resends."""
    from specmill._http import Transport
    t = Transport(stub, use_requests=use_requests)
    key = "/flaky-%s" % use_requests
    r = t.request("GET", key)
    assert bytes(r.content) == b"z" * 256 and _Stub.seen[key] == 2 and t.resent == 1
    key = "/short-%s" % use_requests
    with pytest.raises(errors.ConnectionError) as e:
        t.request("GET", key)
    assert "64 of 256 bytes" in str(e.value) or "broke off" in str(e.value)
    assert _Stub.seen[key] == 1 + t.resends and t.resends == 2
    t0 = Transport("http://127.0.0.1:1", use_requests=use_requests, resends=0)
    with pytest.raises(errors.ConnectionError):
        t0.request("GET", "/contexts")
    assert t0.resent == 0


def test_standard_library_transport_gets_the_same_arrays(server):
    ids = real_tuples()[:4]
    a = SpecClient("sdss_dr16", svc_url=server.url, use_requests=True).getSpec(ids, align=True)
    b = SpecClient("sdss_dr16", svc_url=server.url, use_requests=False).getSpec(ids, align=True)
    assert a.shape == b.shape and np.array_equal(a, b)
    assert "sdss_dr16" in SpecClient(svc_url=server.url, use_requests=False).list_contexts()


def test_debug_prints_each_request(spec, capsys):
    spec.list_contexts(debug=True)
    spec.getSpec(real_tuples()[0], debug=True)
    err = capsys.readouterr().err
    assert "specmill: GET " in err and "/contexts" in err and "specmill: POST " in err and "/getSpec" in err
    spec.list_contexts()
    assert capsys.readouterr().err == ""
