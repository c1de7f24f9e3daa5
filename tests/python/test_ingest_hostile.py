"""The ingest CLI with hostile inputs among good files (issue 14): corrupt header counts, a FIFO,
a gzip bomb. Every good file is ingested, every bad one is named in a "failed:" line, the run
exits 0 (failures are reported and skipped) and 1 under --strict, and nothing hangs."""
import gzip
import os
import shutil
import sqlite3

from conftest import BIN, SHARED


def patch_card(src, dst, hdu, key, value):
    """Copies src to dst with header card `key` of HDU `hdu` set to `value`, byte for byte."""
    data = bytearray(src.read_bytes())
    starts = [0] + [i for i in range(2880, len(data), 2880) if data[i:i + 9] == b"XTENSION="]
    at = starts[hdu]
    while data[at:at + 8] != b"END     ":
        if data[at:at + 8].decode().rstrip() == key:
            data[at:at + 80] = (key.ljust(8) + "= " + value.rjust(20)).ljust(80).encode()
            dst.write_bytes(bytes(data))
            return
        at += 80
    raise AssertionError(f"no {key} in HDU {hdu} of {src}")


def test_bad_files_are_reported_by_name_and_good_ones_ingested(specmill, tmp_path):
    spectra = sorted((SHARED / "spectra").glob("spec-*.fits"))
    bad = tmp_path / "bad"
    bad.mkdir()
    patch_card(spectra[0], bad / "spec-naxis2-1e12.fits", 1, "NAXIS2", "1000000000000")
    patch_card(spectra[1], bad / "spec-naxis2-1e8.fits", 1, "NAXIS2", "100000000")
    patch_card(spectra[2], bad / "spec-pcount.fits", 1, "PCOUNT", "1000000000000")
    patch_card(spectra[3], bad / "spec-hdu2.fits", 2, "NAXIS2", "1000000000000")
    with gzip.open(bad / "spec-bomb.fits.gz", "wb", compresslevel=1) as z:
        block = bytes(1 << 20)
        for _ in range(300):
            z.write(block)
    os.mkfifo(bad / "spec-fifo.fits")
    names = sorted(p.name for p in bad.iterdir())

    def run(store, *extra):
        # The bad copies first: they share SPECOBJIDs with good files and must not keep them out.
        return specmill("ingest", "--store", store, *extra, bad, SHARED / "spectra", check=False, timeout=60)

    p = run(tmp_path / "store")
    assert p.returncode == 0, p.stdout + p.stderr
    assert " 10 ingested" in p.stdout and f" {len(names)} failed" in p.stdout, p.stdout
    failed = sorted(line.split(": ")[1].rsplit("/", 1)[-1] for line in p.stdout.splitlines()
                    if line.startswith("failed: "))
    assert failed == names, p.stdout
    db = sqlite3.connect(tmp_path / "store" / "catalog.sqlite")
    assert db.execute("SELECT count(*) FROM specobjall WHERE block_id IS NOT NULL").fetchone() == (10,)

    strict = run(tmp_path / "strict", "--strict")
    assert strict.returncode == 1, strict.stdout + strict.stderr
    assert " 10 ingested" in strict.stdout, strict.stdout
    v = specmill("verify", "--deep", "--store", tmp_path / "strict")
    assert "OK" in v.stdout, v.stdout
    shutil.rmtree(tmp_path / "strict")
