"""A live `specmill serve` for the Python client's tests, on 127.0.0.1 with an ephemeral port.

The store holds the 10 real SDSS files plus 60 sample spectra, with a public and a
token-protected context (as rest_fixture.py). Eight of the sample spectra are moved (their
HDU 2 PLUG_RA/PLUG_DEC, before ingest) to the positions that the interface document's query
examples use, so those examples find spectra:
  - 3 inside the polygon (0,0), (1,0), (0,1)
  - 3 inside the 0.1 deg cone around (0.125, 12.123)
  - 2 inside the 0.1 deg cone around 0h8m05.63s +14d50m23.3s (2.023458, 14.839806)
A value-added catalog 'emissionlinesport' holds the polygon's and the cone's moved spectra.
The package is used in place: clients/python goes first on sys.path.
"""
import json
import os
import pathlib
import signal
import sys

import pytest

from conftest import SHARED, run
from rest_fixture import Server, start

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLIENT_DIR = ROOT / "clients" / "python"
sys.path.insert(0, str(CLIENT_DIR))

# (ra, dec) the moved sample spectra get, in sorted file order of the first eight
PLACES = {
    "polygon": [(0.2, 0.2), (0.3, 0.1), (0.1, 0.6)],
    "cone": [(0.125, 12.123), (0.15, 12.1), (0.1, 12.15)],
    "coord": [(2.023458, 14.839806), (2.05, 14.82)],
}
PRIVATE_TOKEN = "reader-token"
ADMIN_TOKEN = "admin-token"


def _move_sample_spectra(sample_dir):
    """Rewrites PLUG_RA/PLUG_DEC (and RA/DEC) of eight sample files; returns their
    {group: [(plate, mjd, fiber), ...]}."""
    from astropy.io import fits

    files = sorted(pathlib.Path(sample_dir).rglob("spec-*.fits"))
    places = [(g, p) for g, ps in PLACES.items() for p in ps]
    moved = {g: [] for g in PLACES}
    for f, (group, (ra, dec)) in zip(files, places):
        with fits.open(f, mode="update") as h:
            row = h[2].data
            for col, v in (("PLUG_RA", ra), ("PLUG_DEC", dec), ("RA", ra), ("DEC", dec)):
                if col in row.columns.names:
                    row[col][0] = v
            for key, v in (("PLUG_RA", ra), ("PLUG_DEC", dec)):
                if key in h[0].header:
                    h[0].header[key] = v
        moved[group].append(tuple(int(x) for x in f.stem.split("-")[1:]))
    return moved


@pytest.fixture(scope="session")
def client_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("client")
    run("sample", "--out", d / "sample", "--count", "60", "--seed", "5")
    moved = _move_sample_spectra(d / "sample")
    run("ingest", "--store", d / "store", "--block-size", "16", SHARED / "spectra", d / "sample")
    run("ingest", "--store", d / "store", "--context", "private_dr16", SHARED / "spectra")
    _add_emission_line_catalog(d / "store", moved, d / "emissionlinesport.fits")
    (d / "moved.json").write_text(json.dumps(moved))
    return d


def _add_emission_line_catalog(store, moved, path):
    """A small value-added catalog, registered as 'emissionlinesport' (the interface's query
    example 4 names sdss_dr12.emissionlinesport): the polygon's and the cone's moved spectra
    with their positions and a made-up line flux."""
    import sqlite3

    import numpy as np
    from astropy.io import fits

    rows = []
    with sqlite3.connect("file:%s?mode=ro" % (store / "catalog.sqlite"), uri=True) as db:
        for t in moved["polygon"] + moved["cone"]:
            rows.append(db.execute("SELECT specobjid, plate, mjd, fiberid, ra, dec FROM specobjall "
                                   "WHERE context = 'sdss_dr16' AND plate = ? AND mjd = ? AND fiberid = ?", t).fetchone())
    cols = list(zip(*rows))
    ids = np.array(cols[0], dtype=np.int64)  # the same 64 bits as the unsigned SPECOBJID
    fits.BinTableHDU.from_columns([
        fits.Column(name="SPECOBJID", format="K", array=ids),
        fits.Column(name="PLATE", format="J", array=np.array(cols[1])),
        fits.Column(name="MJD", format="J", array=np.array(cols[2])),
        fits.Column(name="FIBERID", format="J", array=np.array(cols[3])),
        fits.Column(name="RA", format="D", array=np.array(cols[4])),
        fits.Column(name="DEC", format="D", array=np.array(cols[5])),
        fits.Column(name="FLUX_OIII_5006", format="E", array=np.arange(len(rows), dtype=np.float32) + 10),
    ]).writeto(path)
    run("catalog", "add", "--store", store, "--name", "emissionlinesport", path)


@pytest.fixture(scope="session")
def moved(client_store):
    return {g: [tuple(t) for t in v] for g, v in json.loads((client_store / "moved.json").read_text()).items()}


@pytest.fixture(scope="session")
def server(client_store):
    config = client_store / "service.json"
    config.write_text(json.dumps({
        "contexts": [
            {"name": "sdss_dr16", "store": "store", "description": "real and sample spectra"},
            {"name": "private_dr16", "store": "store", "public": False, "tokens": [PRIVATE_TOKEN]},
        ],
        "profiles": [{"name": "default", "description": "test profile"}],
        "limits": {"max_ids": 5000, "max_body_bytes": 200000},
        "admin_token": ADMIN_TOKEN,
    }))
    proc, port = start(config)
    yield Server(proc, port, client_store / "store")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.fixture
def spec(server, monkeypatch):
    """specmill.client with its default client pointed at the test server (context sdss_dr16)."""
    monkeypatch.delenv("SPECMILL_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("DL_AUTH_TOKEN", raising=False)
    from specmill import client
    old = client.sp_client
    client.sp_client = client.SpecClient(context="sdss_dr16", svc_url=server.url)
    yield client
    client.sp_client = old


def real_files():
    return sorted((SHARED / "spectra").glob("spec-*.fits"))


def real_tuples():
    return [tuple(int(x) for x in f.stem.split("-")[1:]) for f in real_files()]


def client_env(server):
    """The environment for a subprocess that uses the client against the test server."""
    env = dict(os.environ)
    env["SPECMILL_SVC_URL"] = server.url
    env["PYTHONPATH"] = str(CLIENT_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env["MPLBACKEND"] = "Agg"
    return env
