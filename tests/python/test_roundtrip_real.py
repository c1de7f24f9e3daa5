"""The real SDSS files through `specmill ingest` and back out of `specmill get`, checked with
independent readers: astropy for the originals, numpy/h5py/sqlite3 for what specmill wrote."""
import sqlite3

import h5py
import numpy as np
from astropy.io import fits

COLUMNS = ["flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model"]


def coadd(path):
    with fits.open(path) as h:
        t = h[1].data
        names = {n.lower(): n for n in t.columns.names}
        cols = {c: np.asarray(t[names[c]]).astype(t[names[c]].dtype.newbyteorder("=")) for c in COLUMNS}
        meta = h[2].data[0]
        mnames = {n.lower(): n for n in h[2].columns.names}
        z = np.float32(meta[mnames["z"]])
        cls = str(meta[mnames["class"]]).strip()
        return cols, z, cls


def ingest_real(specmill, shared, tmp_path):
    store = tmp_path / "store"
    p = specmill("ingest", "--store", store, "--block-size", "3", shared / "spectra")
    assert "10 ingested" in p.stdout, p.stdout
    files = sorted((shared / "spectra").glob("spec-*.fits"))
    return store, files


def test_npz_is_bit_exact_for_every_column(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = tmp_path / "ids.txt"
    # plate-mjd-fiber lines from the file names, in reverse order, plus one unknown ID
    lines = ["-".join(f.stem.split("-")[1:]) for f in reversed(files)] + ["1234,55555,1"]
    ids.write_text("\n".join(lines) + "\n")
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "out.npz")
    z = np.load(tmp_path / "out.npz")
    assert z["found"].tolist() == [True] * 10 + [False]
    assert z["offsets"].dtype == np.int64 and len(z["offsets"]) == 12
    assert z["specobjid"].dtype == np.uint64
    for i, f in enumerate(reversed(files)):
        cols, _, _ = coadd(f)
        a, b = z["offsets"][i], z["offsets"][i + 1]
        for c in COLUMNS:
            got = z[c][a:b]
            assert got.dtype == cols[c].dtype, (c, got.dtype, cols[c].dtype)
            assert np.array_equal(got.view(np.uint32), cols[c].view(np.uint32)), (f.name, c)
    assert z["offsets"][-1] == z["offsets"][-2]


def test_catalog_matches_hdu2_and_packing(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    db = sqlite3.connect(store / "catalog.sqlite")
    for f in files:
        _, z, cls = coadd(f)
        plate, mjd, fiber = (int(x) for x in f.stem.split("-")[1:])
        row = db.execute(
            "SELECT specobjid, run2d, z, class, block_id FROM specobjall WHERE plate=? AND mjd=? AND fiberid=?",
            (plate, mjd, fiber)).fetchone()
        assert row is not None, f.name
        sid = row[0] & 0xFFFFFFFFFFFFFFFF  # stored as the same 64 bits, signed
        run2d = row[1]
        code = int(run2d) if not run2d.startswith("v") else (
            (int(run2d[1:].split("_")[0]) - 5) * 10000 + int(run2d.split("_")[1]) * 100 + int(run2d.split("_")[2]))
        assert sid == (plate << 50) | (fiber << 38) | ((mjd - 50000) << 24) | (code << 10)
        assert np.float32(row[2]) == z
        assert row[3] == cls
        assert row[4] is not None


def test_blocks_are_readable_with_h5py(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    blocks = sorted((store / "blocks").glob("blk-*.h5"))
    assert len(blocks) == 4  # 10 spectra, 3 a block
    by_id = {}
    for b in blocks:
        with h5py.File(b, "r") as h:
            assert h.attrs["grid_type"] in (b"log-linear", "log-linear")
            assert h.attrs["grid_step"] == 1e-4
            n, width = h["flux"].shape
            assert h.attrs["n_spectra"] == n and h.attrs["n_pixels"] == width
            meta = h["meta"][:]
            for r in range(n):
                by_id[int(meta["specobjid"][r])] = (b, r, int(meta["lattice_start"][r] - h.attrs["lattice_start"]),
                                                     int(meta["npix"][r]))
            assert h["and_mask"].dtype == np.int32 and h["flux"].dtype == np.float32
    assert len(by_id) == 10
    for f in files:
        cols, _, _ = coadd(f)
        # the row's flux slice equals the file; outside its coverage the row is zero
        matches = [v for k, v in by_id.items() if (k >> 50) == int(f.stem.split("-")[1]) and ((k >> 38) & 0xFFF) == int(f.stem.split("-")[3])]
        assert len(matches) == 1, f.name
        b, r, off, npix = matches[0]
        with h5py.File(b, "r") as h:
            row = h["flux"][r, :]
            assert np.array_equal(row[off:off + npix].view(np.uint32), cols["flux"].view(np.uint32))
            assert not row[:off].any() and not row[off + npix:].any()


def test_csv_fits_and_npy_outputs(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    f = files[0]
    cols, _, _ = coadd(f)
    plate, mjd, fiber = (int(x) for x in f.stem.split("-")[1:])
    z_id = (plate << 50) | (fiber << 38) | ((mjd - 50000) << 24) | (26 << 10)  # files[0] is legacy 0266
    ids = tmp_path / "ids.txt"
    ids.write_text("-".join(f.stem.split("-")[1:]) + "\n")
    out = specmill("get", "--store", store, "--ids", ids, "--columns", "flux,and_mask", "--format", "csv", "--out", "-").stdout
    lines = out.strip().split("\n")
    assert lines[0] == "specobjid,pixel,flux,and_mask"
    assert len(lines) == 1 + len(cols["flux"])
    flux = np.array([np.float32(l.split(",")[2]) for l in lines[1:]], dtype=np.float32)
    assert np.array_equal(flux.view(np.uint32), cols["flux"].view(np.uint32))
    assert [int(l.split(",")[3]) for l in lines[1:]] == cols["and_mask"].tolist()

    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "one.npy")
    arr = np.load(tmp_path / "one.npy")
    assert arr.dtype.names == tuple(COLUMNS)
    for c in COLUMNS:
        assert np.array_equal(arr[c].view(np.uint32), cols[c].view(np.uint32)), c

    specmill("get", "--store", store, "--ids", ids, "--columns", "flux,ivar,or_mask", "--out", tmp_path / "one.fits")
    with fits.open(tmp_path / "one.fits") as h:
        t = h[1].data
        assert len(t) == 1
        assert int(t["SPECOBJID"][0]) == int(z_id)
        assert np.array_equal(np.asarray(t["flux"][0], dtype=np.float32), cols["flux"])
        assert np.array_equal(np.asarray(t["ivar"][0], dtype=np.float32), cols["ivar"])
        assert np.array_equal(np.asarray(t["or_mask"][0], dtype=np.int32), cols["or_mask"])


def test_unknown_ids_and_bad_requests(specmill, shared, tmp_path):
    store, _ = ingest_real(specmill, shared, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("1234,55555,1\n")
    p = specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 3 and "none of the 1 IDs" in p.stderr
    ids.write_text("not-an-id\n")
    p = specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 2 and "ids.txt:1" in p.stderr
    ids.write_text("266,51602,13\n")
    p = specmill("get", "--store", store, "--ids", ids, "--columns", "flux,bogus", "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 2 and "bogus" in p.stderr
    p = specmill("get", "--store", tmp_path / "nostore", "--ids", ids, "--out", tmp_path / "x.npz", check=False)
    assert p.returncode == 3


def test_hdf5_output_holds_the_npz_arrays(specmill, shared, tmp_path):
    import h5py
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join("-".join(f.stem.split("-")[1:]) for f in files) + "\n1234,55555,1\n")
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "a.npz")
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "a.h5")
    z = np.load(tmp_path / "a.npz")
    with h5py.File(tmp_path / "a.h5", "r") as h:
        for name in COLUMNS + ["offsets", "specobjid"]:
            assert h[name].dtype == z[name].dtype, name
            assert np.array_equal(h[name][:].view(np.uint8), z[name].view(np.uint8)), name
        assert h["found"][:].astype(bool).tolist() == z["found"].tolist()
        assert h.attrs["context"] in ("sdss_dr16", b"sdss_dr16")
    assert not (tmp_path / "a.h5.tmp").exists()
