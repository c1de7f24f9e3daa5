"""The client's utilities against a live server: plot (matplotlib, sky/model/lines, every input
kind), to_pandas / to_Spectrum1D / to_Table, photometry in every fmt."""
import numpy as np
import pytest

from client_fixture import client_store, real_files, real_tuples, server, spec  # noqa: F401
from test_roundtrip_real import coadd

from specmill import errors


def png_size(path):
    from PIL import Image
    with Image.open(path) as im:
        assert im.format == "PNG"
        return im.size


def test_plot_to_png(spec, tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    t = real_tuples()[0]
    data = spec.getSpec(t)
    assert spec.plot(data, out=str(tmp_path / "a.png")) == "OK"
    assert png_size(tmp_path / "a.png") == (1000, 400)
    assert spec.plot(data, out=str(tmp_path / "b.png"), sky=True, model=True, lines=True) == "OK"
    assert spec.plot(data, out=str(tmp_path / "c.png"), lines={"Halpha": 6564.6, "Hbeta": 4862.7}, z=0.05,
                     title="mine") == "OK"
    # every input kind: an ID (fetched), a DataFrame, a Spectrum1D, one row of an aligned array
    assert spec.plot(t, out=str(tmp_path / "d.png"), model=True) == "OK"
    assert spec.plot(spec.getSpec(t, fmt="pandas"), out=str(tmp_path / "e.png"), sky=True) == "OK"
    assert spec.plot(spec.getSpec(t, fmt="Spectrum1D"), out=str(tmp_path / "f.png"), lines=True) == "OK"
    assert spec.plot(spec.getSpec(real_tuples()[:2], align=True)[1], out=str(tmp_path / "g.png")) == "OK"
    for name in "bcdefg":
        assert png_size(tmp_path / (name + ".png"))[0] > 0
    # the different overplots change the picture
    assert (tmp_path / "a.png").read_bytes() != (tmp_path / "b.png").read_bytes()
    # on a caller's axes
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    assert spec.plot(data, ax=ax, sky=True) is ax and len(ax.lines) == 2
    plt.close(fig)
    with pytest.raises(errors.InvalidArgumentError):
        spec.plot(spec.getSpec(t, values="flux,loglam"), out=str(tmp_path / "x.png"), sky=True)
    with pytest.raises(errors.InvalidArgumentError):
        spec.plot(np.zeros(3), out=str(tmp_path / "x.png"))
    with pytest.raises(errors.InvalidArgumentError):
        spec.plot(spec.getSpec(real_tuples()[:2], align=True), out=str(tmp_path / "x.png"))


def test_plot_of_an_id_marks_lines_at_its_catalog_redshift(spec):
    """plot(ID, lines=True) asks the service for the spectrum's z; the flux sets the y-range."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from astropy.io import fits
    from specmill._plot import COMMON_LINES
    f, t = real_files()[6], real_tuples()[6]
    with fits.open(f) as h:
        z = float(h[2].data[0]["Z"])
    assert z > 0.01
    fig, ax = plt.subplots()
    spec.plot(t, ax=ax, lines=True, sky=True)
    marks = sorted(line.get_xdata()[0] for line in ax.lines[2:])  # after flux and sky
    wave = 10.0 ** coadd(f)[0]["loglam"].astype(np.float64)
    # lines=True marks the engine's line table (get_emission_lines), not the client's short list.
    rest = [float(x["rest"]) for x in spec.get_emission_lines()]
    assert len(rest) > len(COMMON_LINES)
    expect = sorted(w * (1 + z) for w in rest if wave.min() <= w * (1 + z) <= wave.max())
    assert np.allclose(marks, expect, rtol=1e-6) and marks
    flux = coadd(f)[0]["flux"]
    lo, hi = ax.get_ylim()
    assert lo <= np.percentile(flux, 1) and hi >= np.percentile(flux, 99)
    assert hi - lo < 3 * (flux.max() - flux.min())  # not stretched by the sky
    plt.close(fig)
    # an explicit z wins over the catalog's
    fig, ax = plt.subplots()
    spec.plot(t, ax=ax, lines={"Halpha": 6564.61}, z=0.0)
    assert [line.get_xdata()[0] for line in ax.lines[1:]] == [6564.61]
    plt.close(fig)


def test_plot_shows_without_out(spec, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    shown = []
    monkeypatch.setattr(plt, "show", lambda *a, **k: shown.append(True))
    assert spec.plot(spec.getSpec(real_tuples()[0])) is None and shown == [True]
    plt.close("all")


def test_to_pandas_spectrum1d_table(spec):
    import pandas as pd
    from astropy.table import Table
    from specutils import Spectrum1D
    f, t = real_files()[0], real_tuples()[0]
    cols = coadd(f)[0]
    a = spec.getSpec(t)
    df = spec.to_pandas(a)
    assert isinstance(df, pd.DataFrame) and len(df) == len(a)
    assert np.array_equal(df["ivar"].to_numpy(), cols["ivar"])
    assert np.allclose(df["wavelength"], 10 ** cols["loglam"].astype(np.float64))
    s = spec.to_Spectrum1D(a)
    assert isinstance(s, Spectrum1D) and np.array_equal(s.flux.value, cols["flux"])
    tab = spec.to_Table(a)
    assert isinstance(tab, Table) and tab.colnames == list(a.dtype.names) and np.array_equal(tab["sky"], cols["sky"])
    # aligned 2-D arrays and lists
    al = spec.getSpec(real_tuples()[:3], align=True)
    dfs = spec.to_pandas(al)
    assert len(dfs) == 3 and len(dfs[2]) == al.shape[1]
    s2 = spec.to_Spectrum1D(al)
    assert s2.flux.shape == al.shape and s2.spectral_axis.shape == (al.shape[1],)
    t2 = spec.to_Table(al)
    assert len(t2) == 3 and t2["flux"].shape == al.shape
    lst = spec.getSpec(real_tuples()[:3])
    assert [len(d) for d in spec.to_pandas(lst)] == [len(x) for x in lst]
    assert all(isinstance(x, Spectrum1D) for x in spec.to_Spectrum1D(lst))
    assert [len(x) for x in spec.to_Table(lst)] == [len(x) for x in lst]
    # also as methods of a client object, and on the module-level import
    from specmill.client import SpecClient, to_Table
    assert len(SpecClient.to_pandas(a)) == len(a) and len(to_Table(a)) == len(a)
    with pytest.raises(errors.InvalidArgumentError):
        spec.to_pandas(np.zeros(3))
    with pytest.raises(errors.InvalidArgumentError):
        spec.to_Spectrum1D(spec.getSpec(t, values="flux"))


def test_photometry(spec):
    import pandas as pd
    from astropy.table import Table
    tuples = real_tuples()[:3]
    rec = spec.photometry(tuples, filters="sdss2010-g,sdss2010-r")
    assert rec.dtype.names == ("specobjid", "band", "nanomaggies", "nanomaggies_err", "mag", "mag_err", "flag")
    assert len(rec) == 6 and rec["specobjid"].dtype == np.uint64 and set(rec["band"]) == {"sdss2010-g", "sdss2010-r"}
    from specmill._ids import decode_specobjid
    assert [decode_specobjid(int(s)) for s in rec["specobjid"][::2]] == tuples
    assert np.isfinite(rec["mag"]).all()
    df = spec.photometry(tuples, filters=["sdss2010-g", "sdss2010-r"], fmt="pandas")
    assert isinstance(df, pd.DataFrame) and len(df) == 6
    assert isinstance(spec.photometry(tuples[0], fmt="table"), Table)
    text = spec.photometry(tuples[0], filters="sdss2010-r", fmt="csv")
    assert text.startswith("specobjid,band,nanomaggies") and len(text.strip().split("\n")) == 2
    with pytest.raises(errors.InvalidArgumentError):
        spec.photometry(tuples, filters="/etc/passwd")
    with pytest.raises(errors.NotFoundError):
        spec.photometry(tuples, filters="nope-x")
