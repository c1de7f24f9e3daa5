"""The client installs offline with Debian's python3 (pip, setuptools, no downloads) and works
from the installed copy."""
import shutil
import subprocess
import sys

from client_fixture import CLIENT_DIR, client_env, client_store, real_tuples, server  # noqa: F401


def test_pip_install_offline_and_use(tmp_path, server):
    src = tmp_path / "src"
    shutil.copytree(CLIENT_DIR, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path / "site"
    p = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation", "--no-deps", "--no-index",
                        "--target", str(target), str(src)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout + p.stderr
    assert (target / "specmill" / "client.py").exists() and list(target.glob("specmill-*.dist-info"))
    env = client_env(server)
    env["PYTHONPATH"] = str(target)
    code = ("import specmill, specmill.client as spec; "
            "assert specmill.__file__.startswith(%r), specmill.__file__; "
            "print(spec.isAlive(), len(spec.getSpec(%r, context='sdss_dr16')), specmill.__version__)"
            % (str(target), real_tuples()[0]))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "3838", "0.1.0"]


def test_numpy_is_the_only_hard_dependency(tmp_path, server):
    """With requests, pandas, astropy, specutils and matplotlib hidden, the client still queries
    and fetches numpy arrays (over urllib)."""
    blocker = tmp_path / "block"
    blocker.mkdir()
    for name in ("requests", "pandas", "astropy", "specutils", "matplotlib", "PIL"):
        (blocker / (name + ".py")).write_text("raise ImportError('hidden for this test')\n")
    env = client_env(server)
    env["PYTHONPATH"] = str(blocker) + ":" + env["PYTHONPATH"]
    code = ("import specmill.client as spec, specmill._http as h; "
            "assert h._requests is None; "
            "a = spec.getSpec(%r, context='sdss_dr16', align=True); "
            "print(spec.isAlive(), a.shape[0], type(spec.getSpec(%r, context='sdss_dr16', fmt='FITS')).__name__)"
            % (real_tuples()[:3], real_tuples()[0]))
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "3", "bytes"]
    code = "import specmill.client as spec; spec.getSpec(%r, context='sdss_dr16', fmt='pandas')" % (real_tuples()[0],)
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and "python3-pandas" in out.stderr
