"""getSpec throughput through nginx in front of 1 and of 3 `specmill serve` replicas (one store,
one PostgreSQL catalog), in one run: CLIENTS threads post the same 10-spectrum aligned getSpec
for SECONDS each way; replies/s and MB/s. Reuses the replica test's deployment code.

  SPECMILL_BIN=build/bin/specmill SPECMILL_SHARED_DATA=../shared/data python3 bench/api/rest/replicas_bench.py
"""
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = pathlib.Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[3] / "tests" / "python"))
import test_replicas as t  # noqa: E402
from conftest import SHARED, run  # noqa: E402

CLIENTS, SECONDS = 16, 8


def measure(base, req):
    stop = time.time() + SECONDS
    counts = []
    lock = threading.Lock()

    def client():
        s, n, nbytes = requests.Session(), 0, 0
        while time.time() < stop:
            r = t.send(s, base, req)
            assert r.status_code == 200
            n, nbytes = n + 1, nbytes + len(r.content)
        with lock:
            counts.append((n, nbytes))

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    t0 = time.time()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    dt = time.time() - t0
    return sum(c[0] for c in counts) / dt, sum(c[1] for c in counts) / dt / 1e6


def main():
    d = pathlib.Path(tempfile.mkdtemp(prefix="specmill-replicas-bench-"))
    script = HERE.parents[3] / "scripts" / "pg-throwaway.sh"
    pg = tempfile.mkdtemp(prefix="specmill-pg-")  # its own folder: the cluster's user must reach it
    url = subprocess.run([str(script), "start", pg], capture_output=True, text=True, check=True).stdout.strip()
    procs = []
    try:
        store = d / "store"
        run("ingest", "--store", store, "--catalog", SHARED / "catalogs" / "spAll-plate3655.fits", SHARED / "spectra")
        run("catalog", "export", "--store", store, "--postgres", url)
        run("store", "set-catalog", "--store", store, url)
        ports = [t.free_port() for _ in range(3)]
        procs = [t.start_replica(store, p) for p in ports]
        req = [r for r in t.requests_mix() if r[0] == "aligned"][0]
        print(f"getSpec (10 spectra, aligned, npz) from {CLIENTS} clients for {SECONDS} s each; {os.cpu_count()} cores")
        for n in (1, 3):
            prefix = d / f"nginx{n}"
            prefix.mkdir()
            nport = t.free_port()
            t.write_conf(prefix, nport, ports[:n])
            nginx = subprocess.Popen([t.NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-g", "daemon off;"])
            t.wait_health(nport)
            rps, mbs = measure(f"http://127.0.0.1:{nport}", req)
            print(f"{n} replica(s) behind nginx: {rps:.0f} replies/s, {mbs:.1f} MB/s")
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait()
        rps, mbs = measure(f"http://127.0.0.1:{ports[0]}", req)
        print(f"1 replica direct (no nginx): {rps:.0f} replies/s, {mbs:.1f} MB/s")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
            p.wait()
        subprocess.run([str(script), "stop", pg])
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
