#!/usr/bin/env python3
"""getSpec of 10,000 spectra: the engine in-process (specmill.open_store) against the HTTP client
(SpecClient and a `specmill serve` on the same store), in spectra/s and peak RSS, in one run.

Each case runs in a fresh Python process (so its peak RSS, ru_maxrss, is its own): open the
client, getSpec all IDs `--repeat` times, report the best time. For HTTP, the server's peak
(VmHWM) is reported too. The floor is a memcpy of the same bytes as the result's arrays, in the
same process. Store: the synthetic 10,000-spectrum store build/bin/bench_get creates.

    python3 clients/python/examples/bench_local_vs_http.py [--bin build/bin/specmill] [--store DIR]
        [--engine-dir build/python/specmill] [--repeat 3] [--cases unaligned,aligned] [--with-meta]

--with-meta adds getSpec(..., with_meta=True) rows: the same calls plus the catalog rows of the
10,000 spectra (a /query per 100 IDs), so the two rows show what the metadata costs.
"""
import argparse
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, %(client)r)
from specmill import client as spec
ids = json.loads(open(%(ids)r).read())
if %(mode)r == "local":
    c = spec.getClient(store=%(store)r, context="sdss_dr16")
else:
    c = spec.SpecClient(context="sdss_dr16", svc_url=%(url)r)
best, nbytes = None, 0
for _ in range(%(repeat)d):
    t0 = time.perf_counter()
    r = c.getSpec(ids, align=%(align)r, **({"with_meta": True} if %(meta)r else {}))
    dt = time.perf_counter() - t0
    if %(meta)r:
        r, table = r
        assert len(table) == len(ids)
    best = dt if best is None else min(best, dt)
    arrays = r if isinstance(r, list) else [r]
    nbytes = sum(a.nbytes for a in arrays)
    del r, arrays
# the floor: a memcpy of as many bytes, in this process
src = np.ones(nbytes, dtype=np.uint8); dst = np.empty_like(src)
floor = None
for _ in range(%(repeat)d):
    t0 = time.perf_counter(); np.copyto(dst, src); dt = time.perf_counter() - t0
    floor = dt if floor is None else min(floor, dt)
print(json.dumps({"best": best, "bytes": nbytes, "floor": floor,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def vm_hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main():
    root = HERE.parents[2]
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=str(root / "build" / "bin" / "specmill"))
    ap.add_argument("--store", default="/tmp/specmill-bench/store-synthetic-10000")
    ap.add_argument("--engine-dir", default=str(root / "build" / "python" / "specmill"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cases", default="unaligned,aligned")
    ap.add_argument("--with-meta", action="store_true")
    args = ap.parse_args()
    if not os.path.isdir(args.store):
        raise SystemExit("no store at %s: run build/bin/bench_get once to create it" % args.store)
    with sqlite3.connect("file:%s?mode=ro" % os.path.join(args.store, "catalog.sqlite"), uri=True) as db:
        ids = [int(r[0]) & 0xFFFFFFFFFFFFFFFF for r in db.execute("SELECT specobjid FROM specobj ORDER BY rowid")]
    work = tempfile.mkdtemp(prefix="specmill-bench-local-")
    id_file = os.path.join(work, "ids.json")
    with open(id_file, "w") as f:
        json.dump(ids, f)
    config = os.path.join(work, "service.json")
    with open(config, "w") as f:
        json.dump({"contexts": [{"name": "sdss_dr16", "store": os.path.abspath(args.store)}],
                   "limits": {"max_ids": len(ids) + 1}}, f)
    server = subprocess.Popen([args.bin, "serve", "--config", config, "--port", "0"], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, text=True)
    line = server.stdout.readline()
    if "listening on" not in line:
        server.kill()
        raise SystemExit("specmill serve did not start: %r" % line)
    url = line.split("listening on ")[1].split()[0]
    env = dict(os.environ, SPECMILL_ENGINE_DIR=args.engine_dir)
    print("store %s, %d IDs, best of %d; peak RSS of each case's own process" % (args.store, len(ids), args.repeat))
    print("| case | best s | spectra/s | MB of arrays | floor (memcpy) s | client peak RSS MB | server peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    try:
        cases = [(align, meta) for align in (False, True) if ("aligned" if align else "unaligned") in args.cases.split(",")
                 for meta in ((False, True) if args.with_meta else (False,))]
        for align, meta in cases:
            for mode in ("local", "http"):
                code = CHILD % {"client": str(HERE.parent), "ids": id_file, "mode": mode, "store": args.store,
                                "url": url, "align": align, "repeat": args.repeat, "meta": meta}
                p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
                if p.returncode != 0:
                    raise SystemExit("%s failed:\n%s" % (mode, p.stderr[-3000:]))
                r = json.loads(p.stdout.strip().splitlines()[-1])
                print("| getSpec(%d IDs%s%s) %s | %.3f | %s | %.0f | %.3f | %.0f | %s |" % (
                    len(ids), ", align=True" if align else "", ", with_meta=True" if meta else "", mode, r["best"], format(int(len(ids) / r["best"]), ","),
                    r["bytes"] / 1e6, r["floor"], r["rss_mb"], "%.0f" % vm_hwm_mb(server.pid) if mode == "http" else ""),
                    flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
