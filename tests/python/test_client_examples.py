"""The interface document's own examples (clients/python/examples/interface_examples.py) run as
written against a live server: polygon, coordinate and position queries, individual, bulk,
aligned and cutout getSpec, a preview, grid pages, a stacked image."""
import subprocess
import sys

from client_fixture import CLIENT_DIR, client_env, client_store, moved, server  # noqa: F401


def test_interface_examples_run(server, moved, tmp_path):
    script = CLIENT_DIR / "examples" / "interface_examples.py"
    p = subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], env=client_env(server),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    out = p.stdout
    assert "ALL EXAMPLES RAN" in out
    counts = dict(kv.split("=") for kv in out.split("COUNTS ")[1].split("\n")[0].split())
    assert counts == {"region": "3", "coord": "2", "tuple": "3", "position": "3"}
    assert "ids: %s" % sorted(moved["polygon"]) in out  # query 4: the catalog's rows in the 10 deg cone
    assert "aligned: (3, " in out and "cutout: (3, " in out
    shown = sorted(tmp_path.glob("shown-*.png"))
    assert len(shown) == 3  # preview, one grid page, the stacked image
    for f in shown:
        assert f.read_bytes().startswith(b"\x89PNG")
