"""A throwaway PostgreSQL cluster for the Python tests (scripts/pg-throwaway.sh: initdb into a temp
folder as an unprivileged user, a Unix socket only, q3c created), stopped and deleted at the end
of the session. Tests that use it skip, with the reason, only where the PostgreSQL binaries are
missing (scripts/install-deps.sh installs them)."""
import pathlib
import subprocess
import tempfile

import pytest

SCRIPT = pathlib.Path(__file__).resolve().parents[2] / "scripts" / "pg-throwaway.sh"


@pytest.fixture(scope="session")
def pg_url():
    folder = tempfile.mkdtemp(prefix="specmill-pg-")
    p = subprocess.run([str(SCRIPT), "start", folder], capture_output=True, text=True)
    if p.returncode == 77:
        subprocess.run([str(SCRIPT), "stop", folder])
        pytest.skip("PostgreSQL: " + p.stderr.strip())
    assert p.returncode == 0, p.stderr
    try:
        yield p.stdout.strip()
    finally:
        subprocess.run([str(SCRIPT), "stop", folder], check=True)
