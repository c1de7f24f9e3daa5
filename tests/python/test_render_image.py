"""specmill image on the 10 real SDSS files, checked against the files read with astropy: rows
in list order with the first ID at the bottom, masked pixels NaN, zscale limits equal to
astropy's ZScaleInterval on the same image, percentiles equal to numpy's, the PNG's pixels the
scaled image, binning as nan-means, and the CLI's errors."""
import numpy as np
import pytest
from astropy.visualization import ZScaleInterval

from render_util import expected_gray, read_png
from test_roundtrip_real import coadd, ingest_real


def id_list(files, tmp_path, extra=()):
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(["-".join(f.stem.split("-")[1:]) for f in files] + list(extra)) + "\n")
    return ids


def limits_of(text):
    """The limits written into the PNG's Comment chunk."""
    lo, hi = text["Comment"].split(" limits ")[1].split(",")[:2]
    return float(lo), float(hi)


@pytest.fixture
def real(specmill, shared, tmp_path):
    store, files = ingest_real(specmill, shared, tmp_path)
    return store, files, id_list(files, tmp_path)


def test_npy_rows_are_the_files_first_at_the_bottom(specmill, real, tmp_path):
    store, files, ids = real
    specmill("image", "--store", store, "--ids", ids, "--out", tmp_path / "i.npy")
    img = np.load(tmp_path / "i.npy")
    starts = [int(round(float(coadd(f)[0]["loglam"][0]) * 1e4)) for f in files]
    ends = [s + len(coadd(f)[0]["flux"]) for s, f in zip(starts, files)]
    g0 = min(starts)
    assert img.shape == (10, max(ends) - g0) and img.dtype == np.float32
    for i, f in enumerate(files):
        cols = coadd(f)[0]
        row = img[9 - i]  # first ID at the bottom
        off, n = starts[i] - g0, len(cols["flux"])
        good = (cols["ivar"] > 0) & np.isfinite(cols["flux"])
        assert np.array_equal(row[off:off + n][good], cols["flux"][good]), f.name
        assert np.isnan(row[off:off + n][~good]).all() and np.isnan(row[:off]).all() and np.isnan(row[off + n:]).all()
    specmill("image", "--store", store, "--ids", ids, "--yflip", "--out", tmp_path / "f.npy")
    assert np.array_equal(np.load(tmp_path / "f.npy"), img[::-1], equal_nan=True)


def test_zscale_matches_astropy_and_the_png_shows_the_scaled_image(specmill, real, tmp_path):
    store, files, ids = real
    specmill("image", "--store", store, "--ids", ids, "--out", tmp_path / "i.npy")
    specmill("image", "--store", store, "--ids", ids, "--out", tmp_path / "i.png")
    img = np.load(tmp_path / "i.npy")
    px, text = read_png(tmp_path / "i.png")
    lo, hi = limits_of(text)
    alo, ahi = ZScaleInterval().get_limits(img)  # astropy samples the finite values in this order
    assert lo == pytest.approx(alo, rel=1e-6, abs=1e-6) and hi == pytest.approx(ahi, rel=1e-6, abs=1e-6)
    assert px.shape == img.shape and px.dtype == np.uint8
    want = expected_gray(img, lo, hi)
    # Pixels on a bin edge may round either way between float32 text limits and double math.
    assert np.mean(px != want) < 1e-3 and np.abs(px.astype(int) - want).max() <= 1
    assert (px[np.isnan(img)] == 0).all() and (px[~np.isnan(img)] > 0).all()


def test_yflip_png_is_the_exact_mirror(specmill, real, tmp_path):
    """zscale samples the image in one order whatever the display order: the flipped PNG has
    the same limits and is the unflipped PNG upside down, pixel for pixel."""
    store, files, ids = real
    specmill("image", "--store", store, "--ids", ids, "--thickness", "3", "--out", tmp_path / "up.png")
    specmill("image", "--store", store, "--ids", ids, "--thickness", "3", "--yflip", "--out", tmp_path / "down.png")
    up, up_text = read_png(tmp_path / "up.png")
    down, down_text = read_png(tmp_path / "down.png")
    assert limits_of(up_text) == limits_of(down_text)
    assert np.array_equal(down, up[::-1])


def test_linear_percentiles_range_and_colour(specmill, real, tmp_path):
    store, files, ids = real
    specmill("image", "--store", store, "--ids", ids, "--out", tmp_path / "i.npy")
    img = np.load(tmp_path / "i.npy")
    good = img[np.isfinite(img)]
    specmill("image", "--store", store, "--ids", ids, "--scale", "linear", "--percentiles", "2,98",
             "--out", tmp_path / "p.png")
    lo, hi = limits_of(read_png(tmp_path / "p.png")[1])
    assert (lo, hi) == pytest.approx(tuple(np.percentile(good, [2, 98])), rel=1e-6)
    specmill("image", "--store", store, "--ids", ids, "--range", "-5,30", "--out", tmp_path / "r.png")
    px, text = read_png(tmp_path / "r.png")
    assert limits_of(text) == (-5.0, 30.0) and "scale linear" in text["Comment"]
    assert np.array_equal(px, expected_gray(img, -5, 30))
    specmill("image", "--store", store, "--ids", ids, "--cmap", "inferno", "--range", "-5,30", "--thickness", "2",
             "--out", tmp_path / "c.png")
    rgb, _ = read_png(tmp_path / "c.png")
    assert rgb.shape == (20, img.shape[1], 3)
    assert (rgb[1::2] == rgb[0::2]).all()  # thickness 2: each row twice
    masked = np.isnan(img[::1].repeat(2, axis=0))
    assert (rgb[masked] == 128).all()  # mid-gray, not in inferno
    assert not (rgb[~masked] == 128).all(axis=-1).any()


def test_max_height_bins_rows_into_nan_means(specmill, real, tmp_path):
    store, files, ids = real
    specmill("image", "--store", store, "--ids", ids, "--out", tmp_path / "i.npy")
    specmill("image", "--store", store, "--ids", ids, "--max-height", "4", "--out", tmp_path / "b.npy")
    img, binned = np.load(tmp_path / "i.npy")[::-1], np.load(tmp_path / "b.npy")[::-1]  # list order
    assert binned.shape == (4, img.shape[1])
    which = np.arange(10) * 4 // 10  # item i goes to bin floor(i * 4 / 10)
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        want = np.array([np.nanmean(img[which == b].astype(np.float64), axis=0) for b in range(4)])
    assert np.allclose(binned, want, rtol=1e-6, equal_nan=True)


def test_cli_errors(specmill, real, tmp_path):
    store, files, ids = real
    out = tmp_path / "x.png"
    for bad in (["--range", "5,1"], ["--range", "abc"], ["--cmap", "jet"], ["--scale", "log"],
                ["--max-height", "-1"], ["--thickness", "0"], ["--percentiles", "50,40"],
                ["--scale", "zscale", "--range", "0,1"], ["--cutout", "7000-6000"], ["--device", "tpu"]):
        p = specmill("image", "--store", store, "--ids", ids, *bad, "--out", out, check=False)
        assert p.returncode == 2, (bad, p.stderr)
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("1234-55555-1\n")
    assert specmill("image", "--store", store, "--ids", unknown, "--out", out, check=False).returncode == 3
    assert not out.exists()
