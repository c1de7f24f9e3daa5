"""The client's pictures and stacks against a live server: preview, plotGrid (and its aliases,
pages), stackedImage as PNG and numpy (row order, yflip, cutout), stack in every fmt."""
import io

import numpy as np
import pytest
from PIL import Image

from client_fixture import client_store, real_files, real_tuples, server, spec  # noqa: F401
from test_roundtrip_real import coadd

from specmill import errors


def png(data):
    assert isinstance(data, bytes) and data.startswith(b"\x89PNG")
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG"
    return im


def test_preview(spec):
    t = real_tuples()[0]
    assert png(spec.preview(t)).size == (400, 100)  # the original's default
    sid = int(spec.query(constraint="plate = %d AND fiberid = %d" % (t[0], t[2]), primary=False)[0])
    assert spec.preview(sid) == spec.preview(t) == spec.preview("%d,%d,%d" % t) == spec.preview(str(sid))
    big = spec.preview(t, width=800, height=300, sky=True, model=True, error=True, lines=True)
    assert png(big).size == (800, 300)
    plain = spec.preview(t, width=800, height=300)
    assert big != plain
    assert png(spec.preview(t, cutout=(6500, 7200), width=600, height=200)).size == (600, 200)
    assert png(spec.getClient("sdss_dr16", svc_url=spec.get_svc_url()).preview(t)).size == (400, 100)
    with pytest.raises(errors.NotFoundError):
        spec.preview((1, 51000, 1))
    with pytest.raises(errors.InvalidArgumentError):
        spec.preview(t, width=10)
    with pytest.raises(errors.InvalidArgumentError):
        spec.preview([t, t])


def test_plot_grid_pages(spec):
    ids = real_tuples()  # 10 spectra
    page0 = png(spec.plotGrid(ids, 2, 2, page=0))
    assert page0.size == (2 * 400, 2 * 100)
    pages = [spec.plotGrid(ids, 2, 2, page=p) for p in range(3)]  # 4 + 4 + 2
    assert len(set(pages)) == 3 and pages[0] == spec.plotGrid(ids, 2, 2)
    assert spec.getGridPlot(ids, 2, 2, page=1) == pages[1] == spec.gridPlot(ids, nx=2, ny=2, page=1)
    with pytest.raises(errors.InvalidArgumentError) as e:
        spec.plotGrid(ids, 2, 2, page=3)  # beyond the last page: the message names it
    assert e.value.status == 400
    assert png(spec.plotGrid(ids, 5, 5, width=200, height=80)).size == (1000, 400)
    # the interface document's loop over pages
    id_list = ids
    npages = int(np.ceil(len(id_list) / 25))
    assert [png(spec.getGridPlot(id_list, 5, 5, page=pg)).size for pg in range(npages)] == [(2000, 500)]


def test_stacked_image(spec):
    files, ids = real_files(), real_tuples()
    im = png(spec.stackedImage(ids, fmt="png"))
    a = spec.stackedImage(ids, fmt="numpy")
    assert a.dtype == np.float32 and a.shape[0] == 10 and im.size == (a.shape[1], a.shape[0])
    # the first ID is the bottom row (row 0 of the array is the top); yflip puts it on top
    f0 = coadd(files[0])[0]
    good = f0["ivar"] > 0
    bottom = a[-1]
    assert np.nanmax(np.abs(bottom)) > 0 and np.isfinite(bottom).sum() <= good.sum()
    flipped = spec.stackedImage(ids, fmt="numpy", yflip=True)
    assert np.array_equal(np.isnan(flipped), np.isnan(a[::-1]))
    assert np.allclose(np.nan_to_num(flipped), np.nan_to_num(a[::-1]))
    assert np.nanmean(flipped[0]) == pytest.approx(float(np.mean(f0["flux"][f0["ivar"] > 0])), rel=0.05)
    # align is implied: the columns are the list's common lattice (listSpan)
    assert a.shape[1] == spec.getSpec(ids, align=True).shape[1]
    assert np.array_equal(spec.stackedImage(ids, fmt="numpy", align=True), a, equal_nan=True)
    cut = spec.stackedImage(ids, fmt="numpy", cutout="6500-7200")
    assert cut.shape == (10, spec.getSpec(ids, cutout="6500-7200").shape[1])
    styled = spec.stackedImage(ids, fmt="png", cmap="viridis", inverse=True, thickness=3, scale="asinh")
    assert png(styled).size == (a.shape[1], 30) and png(styled).mode == "RGB"
    assert png(spec.stackedImage(ids, width=500, height=5)).size == (500, 5)
    with pytest.raises(errors.InvalidArgumentError):
        spec.stackedImage(ids, cmap="nope")
    with pytest.raises(errors.NotFoundError):
        spec.stackedImage([12345, 67890])


def test_stack(spec):
    import pandas as pd
    from astropy.io import fits
    from specutils import Spectrum1D
    ids = real_tuples()
    z = spec.stack(ids)
    assert {"wavelength", "flux", "ivar", "error", "n", "metadata"} <= set(z)
    assert z["wavelength"].dtype == np.float64 and len(z["flux"]) == len(z["wavelength"])
    assert z["metadata"]["method"] == "weighted_mean" and z["metadata"]["n_used"] == 10
    assert z["n"].max() <= 10 and z["n"].max() > 1
    # a stack of copies of one spectrum gives that spectrum back (weighted mean on the lattice)
    one = spec.stack([ids[0]] * 3, mask_bits="none")
    f0 = coadd(real_files()[0])[0]
    good = one["n"] > 0
    assert len(one["flux"]) == len(f0["flux"]) and np.array_equal(good, f0["ivar"] > 0)
    assert np.array_equal(one["flux"][good], f0["flux"][good])
    assert np.allclose(one["ivar"][good], 3 * f0["ivar"][good], rtol=1e-6)
    med = spec.stack(ids, method="median", grid="log:3.6,3.9,1e-4", normalize=(5000, 5500))
    assert len(med["flux"]) == 3001 and med["metadata"]["method"] == "median"
    rest = spec.stack(ids, rest_frame=True, grid="lin:2000,6000,2", mask_bits="none")
    assert rest["wavelength"][0] == pytest.approx(2000) and len(rest["flux"]) == 2001
    df = spec.stack(ids, fmt="pandas")
    assert isinstance(df, pd.DataFrame) and list(df.columns) == ["wavelength", "flux", "ivar", "error", "n"]
    assert df.attrs["n_used"] == 10
    s = spec.stack(ids, fmt="Spectrum1D")
    assert isinstance(s, Spectrum1D) and len(s.flux) == len(z["flux"]) and s.meta["n_used"] == 10
    h = spec.stack(ids, fmt="FITS")
    assert isinstance(h, fits.HDUList) and np.allclose(h["STACK"].data["FLUX"], z["flux"])
    text = spec.stack(ids, fmt="csv")
    assert "wavelength,flux,ivar,error,n" in text
    with pytest.raises(errors.InvalidArgumentError):
        spec.stack(ids, method="nope")
    with pytest.raises(errors.InvalidArgumentError):
        spec.stack(ids, fmt="xml")
    with pytest.raises(errors.NotFoundError):
        spec.stack([12345])
