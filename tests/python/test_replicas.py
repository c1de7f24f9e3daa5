"""Three `specmill serve` replicas over one store and one PostgreSQL catalog behind Debian's
nginx (docs/deploy.md's configuration, on loopback ports, nginx -p a temp prefix, no daemon).
16 client threads send 2,000 mixed requests (health, /query by constraint and by cone, getSpec
npz by POST, listSpan) while one replica, then another, is killed with SIGKILL and restarted:
every reply must be byte-identical to the one the replicas gave before the chaos, and none may
be lost (nginx retries on the next upstream). nginx's access log shows the retries."""
import hashlib
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest
import requests

from conftest import BIN, SHARED, run
from pg_fixture import pg_url  # noqa: F401  (the fixture)

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
CLIENTS = 16
REQUESTS = 2000

# docs/deploy.md holds the same configuration with production ports; keep the two alike.
NGINX_CONF = """
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  log_format upstreamlog '$request_method $uri $status $upstream_addr $upstream_status';
  access_log {prefix}/access.log upstreamlog;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  client_max_body_size 10m;
  client_body_buffer_size 1m;

  upstream specmill {{
    {servers}
    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{port};
    location = /shutdown {{ return 403; }}
    location /debug {{ return 403; }}
    location / {{
      proxy_pass http://specmill;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_connect_timeout 1s;
      proxy_read_timeout 120s;
      proxy_next_upstream error timeout http_502 http_503 non_idempotent;
      proxy_next_upstream_tries 3;
      proxy_buffering on;
      proxy_buffers 64 64k;
      proxy_max_temp_file_size 0;
    }}
  }}
}}
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_health(port, timeout=20):
    end = time.time() + timeout
    while time.time() < end:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.05)
    raise AssertionError(f"port {port}: no /health")


def start_replica(store, port):
    log = open(store.parent / f"replica-{port}.log", "ab")  # a pipe nobody reads would block it
    proc = subprocess.Popen([BIN, "serve", "--store", str(store), "--port", str(port), "--threads", "16"],
                            stdout=subprocess.DEVNULL, stderr=log)
    wait_health(port)
    return proc


@pytest.fixture(scope="module")
def deployment(tmp_path_factory, pg_url):  # noqa: F811
    if not os.path.exists(NGINX):
        pytest.skip("nginx not installed (scripts/install-deps.sh installs nginx-light)")
    d = tmp_path_factory.mktemp("replicas")
    store = d / "store"
    run("ingest", "--store", store, "--catalog", SHARED / "catalogs" / "spAll-plate3655.fits", SHARED / "spectra")
    run("catalog", "export", "--store", store, "--postgres", pg_url)
    run("store", "set-catalog", "--store", store, pg_url)
    ports = [free_port() for _ in range(3)]
    replicas = {p: start_replica(store, p) for p in ports}
    prefix = d / "nginx"
    prefix.mkdir()
    nport = free_port()
    servers = "\n    ".join(f"server 127.0.0.1:{p} max_fails=1 fail_timeout=1s;" for p in ports)
    (prefix / "nginx.conf").write_text(NGINX_CONF.format(prefix=prefix, port=nport, servers=servers))
    nginx = subprocess.Popen([NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"],
                             stderr=subprocess.PIPE)
    try:
        wait_health(nport)
    except AssertionError:
        nginx.kill()
        raise AssertionError("nginx did not start: " + nginx.stderr.read().decode())
    state = {"store": store, "ports": ports, "replicas": replicas, "nginx_port": nport, "prefix": prefix}
    yield state
    nginx.send_signal(signal.SIGQUIT)
    nginx.wait(timeout=30)
    for proc in state["replicas"].values():
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def requests_mix():
    """(name, method, path, kwargs): reads the original clients make."""
    tuples = []
    for f in sorted((SHARED / "spectra").glob("spec-*.fits")):
        plate, mjd, fiber = f.stem.split("-")[1:]
        tuples.append([int(plate), int(mjd), int(fiber)])
    return [
        ("query", "GET", "/query", {"params": {"cond": "class = 'QSO' ORDER BY z DESC limit 20"}}),
        ("cone", "GET", "/query", {"params": {"cond": "q3c_radial_query(ra,dec,213.3512,53.0908,0.01)"}}),
        ("getspec", "POST", "/getSpec", {"json": {"id_list": tuples[:4], "format": "npz", "values": "flux,ivar"}}),
        ("aligned", "POST", "/getSpec", {"json": {"id_list": tuples, "format": "npz", "align": True,
                                                   "values": "flux"}}),
        ("span", "GET", "/listSpan", {"params": {"id_list": str([tuple(t) for t in tuples[:5]])}}),
    ]


def send(session, base, req):
    _, method, path, kw = req
    return session.request(method, base + path, timeout=60, **kw)


def test_replicas_behind_nginx_lose_no_request_while_one_is_killed(deployment):
    mix = requests_mix()
    # What every replica answers when nothing goes wrong: the reference for each reply.
    expected = {}
    for req in mix:
        bodies = {send(requests, f"http://127.0.0.1:{p}", req).content for p in deployment["ports"]}
        assert len(bodies) == 1, req[0]
        expected[req[0]] = hashlib.sha256(bodies.pop()).hexdigest()
    base = f"http://127.0.0.1:{deployment['nginx_port']}"
    failures, done = [], []
    lock = threading.Lock()
    counter = iter(range(REQUESTS))

    def client():
        s = requests.Session()
        for i in counter:
            req = mix[i % len(mix)] if i % 10 else ("health", "GET", "/health", {})
            try:
                r = send(s, base, req)
                ok = r.status_code == 200 and (
                    r.json()["status"] == "ok" if req[0] == "health" else
                    hashlib.sha256(r.content).hexdigest() == expected[req[0]])
                why = f"{r.status_code} {r.content[:200]!r}"
            except Exception as e:  # a lost request: connection error, truncated body
                ok, why = False, repr(e)
            with lock:
                (done if ok else failures).append((i, req[0], why))

    def chaos():
        # Kill one replica hard, bring it back on the same port, then another.
        for victim in deployment["ports"][1:]:
            time.sleep(1.0)
            proc = deployment["replicas"][victim]
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            time.sleep(1.0)
            deployment["replicas"][victim] = start_replica(deployment["store"], victim)

    t0 = time.time()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)] + [threading.Thread(target=chaos)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - t0
    assert not failures, failures[:10]
    assert len(done) == REQUESTS
    log = (deployment["prefix"] / "access.log").read_text().splitlines()
    retried = [line for line in log if "," in line.split(" ", 3)[3]]  # "addr1, addr2": tried twice
    print(f"{REQUESTS} requests from {CLIENTS} clients in {elapsed:.1f} s; {len(retried)} retried on another "
          "replica by nginx")
    # Afterwards nginx spreads requests over all three again (the restarted ones included).
    before = len(log)
    for _ in range(30):
        assert requests.get(base + "/health", timeout=10).status_code == 200
    time.sleep(0.2)
    later = (deployment["prefix"] / "access.log").read_text().splitlines()[before:]
    for p in deployment["ports"]:
        assert any(f"127.0.0.1:{p} 200" in line for line in later), (p, later[:5])
