"""The REST service under hostile or careless clients (docs/reliability.md, "Service limits and
probes"): a busy port, slow and bodiless connections, header floods, bad Content-Length,
Range amplification, the request budget, clients that go away, forged access-log lines, error
text that leaks internals, and a SIGTERM with a slow reader connected. All traffic goes to
127.0.0.1; every wait is bounded."""
import json
import pathlib
import re
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, SHARED
from rest_fixture import rest_store  # noqa: F401 (fixture)

FILES = sorted((SHARED / "spectra").glob("spec-*.fits"))
# The checkout's absolute path: no reply may name it (the filters folder lives under it).
REPO_ROOT = str(pathlib.Path(__file__).resolve().parents[2])
TUPLES = [tuple(int(x) for x in f.stem.split("-")[1:]) for f in FILES]
# Thousands of IDs (the real spectra, repeated). MANY: 710 MB that take seconds to prepare, far
# over a 0.05 s budget. STREAM: 88 MB, prepared in about 0.5 s and then written at once, far
# more than the socket buffers hold.
MANY = {"id_list": [list(t) for t in TUPLES] * 500, "align": True, "values": "all", "format": "numpy"}
STREAM = {"id_list": [list(t) for t in TUPLES] * 500, "align": True, "values": "flux", "format": "numpy"}

# Short deadlines, so that the tests see them pass; the defaults are in docs/rest.md.
FAST = {"max_ids": 50000, "header_seconds": 1, "body_seconds": 1.5, "keep_alive_seconds": 1}


class Live:
    """One `specmill serve` of this module, its stderr drained into `log` by a thread."""

    def __init__(self, store_dir, name, limits, extra=()):
        config = store_dir / f"{name}.json"
        config.write_text(json.dumps({
            "contexts": [{"name": "sdss_dr16", "store": "store"},
                         {"name": "gone", "store": "no-such-store"}],
            "default_context": "sdss_dr16",
            "limits": limits,
        }))
        self.config, self.store = config, store_dir / "store"
        self.proc = subprocess.Popen([BIN, "serve", "--config", str(config), "--port", "0", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert "listening on" in line, line
        self.port = int(line.split("127.0.0.1:")[1].split()[0])
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = []
        self.drain = threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True)
        self.drain.start()

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=10, **kw)

    def post(self, path, **kw):
        return requests.post(self.url + path, timeout=30, **kw)

    def metric(self, name, reason):
        m = re.search(rf'^{name}{{reason="{reason}"}} (\d+)$', self.get("/metrics").text, re.M)
        return int(m.group(1)) if m else 0

    def wait_metric(self, name, reason, at_least, seconds=10):
        end = time.monotonic() + seconds
        while self.metric(name, reason) < at_least and time.monotonic() < end:
            time.sleep(0.05)
        return self.metric(name, reason)

    def close(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.drain.join(timeout=5)


@pytest.fixture(scope="module")
def fast(rest_store):  # noqa: F811
    live = Live(rest_store, "fast", FAST)
    yield live
    live.close()


def connect(port, data=b"", timeout=10):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    if data:
        s.sendall(data)
    return s


def read_until_closed(s, seconds):
    """Everything the server sends until it closes the connection; None if it has not by then."""
    got, end = b"", time.monotonic() + seconds
    while time.monotonic() < end:
        s.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            return got
        if not chunk:
            return got
        got += chunk
    return None


def exchange(port, data, seconds=5):
    with connect(port, data) as s:
        got = read_until_closed(s, seconds)
    assert got is not None, "the server kept the connection open"
    return got


def status_of(reply):
    return int(reply.split(b" ", 2)[1]) if reply.startswith(b"HTTP/1.1 ") else None


def ping_ms(live):
    t = time.perf_counter()
    r = live.get("/ping")
    assert r.text == "OK"
    return (time.perf_counter() - t) * 1e3


# 1. A busy port is an error, not a second server sharing it.
def test_second_server_on_a_busy_port_fails(fast):
    p = subprocess.Popen([BIN, "serve", "--config", str(fast.config), "--port", str(fast.port)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = p.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate(timeout=10)
        pytest.fail(f"a second server started on busy port {fast.port}: {out}")
    assert p.returncode != 0 and "listening" not in out
    assert f":{fast.port}" in err and "in use" in err, err
    assert all(ping_ms(fast) < 1000 for _ in range(5))  # the first one still answers every time


def test_listen_backlog_is_raised(fast):
    try:
        out = subprocess.run(["ss", "-ltnH", f"sport = :{fast.port}"], capture_output=True, text=True,
                             timeout=10).stdout
    except FileNotFoundError:
        pytest.skip("no ss here")
    backlog = int(out.split()[2])  # Send-Q of a listening socket: its backlog
    somaxconn = int(open("/proc/sys/net/core/somaxconn").read())
    assert backlog == min(1024, somaxconn), out


# 2. Slow headers, bodies that never come, idle connects: none holds a worker for long.
def test_hostile_connections_leave_ping_answering_and_are_closed(fast):
    header_timeouts = fast.metric("specmill_requests_rejected_total", "header_timeout")
    body_timeouts = fast.metric("specmill_requests_rejected_total", "body_timeout")
    slow = [connect(fast.port, b"GET /ping HTT") for _ in range(16)]
    bodiless = [connect(fast.port, b"POST /getSpec HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n")
                for _ in range(16)]
    opened = time.monotonic()
    try:
        time.sleep(0.2)  # every hostile connection is now with a worker
        latencies = sorted(ping_ms(fast) for _ in range(20))
        # 19 of 20 within 100 ms (one scheduler hiccup on a busy 2-core machine is not
        # starvation: a starved /ping does not answer at all), and none slower than 1 s
        assert latencies[-2] < 100 and latencies[-1] < 1000, latencies
        # The server closes them after header_seconds (1) / body_seconds (1.5) + slack.
        for s in slow:
            assert read_until_closed(s, 5) == b""  # no request line: nothing to answer
        for s in bodiless:
            reply = read_until_closed(s, 5)
            assert reply is not None and status_of(reply) == 408 and b"body_timeout" in reply
        closed_after = time.monotonic() - opened
        assert 0.9 < closed_after < 4, closed_after
    finally:
        for s in slow + bodiless:
            s.close()
    assert fast.wait_metric("specmill_requests_rejected_total", "header_timeout", header_timeouts + 16) >= header_timeouts + 16
    assert fast.wait_metric("specmill_requests_rejected_total", "body_timeout", body_timeouts + 16) >= body_timeouts + 16
    print(f"/ping under 32 hostile connections: max {max(latencies):.1f} ms, closed after {closed_after:.2f} s")


def test_trickled_headers_are_cut_at_the_deadline(fast):
    """Slowloris: a byte every 50 ms resets any per-read timeout; the deadline is for the whole."""
    request = b"GET /ping HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200
    with connect(fast.port) as s:
        t = time.monotonic()
        for i in range(len(request)):
            try:
                s.sendall(request[i:i + 1])
            except (BrokenPipeError, ConnectionResetError):
                break
            time.sleep(0.05)
            if time.monotonic() - t > 4:
                break
        reply = read_until_closed(s, 1)
        cut = time.monotonic() - t
    # closed by the server; the 408 may be lost to the reset that our next byte caused
    assert reply is not None and (reply == b"" or (status_of(reply) == 408 and b"header_timeout" in reply)), reply
    assert cut < 2.5, cut


def test_idle_connections_are_closed(fast):
    with connect(fast.port) as idle:  # connects and says nothing
        t = time.monotonic()
        assert read_until_closed(idle, 5) == b""
        assert 0.9 < time.monotonic() - t < 3
    with connect(fast.port, b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n") as kept:  # keep-alive, then idle
        t = time.monotonic()
        reply = read_until_closed(kept, 5)
        assert reply is not None and status_of(reply) == 200 and reply.endswith(b"OK")
        assert 0.9 < time.monotonic() - t < 3


def test_a_flood_of_idle_connects_drains_in_one_header_deadline(fast):
    """200 idle connects and 64 workers: the queued ones are past their deadline (counted from
    accept) when a worker takes them, and go at once; the /ping queued behind them is served
    although it too waited past its deadline (its request was already there)."""
    idle = [connect(fast.port) for _ in range(200)]
    try:
        t = time.monotonic()
        assert fast.get("/ping").text == "OK"
        waited = time.monotonic() - t
        assert waited < 1.8, waited
        print(f"/ping behind 200 idle connects: {waited:.2f} s")
    finally:
        for s in idle:
            s.close()


def test_expect_100_continue_without_a_body(fast):
    with connect(fast.port, b"POST /getSpec HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n"
                            b"Expect: 100-continue\r\n\r\n") as s:
        reply = read_until_closed(s, 5)
    assert reply is not None and reply.startswith(b"HTTP/1.1 100 Continue") and b" 408 " in reply


# 2b. Header floods and bad lengths are refused before anything is read.
def test_header_count_and_size_limits(fast):
    many = b"".join(b"X-H%d: 1\r\n" % i for i in range(150))
    reply = exchange(fast.port, b"GET /ping HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert status_of(reply) == 431 and b"header_limit" in reply
    big = b"".join(b"X-B%d: %s\r\n" % (i, b"b" * 7000) for i in range(10))  # 70 KB over 64 KiB
    reply = exchange(fast.port, b"GET /ping HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    assert status_of(reply) == 431
    fine = b"".join(b"X-H%d: 1\r\n" % i for i in range(50))
    reply = exchange(fast.port, b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + fine + b"\r\n")
    assert status_of(reply) == 200
    assert fast.metric("specmill_requests_rejected_total", "header_limit") >= 2


@pytest.mark.parametrize("length,status", [("-5", 400), ("abc", 400), ("1e15", 400), ("1000000000000000", 413)])
def test_bad_content_length_is_refused_unread(fast, length, status):
    head = b"POST /getSpec HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n" % length.encode()
    t = time.monotonic()
    reply = exchange(fast.port, head, seconds=5)
    assert status_of(reply) == status, reply[:200]
    assert time.monotonic() - t < 0.5  # answered at once, not after a read timeout
    # with Expect: 100-continue, refused instead of inviting the body
    reply = exchange(fast.port, head.replace(b"\r\n\r\n", b"\r\nExpect: 100-continue\r\n\r\n"), seconds=5)
    assert status_of(reply) == status and b"100 Continue" not in reply


def test_post_without_a_length_has_no_body(fast):
    """httplib would read it until the client closes; HTTP/1.1 says there is no body."""
    t = time.monotonic()
    reply = exchange(fast.port, b"POST /getSpec HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status_of(reply) == 400 and b"invalid_argument" in reply and time.monotonic() - t < 0.5
    reply = exchange(fast.port, b"POST /getSpec HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n")
    assert status_of(reply) == 400 and b"bad_transfer_encoding" in reply


@pytest.mark.parametrize("line,status", [(b"PUT /getSpec", 405), (b"DELETE /ping", 405), (b"POST /ping", 405),
                                         (b"POST /nope", 404)])
def test_bodies_no_handler_takes_are_refused_unread(fast, line, status):
    """httplib would read such a chunked body into memory, without a limit, for body_seconds."""
    t = time.monotonic()
    with connect(fast.port, line + b" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                                   b"100000\r\n" + b"x" * 65536) as s:
        reply = read_until_closed(s, 5)
    assert reply is not None and status_of(reply) == status and time.monotonic() - t < 0.5, reply


# 3. Range amplification.
def test_many_ranges_are_refused(fast):
    whole = fast.get("/openapi.json").content
    r = fast.get("/openapi.json", headers={"Range": "bytes=" + ",".join(["0-"] * 1300)})
    assert r.status_code == 416 and r.json()["error"] == "too_many_ranges" and len(r.content) < 1000
    # Range is ignored (replies are generated): the whole body, even for ranges past its end
    for few in ["bytes=0-9", "bytes=0-,0-,0-", "bytes=100000000-200000000"]:
        r = fast.get("/openapi.json", headers={"Range": few})
        assert r.status_code == 200 and r.content == whole
    r = fast.get("/nope", headers={"Range": "bytes=0-3"})
    assert r.status_code == 404 and r.json()["error"] == "no_route"
    r = fast.post("/getSpec", json={"id_list": [list(TUPLES[0])], "format": "npz"}, headers={"Range": "bytes=0-3"})
    assert r.status_code == 200 and len(r.content) > 4


# 4. The whole-request budget.
def test_request_budget_cuts_a_long_getspec(rest_store):  # noqa: F811
    live = Live(rest_store, "tight", {"max_ids": 50000, "request_budget_seconds": 0.05})
    try:
        t = time.monotonic()
        cut = False
        try:
            r = live.post("/getSpec", json=MANY, stream=True)
            if r.status_code == 503:
                assert r.json()["error"] == "over_budget" and "budget" in r.json()["message"]
            else:  # the reply had started: the stream is cut short
                assert r.status_code == 200
                for _ in r.iter_content(1 << 20):
                    pass
                pytest.fail("a getSpec over its budget came whole")
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
            cut = True
        assert time.monotonic() - t < 10
        assert live.get("/ping").text == "OK"
        assert live.wait_metric("specmill_requests_cancelled_total", "over_budget", 1) >= 1
        print(f"over budget: {'cut stream' if cut else '503'} after {time.monotonic() - t:.2f} s")
    finally:
        live.close()


# 5. A client that goes away mid-stream frees its worker.
def test_client_disconnect_frees_the_worker(fast):
    before = fast.metric("specmill_requests_cancelled_total", "client_gone")
    r = fast.post("/getSpec", json=STREAM, stream=True)
    assert r.status_code == 200
    got = 0
    for chunk in r.iter_content(65536):  # into the body, so that the server is writing
        got += len(chunk)
        if got > 1 << 20:
            break
    t = time.monotonic()
    r.close()
    assert fast.wait_metric("specmill_requests_cancelled_total", "client_gone", before + 1) >= before + 1
    print(f"stream cut {time.monotonic() - t:.3f} s after the client closed")
    assert time.monotonic() - t < 5
    assert ping_ms(fast) < 100
    assert any("cut=client_gone" in line for line in fast.log)


# 7. Error replies carry no source locations and no server paths.
def test_error_replies_name_no_source_or_paths(fast):
    bad = [
        ("post", "/getSpec", {"json": {"id_list": [list(TUPLES[0])], "cutout": "abc"}}),
        ("post", "/getSpec", {"data": {"id_list": "[(1, 2, x)]"}}),
        ("post", "/getSpec", {"json": {"id_list": [list(TUPLES[0])], "format": "nope"}}),
        ("post", "/getSpec", {"json": {"id_list": [list(TUPLES[0])], "values": "nope"}}),
        ("post", "/getSpec", {"json": {"id_list": [list(TUPLES[0])], "resample": "log:a"}}),
        ("post", "/getSpec", {"json": {"id_list": [1]}}),
        ("post", "/getSpec", {"data": b"{nope", "headers": {"Content-Type": "application/json"}}),
        ("post", "/getSpec", {"json": {"id_list": [list(TUPLES[0])], "context": "gone"}}),
        ("post", "/photometry", {"json": {"id_list": [list(TUPLES[0])], "filters": "nope"}}),
        ("get", "/photometry", {"params": {"id_list": str([TUPLES[0]]), "filters": "nope"}}),
        ("get", "/query", {"params": {"constraint": "nope(("}}),
        ("get", "/preview", {"params": {"id": "x"}}),
    ]
    for method, path, kw in bad:
        r = getattr(fast, method)(path, **kw)
        assert r.status_code >= 400, (path, kw, r.status_code)
        body = r.text
        for leak in [".cpp", ".hpp", ".cu:", REPO_ROOT, "/tmp/", str(fast.store), str(fast.config.parent)]:
            assert leak not in body, (path, kw, body)
        assert r.json()["message"], body


# 8. Access-log lines cannot be forged through the path.
def test_access_log_escapes_control_characters(fast):
    r = fast.get("/ping%0aaccess remote=evil method=GET%22")
    assert r.status_code == 404
    end = time.monotonic() + 5
    while not any("evil" in line for line in fast.log) and time.monotonic() < end:
        time.sleep(0.05)
    lines = [line for line in fast.log if "evil" in line]
    assert lines, "the request was not logged"
    assert not any(line.startswith("access remote=evil") for line in fast.log)
    assert all(line.startswith("info: access remote=127.0.0.1 ") for line in lines), lines
    assert any('path="/ping\\naccess remote=evil method=GET\\""' in line for line in lines), lines


# 9. SIGTERM cuts an in-flight stream to a client that stopped reading.
def test_sigterm_with_a_slow_reader_returns_promptly(rest_store):  # noqa: F811
    live = Live(rest_store, "stop", {"max_ids": 50000})
    try:
        body = json.dumps(STREAM).encode()
        s = connect(live.port, b"POST /getSpec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Content-Length: %d\r\n\r\n" % len(body) + body)
        s.settimeout(10)
        assert s.recv(1024).startswith(b"HTTP/1.1 200")
        time.sleep(2)  # the server prepares the data, fills the socket buffers, blocks on this reader
        t = time.monotonic()
        live.proc.send_signal(signal.SIGTERM)
        try:
            live.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pytest.fail("serve did not stop within 20 s of SIGTERM with a slow reader")
        stopped = time.monotonic() - t
        s.close()
        assert live.proc.returncode == 0 and stopped < 5, stopped
        live.drain.join(timeout=5)
        assert any("cut=shutdown" in line for line in live.log), live.log[-5:]
        print(f"SIGTERM with a slow reader: stopped in {stopped:.2f} s")
    finally:
        live.close()


def test_engine_jobs_wait_their_turn_within_their_budget(rest_store):
    """engine_jobs 1: a reader that stops reading holds the one slot; a second getSpec waits for
    it within its own budget and gets 503 over_budget; light routes (/ping, /query) never wait."""
    live = Live(rest_store, "gate", dict(FAST, engine_jobs=1, request_budget_seconds=2, request_seconds=6))
    try:
        hog = socket.create_connection(("127.0.0.1", live.port))
        body = json.dumps(STREAM).encode()
        hog.sendall(b"POST /getSpec HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                    % len(body) + body)
        hog.recv(4096)  # the reply has started: the slot is held, and nobody reads the rest
        t0 = time.monotonic()
        r = live.post("/getSpec", data={"id_list": str(TUPLES[:2]), "align": "True"})
        waited = time.monotonic() - t0
        assert r.status_code == 503 and r.json()["error"] == "over_budget", r.text
        assert 1.0 < waited < 5.0
        t0 = time.monotonic()
        assert live.get("/ping").text == "OK" and time.monotonic() - t0 < 0.5
        assert live.get("/query", params={"ra": 180, "dec": 30, "size": 60}).status_code == 200
        hog.close()
        # the slot comes back: the next job runs
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = live.post("/getSpec", data={"id_list": str(TUPLES[:2]), "align": "True"})
            if r.status_code == 200:
                break
            time.sleep(0.2)
        assert r.status_code == 200
    finally:
        live.close()


def test_request_budget_cuts_stack_and_image_jobs_inside_their_loops(rest_store):  # noqa: F811
    """Stack, stackedImage and photometry check the budget between their windows too: over a
    0.2 s budget, 5,000 IDs (50,000 for photometry; the real files repeated) are a 503 (or a cut stream), fast."""
    live = Live(rest_store, "tight-jobs", {"max_ids": 100000, "request_budget_seconds": 0.2})
    ids = [list(t) for t in TUPLES] * 500
    try:
        for route, body in [("/stack", {"id_list": ids, "method": "median"}),
                            ("/stackedImage", {"id_list": ids, "fmt": "numpy"})]:
            t = time.monotonic()
            r = live.post(route, json=body)
            assert r.status_code == 503 and r.json()["error"] == "over_budget", (route, r.status_code, r.text[:200])
            # The 503 is the test; the time bound only catches a job left running. Unloaded the
            # cut comes in ~1.3 s; CI's -j2 run under load once took 5.06 s, so 15 s.
            assert time.monotonic() - t < 15, route
        t = time.monotonic()
        try:
            # Photometry runs ~25,000 spectra/s here since the performance work: 5,000 IDs could
            # finish inside 0.2 s, so it gets ten times as many.
            r = live.post("/photometry", json={"id_list": ids * 10}, stream=True)
            if r.status_code == 200:
                for _ in r.iter_content(1 << 16):
                    pass
                pytest.fail("photometry over its budget came whole")
            assert r.status_code == 503
        except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError):
            pass
        assert time.monotonic() - t < 15  # as above: a bound for a job left running, not a speed
        assert live.get("/ping").text == "OK"
    finally:
        live.close()
