#!/usr/bin/env python3
"""Soak test of `specmill serve` on loopback: N connections (default 64) send a mix of requests
for MINUTES minutes (getSpec aligned / unaligned / npz, query, preview, stack, bad requests, and
clients that hang up mid-stream), then the script reports errors, latency percentiles per kind
and the server's RSS over time. Every request goes to 127.0.0.1; every loop is bounded in time.

  scripts/soak.py --minutes 10            # the recorded run (docs/reliability.md)
  scripts/soak.py --seconds 30            # what CI runs (tests/python/test_soak.py)

Exit status 0 when there was no error and the RSS after warm-up stayed within --rss-tolerance
(default 10%) of its level at the end of warm-up; 1 otherwise. --json FILE writes the summary."""
import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def build_store(bin_, shared, work):
    sample = os.path.join(work, "sample")
    store = os.path.join(work, "store")
    subprocess.run([bin_, "sample", "--out", sample, "--count", "400", "--seed", "11"], check=True,
                   capture_output=True)
    inputs = [sample] + ([os.path.join(shared, "spectra")] if os.path.isdir(os.path.join(shared, "spectra")) else [])
    subprocess.run([bin_, "ingest", "--store", store, *inputs], check=True, capture_output=True)
    ids = subprocess.run([bin_, "query", "--store", store, "--all", "--with-pixels", "--constraint", "1"],
                         check=True, capture_output=True, text=True).stdout.split()
    return store, [int(x) for x in ids]


def start_server(bin_, store, work):
    config = os.path.join(work, "service.json")
    with open(config, "w") as f:
        json.dump({"contexts": [{"name": "sdss_dr16", "store": store, "description": "soak"}]}, f)
    err = open(os.path.join(work, "serve.err"), "w")
    proc = subprocess.Popen([bin_, "serve", "--config", config, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=err, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        raise SystemExit("soak: the server did not start: " + line)
    port = int(line.split("127.0.0.1:")[1].split()[0])
    return proc, "http://127.0.0.1:%d" % port


def rss_kb(pid, field="RssAnon"):
    """RssAnon by default: the heap, what a leak grows. RssFile (the store's block files, mapped
    read-only once per worker thread's store: the same page cache counted per mapping) is
    reported beside it."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def verdict(r, ok):
    """True, or why not: the status (a 503 is the service shedding load past a request's budget)."""
    return True if ok else "HTTP %d" % r.status_code


class Mix:
    """The request kinds, each (name, weight, function(session, url, rng) -> expected outcome)."""

    def __init__(self, ids):
        self.ids = ids

    def pick(self, rng, n):
        return [rng.choice(self.ids) for _ in range(n)]

    def getspec_aligned(self, s, url, rng):
        r = s.post(url + "/getSpec", data={"id_list": str(self.pick(rng, 20)), "align": "True",
                                          "values": "flux,ivar"}, timeout=60)
        return verdict(r, r.status_code == 200 and r.content[:6] == b"\x93NUMPY")

    def getspec_one(self, s, url, rng):
        r = s.post(url + "/spec/getSpec", data={"id_list": str(rng.choice(self.ids)), "format": "numpy",
                                               "align": "False", "cutout": "None", "w0": "0.0", "w1": "0.0"},
                   timeout=60)
        return verdict(r, r.status_code == 200 and r.content[:6] == b"\x93NUMPY")

    def getspec_npz(self, s, url, rng):
        r = s.post(url + "/getSpec", json={"id_list": self.pick(rng, 100), "format": "npz"}, timeout=60)
        return verdict(r, r.status_code == 200 and r.content[:2] == b"PK")

    def query(self, s, url, rng):
        r = s.get(url + "/query", params={"ra": rng.uniform(0, 360), "dec": rng.uniform(-20, 60), "size": 5},
                  timeout=60)
        return verdict(r, r.status_code == 200 and r.text.startswith("specobjid"))

    def preview(self, s, url, rng):
        r = s.get(url + "/preview", params={"id": rng.choice(self.ids)}, timeout=60)
        return verdict(r, r.status_code == 200 and r.content[:4] == b"\x89PNG")

    def stack(self, s, url, rng):
        r = s.post(url + "/stack", json={"id_list": self.pick(rng, 30), "method": "median"}, timeout=60)
        return verdict(r, r.status_code == 200)

    def bad(self, s, url, rng):
        bad = rng.choice([{"id_list": "[1, 'x']"}, {"id_list": str(self.pick(rng, 2)), "cutout": "7200-6500"},
                          {"id_list": "[" * 40 + "]" * 40}, {"id_list": "123", "format": "xml"}])
        r = s.post(url + "/getSpec", data=bad, timeout=60)
        return 400 <= r.status_code < 500 and r.headers.get("Content-Type", "").startswith("application/json")

    def hang_up(self, s, url, rng):
        """A client that leaves mid-stream: a big aligned reply, 64 KB read, connection closed."""
        with requests.post(url + "/getSpec", data={"id_list": str(self.pick(rng, 2000)), "align": "True"},
                           stream=True, timeout=60) as r:
            ok = r.status_code == 200
            next(r.iter_content(65536))
        return verdict(r, ok)

    def kinds(self):
        return [("getspec_aligned", 20, self.getspec_aligned), ("getspec_one", 25, self.getspec_one),
                ("getspec_npz", 10, self.getspec_npz), ("query", 15, self.query), ("preview", 10, self.preview),
                ("stack", 5, self.stack), ("bad", 10, self.bad), ("hang_up", 5, self.hang_up)]


def percentile(values, q):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(q / 100.0 * (len(v) - 1))))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=None)
    ap.add_argument("--seconds", type=float, default=None)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--bin", default=os.environ.get("SPECMILL_BIN", os.path.join(ROOT, "build/bin/specmill")))
    ap.add_argument("--shared", default=os.environ.get("SPECMILL_SHARED_DATA", os.path.join(ROOT, "../shared/data")))
    ap.add_argument("--rss-tolerance", type=float, default=0.10,
                    help="largest growth of the median RssAnon, last third against first third after warm-up")
    ap.add_argument("--max-rss-mb", type=float, default=None, help="largest RssAnon at any sample")
    ap.add_argument("--json", default=None)
    ap.add_argument("--only", default=None, help="comma list of request kinds to send (diagnosis)")
    a = ap.parse_args()
    seconds = a.seconds if a.seconds is not None else 60.0 * (a.minutes if a.minutes is not None else 1.0)
    warmup = min(60.0, seconds / 3)

    with tempfile.TemporaryDirectory(prefix="specmill-soak-") as work:
        store, ids = build_store(a.bin, a.shared, work)
        proc, url = start_server(a.bin, store, work)
        mix = Mix(ids)
        kinds = [k for k in mix.kinds() if not a.only or k[0] in a.only.split(",")]
        names = [k[0] for k in kinds]
        weights = [k[1] for k in kinds]
        lock = threading.Lock()
        lat = {n: [] for n in names}
        errors = {n: 0 for n in names}
        reasons = {}
        samples = []
        file_samples = []
        t0 = time.monotonic()
        stop_at = t0 + seconds

        def worker(seed):
            rng = random.Random(seed)
            s = requests.Session()
            while time.monotonic() < stop_at:
                i = rng.choices(range(len(kinds)), weights)[0]
                name, _, fn = kinds[i]
                t = time.monotonic()
                try:
                    res = fn(s, url, rng)
                except Exception as e:
                    res = type(e).__name__
                    s = requests.Session()
                ok = res is True
                dt = time.monotonic() - t
                with lock:
                    lat[name].append(dt)
                    if not ok:
                        errors[name] += 1
                        key = "%s: %s" % (name, res)
                        reasons[key] = reasons.get(key, 0) + 1

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(a.connections)]
        for t in threads:
            t.start()
        while time.monotonic() < stop_at and proc.poll() is None:
            samples.append((time.monotonic() - t0, rss_kb(proc.pid)))
            file_samples.append(rss_kb(proc.pid, "RssFile"))
            time.sleep(min(5.0, max(0.5, seconds / 60)))
        for t in threads:
            t.join(timeout=90)
        alive = proc.poll() is None
        if alive:
            samples.append((time.monotonic() - t0, rss_kb(proc.pid)))
            t_ping = time.monotonic()
            ping = requests.get(url + "/ping", timeout=60).text == "OK"
            print("soak: /ping after the run answered in %.2f s" % (time.monotonic() - t_ping))
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
        else:
            ping = False

    # A leak shows as a trend: the median RSS of the last third of the run (after warm-up)
    # against the median of the first third. Peaks come and go with the requests in flight.
    after = [kb for t, kb in samples if warmup <= t <= seconds]
    third = max(1, len(after) // 3)
    base = sorted(after[:third])[len(after[:third]) // 2] if after else 0
    last = sorted(after[-third:])[len(after[-third:]) // 2] if after else 0
    growth = (last - base) / base if base else float("nan")
    total = sum(len(v) for v in lat.values())
    all_lat = [x for v in lat.values() for x in v]
    summary = {
        "seconds": round(seconds, 1), "connections": a.connections, "requests": total,
        "requests_per_s": round(total / seconds, 1), "errors": sum(errors.values()), "error_reasons": reasons,
        "p50_ms": round(1e3 * percentile(all_lat, 50), 2), "p99_ms": round(1e3 * percentile(all_lat, 99), 2),
        "kinds": {n: {"requests": len(lat[n]), "errors": errors[n], "p50_ms": round(1e3 * percentile(lat[n], 50), 2),
                      "p99_ms": round(1e3 * percentile(lat[n], 99), 2)} for n in names},
        "rss_mb": [[round(t, 1), round(kb / 1024, 1)] for t, kb in samples],
        "rss_file_peak_mb": round(max(file_samples or [0]) / 1024, 1),
        "rss_growth_after_warmup": round(growth, 4), "rss_peak_mb": round(max(after or [0]) / 1024, 1), "server_alive": alive, "ping_after": ping,
    }
    print("soak: %d connections, %.0f s, %d requests (%.0f/s), %d errors, p50 %.1f ms, p99 %.1f ms" %
          (a.connections, seconds, total, total / seconds, summary["errors"], summary["p50_ms"], summary["p99_ms"]))
    print("%-16s %9s %7s %9s %9s" % ("kind", "requests", "errors", "p50 ms", "p99 ms"))
    for n in names:
        k = summary["kinds"][n]
        print("%-16s %9d %7d %9.1f %9.1f" % (n, k["requests"], k["errors"], k["p50_ms"], k["p99_ms"]))
    for key, n in sorted(reasons.items()):
        print("  error %s x%d" % (key, n))
    print("RssFile (mapped store blocks) peak %.0f MB" % summary["rss_file_peak_mb"])
    print("RssAnon MB over time (s, MB): " + " ".join("%s:%s" % (t, m) for t, m in summary["rss_mb"]))
    print("RSS after %.0f s warm-up: median of the last third %.1f%% against the first (tolerance %.0f%%), "
          "peak %.0f MB; server alive: %s; /ping after: %s" %
          (warmup, 100 * growth, 100 * a.rss_tolerance, summary["rss_peak_mb"], alive, ping))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(summary, f, indent=1)
    ok = summary["errors"] == 0 and alive and ping and not growth > a.rss_tolerance
    if a.max_rss_mb is not None and summary["rss_peak_mb"] > a.max_rss_mb:
        print("soak: RssAnon peaked at %.0f MB, over --max-rss-mb %.0f" % (summary["rss_peak_mb"], a.max_rss_mb))
        ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
