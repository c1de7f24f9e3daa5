"""The client's typed results and helpers (issue 19): query_spectra / iter_spectra /
get_spectrum / get_object, queries that page past the service's row cap, specmill.flags and
specmill.units. Runs against the shared client test server and, for the row cap, a second
server over the same store with max_query_rows 7."""
import json
import signal
import sqlite3

import numpy as np
import pytest

from client_fixture import client_store, moved, real_tuples, server, spec  # noqa: F401
from rest_fixture import start

from specmill import errors, flags, units
from specmill._ids import decode_specobjid

CAP = 7


@pytest.fixture(scope="module")
def capped(client_store):  # noqa: F811
    """A server whose pages hold at most CAP rows."""
    config = client_store / "capped.json"
    config.write_text(json.dumps({"contexts": [{"name": "sdss_dr16", "store": "store"}],
                                  "limits": {"max_query_rows": CAP}}))
    proc, port = start(config)
    from specmill import client
    yield client.SpecClient(context="sdss_dr16", svc_url="http://127.0.0.1:%d" % port)
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def catalog_rows(store, where="1", primary=True):
    """Catalog rows straight from the store's SQLite catalog (specobj: the primary ones), in the
    service's order (ID unsigned)."""
    with sqlite3.connect("file:%s?mode=ro" % (store / "catalog.sqlite"), uri=True) as db:
        rows = db.execute("SELECT specobjid, plate, mjd, fiberid, z, class, zwarning FROM specobjall "
                          "WHERE context = 'sdss_dr16' AND (%s) AND (%s)" % ("specprimary = 1" if primary else "1", where)
                          ).fetchall()
    return sorted(((r[0] & 0xFFFFFFFFFFFFFFFF,) + tuple(r[1:]) for r in rows), key=lambda r: r[0])


def test_query_pages_past_the_row_cap(capped, client_store):  # noqa: F811
    want = [r[0] for r in catalog_rows(client_store / "store")]
    assert len(want) > 5 * CAP
    # One page of the raw service is cut at the cap and says so.
    r = capped._call("POST", "/query", {}, body={"context": "sdss_dr16", "constraint": "1", "format": "csv"})
    assert len(r.text.strip().splitlines()) == CAP + 1 and r.headers["x-query-more"] == "true"
    # The client follows the pages: every row, in order, none twice.
    assert capped.query(constraint="1") == want
    # limit and offset are the caller's, across pages.
    assert capped.query(constraint="1", limit=2 * CAP + 3, offset=4) == want[4:4 + 2 * CAP + 3]
    assert capped.query(constraint="1", offset=len(want) - 2) == want[-2:]
    assert capped.query(constraint="1", limit=0) == []
    t = capped.query_spectra(constraint="1")
    assert [int(x) for x in t["specobjid"]] == want


def test_cond_with_more_rows_than_a_page_warns(capped):
    with pytest.warns(UserWarning, match="more rows"):
        ids = capped.query(cond="1 = 1 LIMIT 50")
    assert len(ids) == CAP


def test_query_spectra_is_a_table_of_catalog_rows(spec, client_store):  # noqa: F811
    from astropy.table import Table
    plate = real_tuples()[0][0]
    t = spec.query_spectra(constraint="plate = %d" % plate, primary=False)
    want = catalog_rows(client_store / "store", "plate = %d" % plate, primary=False)
    assert isinstance(t, Table) and len(t) == len(want) > 0
    assert t["specobjid"].dtype == np.uint64
    assert [int(x) for x in t["specobjid"]] == [r[0] for r in want]
    assert list(t["plate"]) == [r[1] for r in want] and list(t["fiberid"]) == [r[3] for r in want]
    assert np.allclose(np.asarray(t["z"], dtype=float), [r[4] for r in want], rtol=0, atol=1e-12)
    assert list(t["class"]) == [r[5] for r in want]
    for name in ("ra", "dec", "z_err", "zwarning", "subclass", "sn_median_all", "specprimary", "run2d"):
        assert name in t.colnames
    few = spec.query_spectra(constraint="plate = %d" % plate, columns=["z", "class"], primary=False)
    assert few.colnames[:3] == ["specobjid", "z", "class"]


def test_iter_spectra_pages_and_fetches_data_lazily(capped, client_store):  # noqa: F811
    want = catalog_rows(client_store / "store")
    seen = list(capped.iter_spectra(constraint="1", page_size=5))
    assert [s.specobjid for s in seen] == [r[0] for r in want]
    s = seen[0]
    assert s._data is None  # nothing fetched yet
    d = s.data
    direct = capped.getSpec(s.specobjid)
    assert d.dtype.names == direct.dtype.names and np.array_equal(d["flux"], direct["flux"])
    assert (s.plate, s.mjd, s.fiberid) == decode_specobjid(s.specobjid)[:3]
    with pytest.raises(AttributeError):
        s.no_such_column


def test_get_spectrum_and_get_object(spec, client_store, tmp_path):  # noqa: F811
    t = real_tuples()[0]
    s = spec.get_spectrum(t)
    assert (s.plate, s.mjd, s.fiberid) == t and s.specobjid == spec.query(constraint="plate = %d AND mjd = %d AND "
                                                                          "fiberid = %d" % t, primary=False)[0]
    s1d = s.to_Spectrum1D()
    assert s1d.meta["z"] == s.z and np.array_equal(s1d.flux.value, s.data["flux"])
    out = tmp_path / "s.png"
    s.plot(out=out)
    assert out.stat().st_size > 1000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(errors.NotFoundError):
        spec.get_spectrum((1, 50000, 1))
    obj = spec.get_object(s.ra, s.dec)
    assert len(obj) >= 1 and s.specobjid in [x.specobjid for x in obj]
    assert obj.primary.specprimary == 1 or all(x.specprimary != 1 for x in obj)
    far = spec.get_object(s.ra, s.dec - 1.0, radius=1e-4)
    assert len(far) == 0 and far.primary is None


def test_flags_round_trip_and_match_the_engine():
    # Every bit of the engine's table (core/mask_bits.cpp) has the same name and number here.
    import pathlib
    import re
    src = (pathlib.Path(__file__).resolve().parents[2] / "core" / "mask_bits.cpp").read_text()
    pixel_table, zwarning_table = src.split("zwarnings{{", 1)  # SPPIXMASK first, then ZWARNING
    engine = {n: int(b) for n, b in re.findall(r'\{"([A-Z]+)", (\d+), "', pixel_table)}
    assert len(engine) == 26
    engine_z = {n: int(b) for n, b in re.findall(r'\{"([A-Z_0-9]+)", (\d+), "', zwarning_table)}
    assert len(engine_z) == 10
    assert {m.name: m.value.bit_length() - 1 for m in flags.ZWarning} == engine_z
    assert {m.name: m.value.bit_length() - 1 for m in flags.PixelMask} == engine
    names = re.search(r'default_stack_mask_bits =\s*((?:"[^"]*"\s*)+);',
                      (pathlib.Path(__file__).resolve().parents[2] / "core" / "mask_bits.hpp").read_text()).group(1)
    default = "".join(re.findall(r'"([^"]*)"', names)).split(",")
    assert flags.decode_flags(flags.DEFAULT_BAD_PIXELS) == sorted(default, key=lambda n: engine[n])
    for kind in (flags.PixelMask, flags.ZWarning):
        for name, bit, desc in flags.list_flags(kind):
            assert flags.encode_flags([name], kind) == 1 << bit and desc
        v = flags.encode_flags("%s|%s" % (flags.list_flags(kind)[0][0], flags.list_flags(kind)[-1][0]), kind)
        assert flags.decode_flags(v, kind) == [flags.list_flags(kind)[0][0], flags.list_flags(kind)[-1][0]]
        assert flags.encode_flags(flags.decode_flags(int(v), kind), kind) == v
    assert flags.ZWarning.SMALL_DELTA_CHI2 == 4 and flags.ZWarning.NODATA == 512
    m = flags.PixelMask.NOSKY | flags.PixelMask.BRIGHTSKY
    assert m & flags.PixelMask.NOSKY and not (m & ~flags.PixelMask.NOSKY) & flags.PixelMask.NOSKY
    assert flags.decode_flags(np.int32(m)) == ["NOSKY", "BRIGHTSKY"]
    with pytest.raises(ValueError, match="not PixelMask bits"):
        flags.decode_flags(1 << 14)
    with pytest.raises(ValueError, match="unknown ZWarning bit"):
        flags.encode_flags(["NOPLUG"], flags.ZWarning)


def test_flags_as_stack_mask_bits(spec):  # noqa: F811
    ids = spec.query(constraint="1", limit=12)
    by_name = spec.stack(ids, mask_bits="NOSKY,BRIGHTSKY,NODATA")
    by_flag = spec.stack(ids, mask_bits=flags.PixelMask.NOSKY | flags.PixelMask.BRIGHTSKY | flags.PixelMask.NODATA)
    assert np.array_equal(by_name["flux"], by_flag["flux"], equal_nan=True)
    assert np.array_equal(by_name["n"], by_flag["n"])
    default = spec.stack(ids)
    by_default_flag = spec.stack(ids, mask_bits=flags.DEFAULT_BAD_PIXELS)
    assert np.array_equal(default["flux"], by_default_flag["flux"], equal_nan=True)


def test_convert_flux_units_against_astropy():
    import astropy.units as u
    lam = np.linspace(3600.0, 10400.0, 37)
    f = np.abs(np.random.default_rng(3).normal(5.0, 2.0, lam.size))  # 1e-17 erg/s/cm^2/A
    sdss = u.Unit("1e-17 erg / (s cm2 Angstrom)")
    for name, unit in (("uJy", u.uJy), ("Jy", u.Jy), ("erg/s/cm2/Hz", u.erg / u.s / u.cm ** 2 / u.Hz),
                       ("nanomaggies", 3.631 * u.uJy), ("W/m2/nm", u.W / u.m ** 2 / u.nm)):
        want = (f * sdss).to(unit, u.spectral_density(lam * u.AA)).value
        got = units.convert_flux_units(f, lam, "sdss", name)
        assert np.allclose(got, want, rtol=1e-12, atol=0), name
        back = units.convert_flux_units(got, lam, name, "sdss")
        assert np.allclose(back, f, rtol=1e-12, atol=0), name
    assert units.ab_magnitude(1.0, unit="nanomaggies") == pytest.approx(22.5, abs=1e-9)
    assert np.isnan(units.ab_magnitude(-1.0))
    with pytest.raises(ValueError, match="needs the wavelength"):
        units.convert_flux_units(f, None, "sdss", "uJy")
    with pytest.raises(ValueError, match="unknown flux unit"):
        units.convert_flux_units(f, lam, "sdss", "furlongs")
