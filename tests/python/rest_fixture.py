"""A live `specmill serve` on 127.0.0.1 with an ephemeral port, over a store built from the 10
real SDSS files plus 60 sample spectra, with a public and a token-protected context."""
import json
import os
import pathlib
import signal
import subprocess
import time

import pytest
import requests

from conftest import BIN, SHARED, run


class Server:
    def __init__(self, proc, port, store):
        self.proc, self.port, self.store = proc, port, store
        self.url = f"http://127.0.0.1:{port}"

    def get(self, path, **kw):
        return requests.get(self.url + path, timeout=60, **kw)

    def post(self, path, **kw):
        return requests.post(self.url + path, timeout=120, **kw)


def start(config, extra=()):
    proc = subprocess.Popen([BIN, "serve", "--config", str(config), "--port", "0", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    assert "listening on" in line, (line, proc.stderr.read() if proc.poll() is not None else "")
    port = int(line.split("127.0.0.1:")[1].split()[0])
    return proc, port


@pytest.fixture(scope="session")
def rest_store(tmp_path_factory):
    d = tmp_path_factory.mktemp("rest")
    run("sample", "--out", d / "sample", "--count", "60", "--seed", "5")
    run("ingest", "--store", d / "store", "--block-size", "16", SHARED / "spectra", d / "sample")
    run("ingest", "--store", d / "store", "--context", "private_dr16", SHARED / "spectra")
    return d


@pytest.fixture(scope="session")
def server(rest_store):
    config = rest_store / "service.json"
    config.write_text(json.dumps({
        "contexts": [
            {"name": "sdss_dr16", "store": "store", "description": "real and sample spectra"},
            {"name": "private_dr16", "store": "store", "public": False, "tokens": ["reader-token"]},
        ],
        "profiles": [{"name": "default", "description": "test profile"}],
        "limits": {"max_ids": 5000, "max_body_bytes": 200000},
        "admin_token": "admin-token",
    }))
    proc, port = start(config)
    yield Server(proc, port, rest_store / "store")
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
