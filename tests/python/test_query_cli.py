"""`specmill query` and `specmill catalog` from the command line: exit code 2 for bad input,
3 for an unknown context, output that feeds `get --ids`, CSV/JSON, a value-added catalog written
with astropy, and hostile constraints that leave the catalog's bytes unchanged."""
import hashlib
import json

import numpy as np
from astropy.io import fits

RM017 = ["1491853981666797568", "7562816566389397504", "8263181028392458240"]


def real_store(specmill, shared, tmp_path):
    store = tmp_path / "store"
    specmill("ingest", "--store", store, "--catalog", shared / "catalogs" / "spAll-plate3655.fits", shared / "spectra")
    return store


def digest(store):
    h = hashlib.sha256()
    for name in ("catalog.sqlite", "catalog.sqlite-wal"):
        p = store / name
        h.update(p.read_bytes() if p.exists() else b"")
    return h.hexdigest()


def test_cone_ids_and_tuples_feed_get(specmill, shared, tmp_path):
    store = real_store(specmill, shared, tmp_path)
    p = specmill("query", "--store", store, "--cone", "213.3512,53.0908,0.01", "--all")
    assert p.stdout.split() == RM017
    p = specmill("query", "--store", store, "--constraint", "class = 'QSO'", "--all", "--with-pixels",
                 "--fields", "tuple")
    lines = p.stdout.split()
    assert len(lines) == 8 and all(len(x.split(",")) == 3 for x in lines)
    ids = tmp_path / "ids.txt"
    ids.write_text(p.stdout)
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "qso.npz")
    z = np.load(tmp_path / "qso.npz")
    assert z["found"].all() and len(z["found"]) == 8
    # Pagination: two pages of 5 and 3 make the whole list.
    a = specmill("query", "--store", store, "--constraint", "class = 'QSO'", "--all", "--with-pixels", "--limit", "5")
    b = specmill("query", "--store", store, "--constraint", "class = 'QSO'", "--all", "--with-pixels", "--limit", "5",
                 "--offset", "5")
    full = specmill("query", "--store", store, "--constraint", "class = 'QSO'", "--all", "--with-pixels")
    assert a.stdout.split() + b.stdout.split() == full.stdout.split()


def test_csv_and_json(specmill, shared, tmp_path):
    store = real_store(specmill, shared, tmp_path)
    p = specmill("query", "--store", store, "--cone", "213.3512,53.0908,0.01", "--all", "--format", "csv")
    rows = p.stdout.strip().split("\n")
    assert rows[0] == "specobjid,plate,mjd,fiberid,ra,dec"
    assert [r.split(",")[0] for r in rows[1:]] == RM017
    assert rows[1].split(",")[1:4] == ["1325", "52762", "133"]
    out = tmp_path / "q.json"
    specmill("query", "--store", store, "--polygon", "213,53,213.7,53,213.7,53.2,213,53.2", "--all",
             "--format", "json", "--out", out)
    doc = json.loads(out.read_text())
    assert doc["table"] == "specobjall" and doc["more"] is False
    assert [str(r["specobjid"]) for r in doc["rows"]] == RM017


def test_bad_input_exits_2_and_unknown_context_3(specmill, shared, tmp_path):
    store = real_store(specmill, shared, tmp_path)
    before = digest(store)
    bad = [
        (["--cone", "1,2"], "RA,DEC,RADIUS"),
        (["--cone", "10,95,1"], "outside [-90, 90]"),
        (["--cone", "10,10,0"], "radius 0"),
        (["--cone", "10,10,181"], "radius 181"),
        (["--cone", "a,b,c"], "not a number"),
        (["--polygon", "1,2,3,4"], "at least 3 vertices"),
        (["--polygon", "1,2,3,4,5"], "odd count"),
        (["--polygon", "0,0,1,1,1,0,0,1"], "self-intersecting"),
        (["--polygon", "0,0,1,0,2,0"], "zero area"),
        (["--polygon", "0,0,1,0,1,0,0,1"], "same point"),
        (["--cone", "1,2,3", "--polygon", "1,2,3,4,5,6"], "excludes"),
        (["--constraint", "1; DROP TABLE specobjall"], "second statement"),
        (["--constraint", "1) OR (1"], "unbalanced parentheses"),
        (["--constraint", "z > 0 -- x"], "comments"),
        (["--constraint", "(SELECT count(*) FROM ingested_files) > 0"], "reading table 'ingested_files'"),
        (["--constraint", "foo > 1"], "unknown column 'foo'"),
        (["--constraint", "z >"], "syntax error"),
        (["--constraint", "z > 1", "--sort", "nope"], "unknown sort column"),
        (["--constraint", "z > 1", "--catalog", "nope"], "unknown catalog"),
        (["--constraint", "z > 1", "--format", "xml"], "--format"),
        (["--constraint", "z > 1", "--limit", "-1"], "limit"),
        ([], "nothing to search by"),
        (["--constraint", "(SELECT count(*) FROM specobjall a, specobjall b, specobjall c, specobjall d) > 0",
          "--time-limit", "0.2"], "time limit of 0.2 s"),
    ]
    for args, why in bad:
        p = specmill("query", "--store", store, *args, check=False)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert why in p.stderr, (args, p.stderr)
    p = specmill("query", "--store", store, "--context", "nope", "--cone", "1,2,3", check=False)
    assert p.returncode == 3 and "unknown context 'nope'" in p.stderr
    p = specmill("query", "--store", tmp_path / "nowhere", "--cone", "1,2,3", check=False)
    assert p.returncode == 3
    assert digest(store) == before


def test_catalog_add_list_and_query(specmill, shared, tmp_path):
    store = real_store(specmill, shared, tmp_path)
    n = 200
    rng = np.random.default_rng(4)
    ids = (np.arange(n, dtype=np.uint64) << np.uint64(40)) + np.uint64(2**63 + 7)
    cols = fits.ColDefs([
        fits.Column(name="SPECOBJID", format="K", array=ids.view(np.int64)),  # signed, as in spAll files
        fits.Column(name="RA", format="D", array=rng.uniform(100, 102, n)),
        fits.Column(name="DEC", format="D", array=rng.uniform(-1, 1, n)),
        fits.Column(name="Z_NEW", format="E", array=rng.uniform(0, 3, n)),
        fits.Column(name="SPECTRUM", format="5E", array=np.zeros((n, 5))),
    ])
    path = tmp_path / "vac.fits"
    fits.BinTableHDU.from_columns(cols).writeto(path)
    p = specmill("catalog", "add", "--store", store, "--name", "newz", path)
    assert "200 rows" in p.stdout and "SPECTRUM: array of 5 values" in p.stdout
    p = specmill("catalog", "list", "--store", store)
    assert p.stdout.startswith("newz: 200 rows, id specobjid, ra ra, dec dec")
    p = specmill("catalog", "add", "--store", store, "--name", "newz", path, check=False)
    assert p.returncode == 2 and "--replace" in p.stderr
    p = specmill("catalog", "add", "--store", store, "--name", "Bad-Name", path, check=False)
    assert p.returncode == 2
    p = specmill("query", "--store", store, "--catalog", "newz", "--cone", "101,0,0.5", "--constraint", "z_new > 1")
    got = [int(x) for x in p.stdout.split()]
    t = fits.getdata(path)
    ra, dec = np.radians(t["RA"]), np.radians(t["DEC"])
    cos_d = np.cos(dec) * np.cos(ra - np.radians(101))  # distance to (101, 0): the centre's Dec is 0
    want = sorted(int(i) for i, c, zz in zip(t["SPECOBJID"].astype(np.int64).view(np.uint64), cos_d, t["Z_NEW"]) if c >= np.cos(np.radians(0.5)) and zz > 1)
    assert got == want and len(got) > 5
    p = specmill("upgrade", "--store", store)
    assert "catalog format 2" in p.stdout
