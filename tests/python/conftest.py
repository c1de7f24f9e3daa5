import os
import pathlib
import subprocess

import pytest

BIN = os.environ.get("SPECMILL_BIN", "build/bin/specmill")
SHARED = pathlib.Path(os.environ.get("SPECMILL_SHARED_DATA", "../shared/data"))


def run(*args, check=True, **kw):
    """Runs the specmill binary; returns the CompletedProcess (text mode)."""
    p = subprocess.run([BIN, *map(str, args)], capture_output=True, text=True, **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"specmill {' '.join(map(str, args))} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


@pytest.fixture
def specmill():
    return run


@pytest.fixture
def shared():
    return SHARED
