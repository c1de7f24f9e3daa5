"""The Python client's two ways to one store: `local` (specmill.open_store, the engine in-process,
module specmill._engine from api/python) and `remote` (SpecClient against a live `specmill serve`
over the same store, client_fixture.py). A test that takes `client` runs once for each; one that
takes `both` gets the pair, to compare their results bit for bit.

The module is looked up in $SPECMILL_ENGINE_DIR, else beside the binary's build folder
(<build>/python/specmill, where CMake puts it). The local instances SKIP, saying so, only when
it was not built (pybind11-dev / python3-dev missing when CMake ran, or SPECMILL_PYTHON=OFF)."""
import glob
import os
import pathlib

import pytest

from client_fixture import client_store, server  # noqa: F401
from conftest import BIN

ENGINE_DIR = os.environ.get("SPECMILL_ENGINE_DIR") or str(
    pathlib.Path(BIN).resolve().parent.parent / "python" / "specmill")
os.environ["SPECMILL_ENGINE_DIR"] = ENGINE_DIR


def engine_built():
    return bool(glob.glob(os.path.join(ENGINE_DIR, "_engine*.so")))


NOT_BUILT = ("specmill._engine was not built (no %s/_engine*.so): configure with pybind11-dev and python3-dev "
             "installed (scripts/install-deps.sh), SPECMILL_PYTHON=AUTO|ON" % ENGINE_DIR)


def local_client(client_store):
    if not engine_built():
        pytest.skip(NOT_BUILT)
    import specmill
    return specmill.open_store(client_store / "store", context="sdss_dr16")


def remote_client(server):
    from specmill.client import SpecClient
    return SpecClient(context="sdss_dr16", svc_url=server.url)


@pytest.fixture(params=["local", "remote"])
def client(request, client_store, monkeypatch):
    monkeypatch.delenv("SPECMILL_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("DL_AUTH_TOKEN", raising=False)
    if request.param == "local":
        return local_client(client_store)
    return remote_client(request.getfixturevalue("server"))


@pytest.fixture
def both(client_store, server, monkeypatch):
    monkeypatch.delenv("SPECMILL_AUTH_TOKEN", raising=False)
    monkeypatch.delenv("DL_AUTH_TOKEN", raising=False)
    return local_client(client_store), remote_client(server)
