"""`specmill get --meta`: the real SDSS files ingested, then each spectrum's catalog row read back
from npz (numpy, allow_pickle=False), HDF5 (h5py), FITS (astropy) and csv, and compared with the
catalog read independently: the spec files' own HDU 2 (astropy) and the store's catalog
(sqlite3). --meta no leaves the output byte for byte as without the flag; an unknown ID is
skipped in the rows as its spectrum is."""
import csv
import io
import json
import sqlite3

import h5py
import numpy as np
from astropy.io import fits


def ingest_real(specmill, shared, tmp_path):
    store = tmp_path / "store"
    p = specmill("ingest", "--store", store, "--block-size", "3", shared / "spectra")
    assert "10 ingested" in p.stdout, p.stdout
    return store, sorted((shared / "spectra").glob("spec-*.fits"))


def hdu2(path):
    """The catalog row a spec file carries (HDU 2), by lowercase name."""
    with fits.open(path) as h:
        row = h[2].data[0]
        return {n.lower(): row[n] for n in h[2].columns.names}


def id_list(tmp_path, files):
    """plate-mjd-fiber lines, reversed, an unknown one third: the order the rows must follow."""
    lines = ["-".join(f.stem.split("-")[1:]) for f in reversed(files)]
    lines.insert(2, "1234-55555-1")
    path = tmp_path / "ids.txt"
    path.write_text("\n".join(lines) + "\n")
    return path, [f for f in reversed(files)]


def catalog_rows(store, files):
    """The store catalog's rows of the files, read with sqlite3 (ids as unsigned)."""
    db = sqlite3.connect(store / "catalog.sqlite")
    out = []
    for f in files:
        plate, mjd, fiber = (int(x) for x in f.stem.split("-")[1:])
        r = db.execute("SELECT specobjid, ra, dec, z, z_err, zwarning, class, subclass, sn_median_all "
                       "FROM specobjall WHERE plate=? AND mjd=? AND fiberid=?", (plate, mjd, fiber)).fetchone()
        out.append(dict(specobjid=r[0] & 0xFFFFFFFFFFFFFFFF, ra=r[1], dec=r[2], z=r[3], z_err=r[4], zwarning=r[5],
                        cls=r[6], subclass=r[7], sn_median_all=r[8], plate=plate, mjd=mjd, fiberid=fiber))
    return out


def check_rows(got, store, files):
    """got: per spectrum in output order, a dict of the meta columns (text as str)."""
    want = catalog_rows(store, files)
    assert len(got) == len(want) == 10
    for g, w, f in zip(got, want, files):
        h = hdu2(f)
        assert int(g["specobjid"]) == w["specobjid"], f.name
        assert (int(g["plate"]), int(g["mjd"]), int(g["fiberid"])) == (w["plate"], w["mjd"], w["fiberid"])
        assert float(g["z"]) == w["z"] and np.float32(g["z"]) == np.float32(h["z"]), f.name
        assert float(g["z_err"]) == w["z_err"]
        assert float(g["ra"]) == w["ra"] and float(g["ra"]) == float(h["plug_ra"]), f.name
        assert float(g["dec"]) == w["dec"] and float(g["dec"]) == float(h["plug_dec"]), f.name
        assert int(g["zwarning"]) == w["zwarning"] == int(h["zwarning"])
        assert g["class"] == w["cls"] == str(h["class"]).strip(), f.name
        assert g["subclass"] == w["subclass"] == str(h["subclass"]).strip(), f.name
        assert float(g["sn_median_all"]) == w["sn_median_all"]


def test_npz_structured_meta_without_pickle(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids, order = id_list(tmp_path, files)
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "m.npz")  # auto: yes for npz
    with np.load(tmp_path / "m.npz", allow_pickle=False) as z:
        meta, found, sid = z["meta"], z["found"], z["specobjid"]
        units = json.loads(bytes(z["meta_units"]))
    assert found.tolist() == [True, True, False] + [True] * 8
    assert meta.dtype.names[:4] == ("specobjid", "plate", "mjd", "fiberid")
    assert meta["specobjid"].tolist() == sid[found].tolist()  # the unknown ID skipped like its spectrum
    got = [{n: (meta[n][i].decode() if meta.dtype[n].kind == "S" else meta[n][i]) for n in meta.dtype.names}
           for i in range(len(meta))]
    check_rows(got, store, order)
    assert units["ra"] == "deg" and units["dec"] == "deg" and units["z"] == ""


def test_hdf5_meta_group_with_units(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids, order = id_list(tmp_path, files)
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "r") as h:
        g = h["meta"]
        cols = {n: g[n][()] for n in g}
        assert g["ra"].attrs["units"] in (b"deg", "deg")
        assert g["dec"].attrs["units"] in (b"deg", "deg")
        assert "units" in g["z"].attrs
        assert cols["specobjid"].tolist() == h["specobjid"][()][h["found"][()].astype(bool)].tolist()
    got = [{n: (v[i].decode() if v.dtype.kind == "S" else v[i]) for n, v in cols.items()} for i in range(10)]
    check_rows(got, store, order)


def test_fits_catalog_hdu_with_tunit(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids, order = id_list(tmp_path, files)
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "m.fits")
    with fits.open(tmp_path / "m.fits") as h:
        spectra, cat = h["SPECTRA"].data, h["CATALOG"]
        assert cat.columns["RA"].unit == "deg" and cat.columns["DEC"].unit == "deg"
        t = cat.data
        assert len(t) == len(spectra) == 10
        assert [int(x) for x in t["SPECOBJID"]] == [int(x) for x in spectra["SPECOBJID"]]
        got = [{n.lower(): (str(t[n][i]) if t[n].dtype.kind in "SU" else t[n][i]) for n in t.columns.names}
               for i in range(len(t))]
    check_rows(got, store, order)


def test_csv_meta_yes_appends_columns_and_auto_does_not(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids, order = id_list(tmp_path, files)
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "auto.csv")
    specmill("get", "--store", store, "--ids", ids, "--meta", "yes", "--out", tmp_path / "m.csv")
    plain = (tmp_path / "auto.csv").read_text().splitlines()
    lines = (tmp_path / "m.csv").read_text().splitlines()
    assert len(plain) == len(lines)
    head = plain[0].split(",")
    assert "z" not in head
    assert lines[0].split(",").count("specobjid") == 1  # the line's own, not repeated
    rows = list(csv.DictReader(io.StringIO("\n".join(lines))))
    # The pixel part of each line is the line without meta.
    n_pixel_cols = len(head)
    for a, b in zip(plain[1:200], lines[1:200]):
        assert b.startswith(a + ",")
    per_spectrum = []
    for r in rows:
        if r["pixel"] == "0":
            per_spectrum.append(r)
        else:  # every line of a spectrum carries the same row
            assert {k: r[k] for k in ("z", "ra", "class")} == {k: per_spectrum[-1][k] for k in ("z", "ra", "class")}
    check_rows(per_spectrum, store, order)
    assert n_pixel_cols == 10  # specobjid, pixel, the 8 columns


def test_meta_no_is_byte_identical_and_npy_refuses_yes(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids, _ = id_list(tmp_path, files)
    # The store before this feature wrote no meta: --meta no must give those bytes; a run of
    # the same command with meta differs only by the two added members.
    specmill("get", "--store", store, "--ids", ids, "--meta", "no", "--out", tmp_path / "no.npz")
    specmill("get", "--store", store, "--ids", ids, "--out", tmp_path / "auto.npz")
    specmill("get", "--store", store, "--ids", ids, "--meta", "no", "--out", tmp_path / "no2.npz")
    assert (tmp_path / "no.npz").read_bytes() == (tmp_path / "no2.npz").read_bytes()
    with np.load(tmp_path / "no.npz", allow_pickle=False) as a, np.load(tmp_path / "auto.npz", allow_pickle=False) as b:
        assert "meta" not in a.files and "meta_units" not in a.files
        assert sorted(b.files) == sorted(a.files + ["meta", "meta_units"])
        for k in a.files:
            assert np.array_equal(a[k], b[k]), k
    for fmt in ("h5", "fits"):
        specmill("get", "--store", store, "--ids", ids, "--meta", "no", "--out", tmp_path / f"no.{fmt}")
    with h5py.File(tmp_path / "no.h5", "r") as h:
        assert "meta" not in h
    with fits.open(tmp_path / "no.fits") as h:
        assert [x.name for x in h] == ["PRIMARY", "SPECTRA"]
    p = specmill("get", "--store", store, "--ids", ids, "--meta", "yes", "--out", tmp_path / "m.npy", check=False)
    assert p.returncode != 0 and "npy" in p.stderr
    assert not (tmp_path / "m.npy").exists()


def test_desi_store_gets_desi_columns(specmill, tmp_path):
    """A DESI store's rows carry the DESI names of its catalog's columns, equal to the zpix
    catalog it was ingested with (z and fluxes as the catalog holds them: float32)."""
    specmill("sample", "--survey", "desi", "--out", tmp_path / "s", "--count", "40", "--seed", "9", "--fields", "1",
             "--repeat-fraction", "0.1")
    zpix = tmp_path / "s" / "zpix-sample.fits"
    specmill("ingest", "--store", tmp_path / "st", "--catalog", zpix, tmp_path / "s" / "healpix")
    ids = specmill("query", "--store", tmp_path / "st", "--context", "desi_dr1", "--constraint", "1", "--limit", "6").stdout.split()
    ids.insert(1, "1")  # unknown
    (tmp_path / "ids.txt").write_text("\n".join(ids) + "\n")
    specmill("get", "--store", tmp_path / "st", "--context", "desi_dr1", "--ids", tmp_path / "ids.txt",
             "--out", tmp_path / "d.h5")
    with h5py.File(tmp_path / "d.h5", "r") as h:
        m = {n: h["meta"][n][()] for n in h["meta"]}
        assert h["meta/flux_r"].attrs["units"] in (b"nanomaggy", "nanomaggy")
        assert m["specobjid"].tolist() == h["specobjid"][()][h["found"][()].astype(bool)].tolist()
    assert "mjd" not in m and "fiberid" not in m and "class" not in m
    assert len(m["targetid"]) == 6
    with fits.open(zpix) as f:
        t = f[1].data
        for i in range(6):
            sel = ((t["TARGETID"] == m["targetid"][i]) & (t["SURVEY"] == m["survey"][i].decode())
                   & (t["PROGRAM"] == m["program"][i].decode()))
            row = t[sel][0]
            assert np.float32(row["Z"]) == np.float32(m["z"][i])
            assert np.float32(row["FLUX_R"]) == np.float32(m["flux_r"][i])
            assert int(row["HEALPIX"]) == int(m["healpix"][i])
            assert str(row["SPECTYPE"]).strip() == m["spectype"][i].decode()
            assert float(row["TARGET_RA"]) == float(m["ra"][i])
