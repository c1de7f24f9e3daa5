#!/usr/bin/env python3
"""getSpec of 10,000 spectra through the Python client, in spectra/s.

Starts `specmill serve --store STORE --port 0` (the synthetic 10,000-spectrum store that
build/bin/bench_get creates at /tmp/specmill-bench/store-synthetic-10000), then times, each
`--repeat` times (best and median reported):
  - getSpec(all IDs)                      unaligned: a list of 10,000 structured arrays
  - getSpec(all IDs, align=True)          aligned: one 2-D structured array
  - the same two with values='flux,ivar,and_mask' (the columns the synthetic store holds)
  - "transfer only": the same request's bytes, read but not decoded
  - "floor": as many bytes served from memory (/floor, admin) through the same transport
  - the original client's way, one request per ID (--per-id IDs, default 300), for comparison

    python3 clients/python/examples/bench_getspec.py [--bin build/bin/specmill] [--store DIR]
"""
import argparse
import json
import os
import pathlib
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the package in place

from specmill import client as spec  # noqa: E402
from specmill._http import Transport  # noqa: E402


ADMIN = "bench-admin-token"


def start_server(binary, store, workdir):
    """specmill serve on the store, with an admin token for /floor (bytes from memory)."""
    config = os.path.join(workdir, "bench-service.json")
    with open(config, "w") as f:
        json.dump({"contexts": [{"name": "sdss_dr16", "store": os.path.abspath(store)}], "admin_token": ADMIN}, f)
    proc = subprocess.Popen([binary, "serve", "--config", config, "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if "listening on" not in line:
        proc.kill()
        raise SystemExit("specmill serve did not start: %r" % line)
    return proc, line.split("listening on ")[1].split()[0]


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        result = None
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), statistics.median(times), result


def main():
    root = HERE.parents[2]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(root / "build" / "bin" / "specmill"))
    ap.add_argument("--store", default="/tmp/specmill-bench/store-synthetic-10000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--per-id", type=int, default=300, help="IDs fetched one request each (the original's way)")
    args = ap.parse_args()
    if not os.path.isdir(args.store):
        raise SystemExit("no store at %s: run build/bin/bench_get once to create it" % args.store)
    with sqlite3.connect("file:%s?mode=ro" % os.path.join(args.store, "catalog.sqlite"), uri=True) as db:
        ids = [int(r[0]) & 0xFFFFFFFFFFFFFFFF for r in db.execute("SELECT specobjid FROM specobj ORDER BY rowid")]
    workdir = tempfile.mkdtemp(prefix="specmill-bench-client-")
    proc, url = start_server(args.bin, args.store, workdir)
    try:
        spec.set_svc_url(url)
        assert spec.isAlive()
        n = len(ids)
        print("server %s, store %s, %d IDs, %d repeats; times in s" % (url, args.store, n, args.repeat))
        print("| case | best | median | spectra/s (best) | MB received | result |")
        print("|---|---|---|---|---|---|")
        raw = Transport(url)

        def row(name, fn, count, mb=None):
            best, med, res = timed(fn, args.repeat)
            shape = getattr(res, "shape", None) or (len(res) if isinstance(res, (list, bytes, bytearray)) else "")
            print("| %s | %.3f | %.3f | %s | %s | %s |" % (name, best, med, format(int(count / best), ","),
                                                          "%.0f" % mb if mb else "", shape), flush=True)
            return res

        for values in ("all", "flux,ivar,and_mask"):
            for align in (False, True):
                body = {"id_list": ids, "format": "npz", "align": align,
                        "values": values if not (align and values == "all") else
                        "flux,ivar,and_mask,or_mask,wdisp,sky,model"}
                size = len(raw.request("POST", "/getSpec", body=body).content) / 1e6
                label = "getSpec(%d IDs%s%s)" % (n, ", align=True" if align else "",
                                                 ", values='%s'" % values if values != "all" else "")
                if values == "all" or align:
                    nbytes = int(size * 1e6)
                    row("floor: the same bytes from memory (/floor)",
                        lambda: raw.request("GET", "/floor", params={"bytes": nbytes}, token=ADMIN).content, n, size)
                row(label + " transfer only", lambda: raw.request("POST", "/getSpec", body=body).content, n, size)
                res = row(label, lambda: spec.getSpec(ids, align=align, values=values), n, size)
                del res
        k = min(args.per_id, n)
        row("one request per ID (%d IDs, the original client's loop)" % k,
            lambda: [spec.getSpec(i) for i in ids[:k]], k)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    main()
