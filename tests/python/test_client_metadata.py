"""getSpec's results carry their catalog row (z, z_err, class, subclass, zwarning, ra, dec,
plate/mjd/fiber, sn_median_all) and units in every fmt, local and remote: numpy (a Table beside
the arrays with with_meta=True), pandas attrs, Spectrum1D meta, FITS (PRIMARY keywords, HDU 2
SPECOBJ, TUNIT). Checked against the real files' HDU 2 read by astropy."""
import warnings

import numpy as np
import pytest
from astropy.io import fits

from client_fixture import real_files, real_tuples
from local_fixture import client, client_store, server  # noqa: F401


def hdu2(f):
    with fits.open(f) as h:
        r = h[2].data[0]
        names = {n.lower(): n for n in h[2].columns.names}
        return {"z": float(r[names["z"]]), "class": str(r[names["class"]]).strip(),
                "zwarning": int(r[names["zwarning"]]), "ra": float(r[names["plug_ra"]]),
                "dec": float(r[names["plug_dec"]])}


def check_row(row, f, t):
    want = hdu2(f)
    assert (row["plate"], row["mjd"], row["fiberid"]) == t
    assert row["z"] == pytest.approx(want["z"], rel=1e-6)
    assert row["class"] == want["class"]
    assert row["zwarning"] == want["zwarning"]
    assert row["ra"] == pytest.approx(want["ra"], abs=1e-6)
    assert row["dec"] == pytest.approx(want["dec"], abs=1e-6)
    for k in ("z_err", "subclass", "sn_median_all", "specobjid"):
        assert k in row, k


def test_numpy_with_meta_gives_a_table_in_request_order(client):
    ts = real_tuples()[::-1]
    arrays, table = client.getSpec(ts + [(1234, 55555, 1)], with_meta=True)
    assert len(arrays) == len(ts) + 1 and len(table) == len(ts) + 1
    files = real_files()[::-1]
    for i, t in enumerate(ts):
        check_row({c: table[c][i] for c in table.colnames}, files[i], t)
    assert np.ma.is_masked(table["z"][-1]) and np.ma.is_masked(table["class"][-1])  # the unknown ID keeps its place
    assert table.meta["unit_flux"] == "1e-17 erg / (Angstrom cm2 s)"
    # without with_meta: the original's plain arrays
    assert isinstance(client.getSpec(ts[0]), np.ndarray)


def test_pandas_and_spectrum1d_carry_the_row_and_units(client):
    pytest.importorskip("pandas")
    specutils = pytest.importorskip("specutils")
    import astropy.units as u
    f, t = real_files()[3], real_tuples()[3]
    df = client.getSpec(t, fmt="pandas")
    check_row(df.attrs, f, t)
    assert df.attrs["units"]["flux"] == "1e-17 erg / (Angstrom cm2 s)"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = client.getSpec([t, real_tuples()[5]], fmt="Spectrum1D")
    check_row(s[0].meta, f, t)
    check_row(s[1].meta, real_files()[5], real_tuples()[5])
    assert s[0].flux.unit == u.Unit("1e-17 erg / (Angstrom cm2 s)")
    assert s[0].spectral_axis.unit == u.AA
    assert isinstance(s[0], specutils.Spectrum1D)


def test_fits_has_keywords_hdu2_and_tunit(client):
    ts = real_tuples()[:3]
    hl = client.getSpec(ts, fmt="FITS", values="flux,ivar")
    for h, f, t in zip(hl, real_files()[:3], ts):
        hdr = h[0].header
        want = hdu2(f)
        assert hdr["Z"] == pytest.approx(want["z"], rel=1e-6) and hdr["CLASS"] == want["class"]
        assert hdr["ZWARNING"] == want["zwarning"] and hdr["RA"] == pytest.approx(want["ra"], abs=1e-6)
        row = h["SPECOBJ"].data[0]
        assert (row["PLATE"], row["MJD"], row["FIBERID"]) == t
        assert int(row["SPECOBJID"]) == int(hdr["SPECOBJ"])
        assert row["Z"] == pytest.approx(want["z"], rel=1e-6)
        units = {c.name: c.unit for c in h["COADD"].columns}
        assert units["flux"] == "1E-17 erg/cm^2/s/Angstrom" and units["loglam"] == "log10(Angstrom)"
        assert units["ivar"] == "1E+34 (erg/cm^2/s/Angstrom)^-2"


def test_rows_of_more_ids_than_one_request_carries(client, monkeypatch):
    # The rows come 100 IDs a request (the service's ID constraint limits); with 3 a request the
    # 10 real spectra take 4 requests and every row still lands on its spectrum.
    from specmill import client as client_module
    monkeypatch.setattr(client_module, "_IDS_PER_ROW_QUERY", 3)
    ts = real_tuples()
    _, table = client.getSpec(ts, with_meta=True)
    for i, (f, t) in enumerate(zip(real_files(), ts)):
        check_row({c: table[c][i] for c in table.colnames}, f, t)
