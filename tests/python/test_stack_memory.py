"""stack streams: peak RSS (VmHWM, which `specmill -v stack` logs at the end) of stacking 10,000 and 100,000 IDs
drawn round-robin from the 10 real spectra grows by no more than the ID list itself (~0.5 KB an
ID resolved), for the weighted mean over list windows and for the exact median in pixel tiles
under --memory 16 (MiB). The stacks of the long lists also equal the stack of the 10 (each
spectrum 10,000 times: the same weighted mean to rounding, the same median exactly)."""
import re

import numpy as np

from test_roundtrip_real import ingest_real

PER_ID_BYTES = 1024  # allowed growth per extra ID: twice what a resolved ID costs today


def peak_rss(specmill, args):
    # Not the child's ru_maxrss from wait4: that includes the Python pages the fork carried in
    # before the exec (~100 MB with numpy and astropy loaded), which would hide the growth.
    p = specmill("-v", *args)
    m = re.search(r"peak resident memory (\d+) KiB", p.stderr)
    assert m, p.stderr
    return int(m.group(1)) * 1024


def test_peak_rss_does_not_grow_with_the_list(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    lines = ["-".join(f.stem.split("-")[1:]) for f in files]
    sizes = (10_000, 100_000)
    for n in sizes:
        (tmp_path / f"ids{n}.txt").write_text("\n".join(lines[i % 10] for i in range(n)) + "\n")
    (tmp_path / "ids10.txt").write_text("\n".join(lines) + "\n")
    runs = {
        "weighted_mean": ["--method", "weighted_mean"],
        "median": ["--method", "median", "--grid", "lin:5000,5200,1", "--memory", "16"],
    }
    for name, extra in runs.items():
        rss = {}
        for n in sizes:
            rss[n] = peak_rss(specmill, ["stack", "--store", store, "--ids", tmp_path / f"ids{n}.txt", *extra,
                               "--out", tmp_path / f"{name}{n}.npz"])
        growth = rss[sizes[1]] - rss[sizes[0]]
        print(f"{name}: peak RSS {rss[sizes[0]] / 2**20:.0f} MiB at {sizes[0]} IDs, "
              f"{rss[sizes[1]] / 2**20:.0f} MiB at {sizes[1]} ({growth / (sizes[1] - sizes[0]):.0f} B per extra ID)")
        assert growth < PER_ID_BYTES * (sizes[1] - sizes[0]), (name, rss)
        specmill("stack", "--store", store, "--ids", tmp_path / "ids10.txt", *extra, "--out", tmp_path / f"{name}10.npz")
        small, big = np.load(tmp_path / f"{name}10.npz"), np.load(tmp_path / f"{name}{sizes[1]}.npz")
        assert np.array_equal(big["n"], small["n"] * (sizes[1] // 10))
        if name == "median":
            assert np.array_equal(big["flux"], small["flux"])
        else:
            assert np.allclose(big["flux"], small["flux"], rtol=1e-5, atol=1e-6)
