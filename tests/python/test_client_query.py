"""query() through the Python client against a live server: polygon, astropy coordinate, position,
constraint alone and with a region, fields, primary, catalog, paging, out files, tokens, errors.
The fixture moved sample spectra to the interface document's example positions."""
import numpy as np
import pytest
from astropy import coordinates as coords

from client_fixture import PRIVATE_TOKEN, client_store, moved, real_tuples, server, spec  # noqa: F401

from specmill import errors
from specmill._ids import decode_specobjid


def tuples_of(ids):
    return sorted(decode_specobjid(i) for i in ids)


def test_polygon(spec, moved):
    region = [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0)]
    ids = spec.query(region)
    assert isinstance(ids, list) and all(isinstance(i, int) for i in ids)
    assert tuples_of(ids) == sorted(moved["polygon"])
    assert tuples_of(spec.query(np.array(region))) == sorted(moved["polygon"])
    assert tuples_of(spec.query(region=region)) == sorted(moved["polygon"])
    assert sorted(spec.query(region, fields="tuple")) == sorted(moved["polygon"])


def test_coordinate_and_position(spec, moved):
    pos = coords.SkyCoord('0h8m05.63s +14d50m23.3s', frame='icrs')
    assert tuples_of(spec.query(pos, size=0.1)) == sorted(moved["coord"])
    assert tuples_of(spec.query(pos, 0.1)) == sorted(moved["coord"])
    assert tuples_of(spec.query(pos.galactic, size=0.1)) == sorted(moved["coord"])  # any frame: made ICRS
    assert tuples_of(spec.query(0.125, 12.123, 0.1)) == sorted(moved["cone"])
    assert tuples_of(spec.query(0.125, 12.123, size=0.1)) == sorted(moved["cone"])
    assert tuples_of(spec.query(ra=0.125, dec=12.123, size=0.1)) == sorted(moved["cone"])
    assert spec.query(0.125, 12.123, 0.001, fields="tuple") == [moved["cone"][0]]  # the one at the centre
    assert spec.query(180.0, -89.0, 0.01) == []


def test_constraint_fields_primary_paging(spec, moved):
    plate = real_tuples()[0][0]
    ids = spec.query(constraint="plate = %d" % plate, primary=False)
    assert ids and all(decode_specobjid(i)[0] == plate for i in ids)
    both = spec.query(0.0, 0.0, 10.0, constraint="fiberid < 60")
    assert tuples_of(both) == sorted(t for t in moved["polygon"] if t[2] < 60)
    every = spec.query(constraint="1", primary=False)
    primary = spec.query(constraint="1")
    assert len(every) >= len(primary) > 60
    page1 = spec.query(constraint="1", limit=10)
    page2 = spec.query(constraint="1", limit=10, offset=10)
    assert len(page1) == len(page2) == 10 and not set(page1) & set(page2)
    assert page1 + page2 == primary[:20]
    by_fiber = spec.query(constraint="1", sort="fiberid", limit=5, fields="tuple")
    assert [t[2] for t in by_fiber] == sorted(t[2] for t in by_fiber)
    assert spec.query(constraint="1", catalog="specobjall", limit=3) == every[:3]


def test_out_file_feeds_getspec(spec, moved, tmp_path):
    out = tmp_path / "ids.txt"
    ids = spec.query(0.0, 0.0, 10.0, out=str(out))
    assert out.read_text().split() == [str(i) for i in ids]
    got = spec.getSpec(str(out))
    assert len(got) == len(ids)
    tout = tmp_path / "tuples.txt"
    tuples = spec.query(0.0, 0.0, 10.0, fields="tuple", out=str(tout))
    assert tout.read_text().split() == ["%d,%d,%d" % t for t in tuples]
    assert len(spec.getSpec(str(tout), align=True)) == len(tuples)


def test_verbose_timeout_token_and_object(spec, server, capsys):
    spec.query(0.125, 12.123, 0.1, verbose=True, timeout=30)
    assert "query: 3 IDs" in capsys.readouterr().err
    c = spec.getClient("private_dr16", svc_url=server.url)
    with pytest.raises(errors.AuthenticationError):
        c.query(constraint="1")
    assert sorted(c.query(constraint="1", primary=False, token=PRIVATE_TOKEN, fields="tuple")) == sorted(real_tuples())


def test_query_errors(spec):
    for call in [lambda: spec.query(),
                 lambda: spec.query([(0, 0), (1, 1)]),
                 lambda: spec.query(0.0, 0.0),
                 lambda: spec.query(0.0, 0.0, 1.0, fields="bestobjid"),
                 lambda: spec.query(0.0, 0.0, 1.0, 2.0)]:
        with pytest.raises(errors.InvalidArgumentError):
            call()
    for kw in [dict(constraint="nope > 1"), dict(constraint="1; DROP TABLE specobj"),
               dict(constraint="plate IN (SELECT 1 FROM ingested_files)"), dict(sort="nope", constraint="1")]:
        with pytest.raises(errors.InvalidArgumentError) as e:
            spec.query(**kw)
        assert e.value.status == 400 and e.value.message
    with pytest.raises(errors.InvalidArgumentError) as e:
        spec.query([(0, 0), (1, 0), (2, 0)])  # on one great circle: zero area
    assert e.value.status == 400
    with pytest.raises(errors.InvalidArgumentError):
        spec.query(0.0, 100.0, 1.0)  # Dec out of range
    with pytest.raises(errors.InvalidArgumentError) as e:
        spec.query(0.0, 0.0, 10.0, catalog="nope")
    assert "nope" in e.value.message


def test_value_added_catalog(spec, moved):
    got = spec.query(0.0, 0.0, 10.0, catalog="sdss_dr12.emissionlinesport", fields="tuple")
    assert got == sorted(moved["polygon"])  # sorted by SPECOBJID: plate, then fiber here
    assert spec.query(0.0, 0.0, 10.0, catalog="emissionlinesport", fields="tuple") == got
    assert sorted(spec.query(constraint="flux_oiii_5006 > 11", catalog="emissionlinesport", fields="tuple")) == \
        sorted(moved["polygon"][2:] + moved["cone"])
    ids = spec.query(0.125, 12.123, 0.1, catalog="emissionlinesport")
    assert len(spec.getSpec(ids)) == 3
