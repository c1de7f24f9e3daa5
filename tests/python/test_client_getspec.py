"""getSpec through the Python client against a live server: every id_list form, every fmt,
align, cutout, w0/w1, values, resample, out directories, missing IDs, one request per call, the
progress bar — the arrays checked against the real SDSS files."""
import io
import re

import numpy as np
import pytest
from astropy.io import fits

from client_fixture import client_store, moved, real_files, real_tuples, server, spec  # noqa: F401
from test_roundtrip_real import coadd

from specmill import _ids, errors

FIELDS = ("flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model")


def lattice_start(loglam):
    return int(round(float(loglam[0]) * 1e4))


def specobjid_of(path):
    with fits.open(path) as h:
        names = {n.lower(): n for n in h[2].columns.names}
        return int(str(h[2].data[names["specobjid"]][0]).strip())


def requests_to_getspec(server):
    m = re.search(r'specmill_requests_total\{route="/getSpec",status="200"\} (\d+)', server.get("/metrics").text)
    return int(m.group(1)) if m else 0


def test_single_ids_return_one_array(spec):
    f, t = real_files()[0], real_tuples()[0]
    cols = coadd(f)[0]
    sid = specobjid_of(f)
    assert _ids.decode_specobjid(sid) == t
    forms = [t, sid, np.uint64(sid), np.int64(np.uint64(sid).astype(np.int64)), str(sid), "%d,%d,%d" % t,
             "%d-%d-%d" % t, "%d %d %d" % t, (str(t[0]), str(t[1]), str(t[2])), np.array(sid)]
    for form in forms:
        a = spec.getSpec(form)
        assert isinstance(a, np.ndarray) and a.ndim == 1 and a.dtype.names == FIELDS, form
        for c in FIELDS:
            assert np.array_equal(a[c], cols[c]), (form, c)


def test_list_forms_return_lists(spec, tmp_path):
    files, tuples = real_files(), real_tuples()
    sids = [specobjid_of(f) for f in files]
    want = [len(coadd(f)[0]["flux"]) for f in files]
    path = tmp_path / "ids.txt"
    path.write_text("# my spectra\n" + "\n".join(str(s) for s in sids[:5]) + "\n\n" +
                    "\n".join("%d,%d,%d" % t for t in tuples[5:]) + "\n")
    forms = {
        "list of ints": sids,
        "list of tuples": tuples,
        "tuple of tuples": tuple(tuples),
        "mixed list": sids[:5] + tuples[5:],
        "uint64 array": np.array(sids, dtype=np.uint64),
        "int64 array": np.array(sids, dtype=np.uint64).astype(np.int64),
        "(n, 3) array": np.array(tuples),
        "array of strings": np.array([str(s) for s in sids]),
        "structured array": np.array(tuples, dtype=[("plate", "i4"), ("mjd", "i4"), ("fiberid", "i4")]),
        "newline string": "\n".join(str(s) for s in sids),
        "newline string of tuples": "\n".join("%d %d %d" % t for t in tuples),
        "python list text": str(tuples),
        "filename": str(path),
        "generator": (s for s in sids),
    }
    for name, form in forms.items():
        got = spec.getSpec(form)
        assert isinstance(got, list) and [len(a) for a in got] == want, name
        assert np.array_equal(got[3]["flux"], coadd(files[3])[0]["flux"]), name
    # a one-element list is still a list
    assert isinstance(spec.getSpec([sids[0]]), list)


def test_partial_tuples_expand(spec, moved, client_store):
    plate, mjd, _ = moved["polygon"][0]
    on_plate = sorted(tuple(int(x) for x in f.stem.split("-")[1:])
                      for f in (client_store / "sample").rglob("spec-%04d-*.fits" % plate))
    got = spec.getSpec((plate,), values="flux")
    assert isinstance(got, list) and len(got) == len(on_plate) > 1
    assert len(spec.getSpec((plate, mjd), values="flux")) == len([t for t in on_plate if t[1] == mjd])
    some = [t for t in on_plate if t[1] == mjd and 1 <= t[2] <= 100]
    assert 0 < len(some) < len(on_plate)
    part = spec.getSpec((plate, mjd, "1-100"), values="flux", align=True)
    assert part.shape[0] == len(some)
    assert len(spec.getSpec([(plate, mjd, "1-100"), real_tuples()[0]], values="flux")) == len(some) + 1
    assert len(spec.getSpec("[(%d,), (%d, %d, '1-100')]" % (plate, plate, mjd), values="flux")) == len(on_plate) + len(some)


def test_bulk_is_one_request(spec, server):
    ids = real_tuples() * 30  # 300 IDs
    before = requests_to_getspec(server)
    got = spec.getSpec(ids)
    assert len(got) == 300 and requests_to_getspec(server) == before + 1
    aligned = spec.getSpec(ids, align=True)
    assert aligned.shape[0] == 300 and requests_to_getspec(server) == before + 2


def test_align(spec):
    files, tuples = real_files(), real_tuples()
    a = spec.getSpec(tuples, fmt="numpy", align=True)
    assert a.ndim == 2 and a.shape[0] == 10 and a.dtype.names == FIELDS
    starts = [lattice_start(coadd(f)[0]["loglam"]) for f in files]
    ends = [s + len(coadd(f)[0]["flux"]) for s, f in zip(starts, files)]
    assert lattice_start(a["loglam"][0]) == min(starts) and a.shape[1] == max(ends) - min(starts)
    for i, f in enumerate(files):
        cols = coadd(f)[0]
        k = starts[i] - min(starts)
        n = len(cols["flux"])
        for c in ("flux", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model"):
            assert np.array_equal(a[c][i, k:k + n], cols[c])
            assert not a[c][i, :k].any() and not a[c][i, k + n:].any()  # zero-padded
        assert np.array_equal(a["loglam"][i], a["loglam"][0])  # the common grid in every row
    # a single ID aligned is its own row
    one = spec.getSpec(tuples[0], align=True)
    assert one.ndim == 1 and np.array_equal(one["flux"], coadd(files[0])[0]["flux"])
    # an explicit window, in log10 Angstrom
    w = spec.getSpec(tuples[:2], align=True, w0=3.6, w1=3.7)
    assert w.shape == (2, 1001) and abs(float(w["loglam"][0, 0]) - 3.6) < 1e-6


def test_cutout(spec):
    files, tuples = real_files(), real_tuples()
    for cut in ["6500-7200", (6500, 7200), [6500.0, 7200.0]]:
        a = spec.getSpec(tuples, cutout=cut)
        wave = 10 ** a["loglam"][0].astype(np.float64)
        assert a.shape[0] == 10 and wave[0] >= 6499.9 and wave[-1] <= 7200.1 and a.shape[1] > 400
    f0 = coadd(files[0])[0]
    k = lattice_start(a["loglam"][0]) - lattice_start(f0["loglam"])
    assert np.array_equal(a["flux"][0], f0["flux"][k:k + a.shape[1]])
    one = spec.getSpec(tuples[0], cutout="6500-7200")
    assert one.ndim == 1 and len(one) == a.shape[1]


def test_values_and_resample(spec):
    t = real_tuples()[:3]
    a = spec.getSpec(t, values="flux,ivar")
    assert a[0].dtype.names == ("flux", "ivar")
    a = spec.getSpec(t, values=["flux", "loglam"], align=True)
    assert a.dtype.names == ("flux", "loglam")
    a = spec.getSpec(t, values="flux", align=True)
    assert a.dtype.names == ("flux",)
    r = spec.getSpec(t, resample="lin:4000,8000,2")
    assert r.shape == (3, 2001) and r.dtype.names == ("flux", "loglam", "ivar", "and_mask")
    assert abs(10 ** float(r["loglam"][0, 0]) - 4000) < 0.01
    assert spec.getSpec(t, resample="log:3.6,3.9,1e-4", rest_frame=True).shape == (3, 3001)


def test_missing_ids_keep_their_place(spec):
    t = real_tuples()[0]
    with pytest.warns(UserWarning, match="1 of 3 spectra not found"):
        got = spec.getSpec([t, 12345, real_tuples()[1]])
    assert [len(g) > 0 for g in got] == [True, False, True]
    with pytest.warns(UserWarning, match="not found"):
        a = spec.getSpec([t, 12345], align=True)
    assert a.shape[0] == 2 and not a["flux"][1].any()
    with pytest.warns(UserWarning):
        s = spec.getSpec([t, 12345], fmt="Spectrum1D")
    assert s[1] is None and s[0] is not None
    with pytest.raises(errors.NotFoundError):
        spec.getSpec([12345, 67890])


def test_fmt_pandas(spec):
    import pandas as pd
    files, tuples = real_files(), real_tuples()
    one = spec.getSpec(tuples[0], fmt="pandas")
    assert isinstance(one, pd.DataFrame) and list(one.columns) == list(FIELDS) + ["wavelength"]
    assert np.array_equal(one["flux"].to_numpy(), coadd(files[0])[0]["flux"])
    assert one.attrs["plate"] == tuples[0][0] and one.attrs["fiberid"] == tuples[0][2]
    many = spec.getSpec(tuples[:3], fmt="pandas", align=True)
    assert len(many) == 3 and all(len(d) == len(many[0]) for d in many)
    assert np.allclose(many[1]["wavelength"], many[0]["wavelength"])
    part = spec.getSpec(tuples[:2], fmt="pandas", values="ivar")
    assert "flux" in part[0].columns and "ivar" in part[0].columns  # flux and loglam are always there


def test_fmt_spectrum1d_collection_list(spec):
    import astropy.units as u
    from specutils import Spectrum1D, SpectrumCollection, SpectrumList
    files, tuples = real_files(), real_tuples()
    cols = coadd(files[0])[0]
    s = spec.getSpec(tuples[0], fmt="Spectrum1D")
    assert isinstance(s, Spectrum1D)
    assert np.array_equal(s.flux.value, cols["flux"]) and s.flux.unit == u.Unit("1e-17 erg / (s cm2 Angstrom)")
    assert np.allclose(s.spectral_axis.to(u.AA).value, 10 ** cols["loglam"].astype(np.float64))
    assert np.array_equal(s.uncertainty.array, cols["ivar"])
    # The mask is the engine's bad-pixel rule, not and_mask != 0: ivar <= 0 (or inf), a
    # non-finite flux, or one of the default bad bits (core/mask_bits.hpp, by bit number:
    # NOPLUG 0, BADTRACE 1, BADFLAT 2, BADARC 3, MANYREJECTED 5, LARGESHIFT 6, WHOPPER 9,
    # FULLREJECT 18, NOSKY 22, BRIGHTSKY 23, NODATA 24, COMBINEREJ 25, BADFLUXFACTOR 26).
    default_bits = sum(1 << b for b in (0, 1, 2, 3, 5, 6, 9, 18, 22, 23, 24, 25, 26))
    want = ~((cols["ivar"] > 0) & np.isfinite(cols["ivar"])) | ~np.isfinite(cols["flux"]) | \
        ((cols["and_mask"].astype(np.int64) & default_bits) != 0)
    assert np.array_equal(s.mask, want)
    assert s.mask.sum() <= (cols["and_mask"] != 0).sum() + (cols["ivar"] <= 0).sum()
    assert s.meta["plate"] == tuples[0][0]
    lst = spec.getSpec(tuples[:3], fmt="Spectrum1D")
    assert isinstance(lst, list) and len(lst) == 3 and all(isinstance(x, Spectrum1D) for x in lst)
    coll = spec.getSpec(tuples[:3], fmt="Spectrum1DCollection")  # aligned for one shape
    assert isinstance(coll, SpectrumCollection) and coll.flux.shape[0] == 3
    assert coll.spectral_axis.shape == coll.flux.shape
    coll = spec.getSpec(tuples[:3], fmt="spectrum1dcollection", cutout="5000-6000")
    assert coll.spectral_axis.value.min() >= 4999.9
    sl = spec.getSpec(tuples[:3], fmt="Spectrum1DList")
    assert isinstance(sl, SpectrumList) and len(sl) == 3 and len(sl[1].flux) == len(coadd(files[1])[0]["flux"])


def test_fmt_fits(spec):
    files, tuples = real_files(), real_tuples()
    one = spec.getSpec(tuples[0], fmt="FITS")
    assert isinstance(one, fits.HDUList) and one[1].name == "COADD"
    assert one[0].header["TELESCOP"] == "SDSS 2.5-M" and one[2].data[0]["FIBERID"] == tuples[0][2]  # the spec file
    assert (one[0].header["PLATEID"], one[0].header["MJD"], one[0].header["FIBERID"]) == tuples[0]
    cols = coadd(files[0])[0]
    for c in FIELDS:
        assert np.array_equal(one[1].data[c], cols[c]), c
    many = spec.getSpec(tuples[:4], fmt="fits")
    assert len(many) == 4 and all(isinstance(h, fits.HDUList) for h in many)
    assert [(h[0].header["PLATEID"], h[0].header["MJD"], h[0].header["FIBERID"]) for h in many] == tuples[:4]
    aligned = spec.getSpec(tuples[:4], fmt="FITS", align=True)
    assert len({len(h[1].data) for h in aligned}) == 1  # one grid
    assert np.array_equal(aligned[0][1].data["loglam"], aligned[3][1].data["loglam"])
    assert aligned[0][1].columns.names == list(FIELDS)  # every column, aligned too
    k = lattice_start(cols["loglam"]) - lattice_start(aligned[0][1].data["loglam"])
    assert np.array_equal(aligned[0][1].data["sky"][k:k + len(cols["sky"])], cols["sky"])
    part = spec.getSpec(tuples[0], fmt="FITS", values="ivar")
    assert part[1].columns.names == ["flux", "loglam", "ivar"]
    buf = io.BytesIO()
    many[2].writeto(buf)
    assert buf.tell() > 0


def test_out_directory(spec, tmp_path):
    files, tuples = real_files(), real_tuples()
    assert spec.getSpec(tuples[:3], fmt="numpy", out=str(tmp_path / "npy")) == "OK"
    for f, t in zip(files[:3], tuples[:3]):
        a = np.load(tmp_path / "npy" / ("spec-%04d-%05d-%04d.npy" % t))
        assert a.dtype.names == FIELDS and np.array_equal(a["flux"], coadd(f)[0]["flux"])
    assert spec.getSpec(tuples[:3], fmt="FITS", out=str(tmp_path / "fits")) == "OK"
    for f, t in zip(files[:3], tuples[:3]):
        name = "spec-%04d-%05d-%04d.fits" % t
        assert name == f.name  # the original data release's file name
        with fits.open(tmp_path / "fits" / name) as h:
            assert np.array_equal(h["COADD"].data["flux"], coadd(f)[0]["flux"])


def test_verbose_progress(spec, capsys):
    spec.getSpec(real_tuples() * 20, align=True, verbose=True)
    err = capsys.readouterr().err
    assert "getSpec" in err and "MB" in err and "(200 spectra" in err
    spec.getSpec(real_tuples(), verbose=False)
    assert capsys.readouterr().err == ""


def test_module_and_object_agree(spec, server):
    c = spec.getClient("sdss_dr16", "default", svc_url=server.url)
    a = spec.getSpec(real_tuples(), align=True)
    b = c.getSpec(real_tuples(), align=True)
    assert np.array_equal(a, b)


def test_interleave_in_pieces_gives_the_same_arrays(spec, monkeypatch):
    """The structured arrays are filled by threads in pieces: tiny pieces, same result."""
    from specmill import _convert
    ids = real_tuples()
    a, b = spec.getSpec(ids, align=True), spec.getSpec(ids)
    monkeypatch.setattr(_convert, "_PIECE", 1000)
    assert np.array_equal(spec.getSpec(ids, align=True), a)
    assert all(np.array_equal(x, y) for x, y in zip(spec.getSpec(ids), b))
    monkeypatch.setattr(_convert, "_THREADS", 1)
    assert np.array_equal(spec.getSpec(ids, align=True), a)
