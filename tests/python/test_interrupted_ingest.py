"""kill -9 during ingest, several times, at different moments: after every kill the store is
valid, and a final re-run completes it with nothing lost and nothing stored twice."""
import signal
import sqlite3
import subprocess
import time

import h5py

from conftest import BIN


def test_kill_during_ingest_loses_nothing_and_duplicates_nothing(specmill, tmp_path):
    sample = tmp_path / "sample"
    specmill("sample", "--out", sample, "--count", "4000", "--seed", "11")
    files = sorted(sample.rglob("spec-*.fits"))
    assert len(files) == 4000
    store = tmp_path / "store"

    kills = 0
    for delay in (0.3, 0.8, 0.5, 1.2, 0.1, 2.0):
        p = subprocess.Popen([BIN, "--quiet", "ingest", "--store", str(store), "--block-size", "64", str(sample)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            kills += 1
        p.wait()
        if (store / "catalog.sqlite").exists():
            v = specmill("verify", "--store", store, check=False)
            assert v.returncode == 0, v.stdout + v.stderr
    assert kills >= 2, "ingest finished before it could be interrupted: raise the sample count"

    final = specmill("ingest", "--store", store, "--block-size", "64", sample)
    assert " 0 failed" in final.stdout, final.stdout
    v = specmill("verify", "--deep", "--store", store)
    assert "OK" in v.stdout and "note:" not in v.stdout, v.stdout

    db = sqlite3.connect(store / "catalog.sqlite")
    located, distinct = db.execute(
        "SELECT count(*), count(DISTINCT specobjid) FROM specobjall WHERE block_id IS NOT NULL").fetchone()
    assert located == distinct == len(files)
    in_blocks = []
    for b in sorted((store / "blocks").glob("*")):
        assert b.suffix == ".h5", b
        with h5py.File(b, "r") as h:
            in_blocks += [int(x) for x in h["meta"]["specobjid"]]
    assert len(in_blocks) == len(set(in_blocks)) == len(files)
    (n_blocks,) = db.execute("SELECT count(*) FROM blocks").fetchone()
    assert n_blocks == len(list((store / "blocks").glob("*.h5")))
