"""specmill preview and grid on the 10 real SDSS files: sizes, pages (from 1, the last partly
filled), every panel drawn, and the CLI's errors (exit 2 for bad options, 3 for unknown IDs)."""
import subprocess

import numpy as np

from conftest import BIN
from render_util import read_png
from test_roundtrip_real import ingest_real


def ids_of(files, tmp_path):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(["-".join(f.stem.split("-")[1:]) for f in files]) + "\n")
    return ids


def test_preview_sizes_and_stdout(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    specmill("preview", "--store", store, "--id", "266-51602-13", "--out", tmp_path / "p.png")
    px, _ = read_png(tmp_path / "p.png")
    assert px.shape == (100, 400, 3)  # the original service's default
    assert (px < 100).all(axis=-1).sum() > 500  # a flux line, a frame, text
    specmill("preview", "--store", store, "--id", "3586,55181,500", "--width", "640", "--height", "240", "--sky",
             "--model", "--error", "--lines", "--cutout", "4000-7000", "--out", tmp_path / "q.png")
    assert read_png(tmp_path / "q.png")[0].shape == (240, 640, 3)
    raw = subprocess.run([BIN, "-q", "preview", "--store", str(store), "--id", "266-51602-13", "--out", "-"],
                         capture_output=True, check=True).stdout
    assert raw == (tmp_path / "p.png").read_bytes()


def test_grid_pages(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = ids_of(files, tmp_path)
    for page, filled in ((1, 4), (2, 4), (3, 2)):
        out = tmp_path / f"g{page}.png"
        specmill("grid", "--store", store, "--ids", ids, "--nx", "2", "--ny", "2", "--page", page,
                 "--width", "300", "--height", "120", "--out", out)
        px, _ = read_png(out)
        assert px.shape == (240, 600, 3)
        cells = [px[r * 120:(r + 1) * 120, c * 300:(c + 1) * 300] for r in range(2) for c in range(2)]
        drawn = [not (cell == 255).all() for cell in cells]
        assert drawn == [True] * filled + [False] * (4 - filled), page
    p = specmill("grid", "--store", store, "--ids", ids, "--nx", "2", "--ny", "2", "--page", "4",
                 "--out", tmp_path / "g4.png", check=False)
    assert p.returncode == 2 and "beyond the last page 3" in p.stderr


def test_cli_errors(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    ids = ids_of(files, tmp_path)
    out = tmp_path / "x.png"
    for args in (["preview", "--id", "266-51602-13", "--width", "49"],
                 ["preview", "--id", "266-51602-13", "--height", "10001"],
                 ["preview", "--id", "266-51602-13", "--cutout", "5000"],
                 ["preview", "--id", "not-an-id"],
                 ["grid", "--ids", ids, "--nx", "0", "--ny", "2"],
                 ["grid", "--ids", ids, "--nx", "2", "--ny", "2", "--page", "0"],
                 ["grid", "--ids", ids, "--nx", "2", "--ny", "-1"]):
        p = specmill(args[0], "--store", store, *args[1:], "--out", out, check=False)
        assert p.returncode == 2, (args, p.stderr)
    p = specmill("preview", "--store", store, "--id", "1234-55555-1", "--out", out, check=False)
    assert p.returncode == 3 and "not in context" in p.stderr
    assert not out.exists()
