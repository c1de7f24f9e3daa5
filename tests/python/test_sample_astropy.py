"""astropy opens specmill's synthetic sample without warnings, and its files have the same
structure (HDUs, columns, TFORMs, header keys) as real SDSS spec-lite files of the same era."""
import glob
import os
import subprocess
import warnings

import numpy as np
import pytest
from astropy.io import fits

BIN = os.environ.get("SPECMILL_BIN")
DATA = os.environ.get("SPECMILL_SHARED_DATA")
# Real references: lowercase COADD names and EXTNAMEs (legacy 0266, BOSS 6717/3586).
REFERENCE = {"26": "spec-0266-51602-0013.fits", "v5_13_0": "spec-6717-56397-0534.fits"}
EXTNAMES = {"26": ["COADD", "SPECOBJ", "SPZLINE"], "v5_13_0": ["COADD", "SPALL", "SPZLINE"]}
REQUIRED_KEYS = ["COEFF0", "COEFF1", "NWORDER", "WFITTYPE", "DC-FLAG", "VACUUM", "BUNIT", "PLATEID",
                 "MJD", "FIBERID", "PLUG_RA", "PLUG_DEC", "TELESCOP", "NEXP", "EXPTIME", "HELIO_RV",
                 "WAT0_001", "WAT1_001"]
ERA_KEYS = {"26": ["SPEC_ID"], "v5_13_0": ["RUN2D", "THING_ID"]}

if not BIN or not DATA:
    pytest.skip("SPECMILL_BIN / SPECMILL_SHARED_DATA not set", allow_module_level=True)


def unpack(specobjid):
    specobjid = int(specobjid)
    return specobjid >> 50, (specobjid >> 24 & 0x3FFF) + 50000, specobjid >> 38 & 0xFFF


def columns(hdu):
    return [(c.name.lower(), c.format) for c in hdu.columns]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    subprocess.run([BIN, "sample", "--out", str(out), "--count", "40", "--seed", "4",
                    "--legacy-fraction", "0.4"], check=True, capture_output=True)
    files = sorted(glob.glob(str(out / "*" / "spectra" / "lite" / "*" / "spec-*.fits")))
    assert len(files) == 40
    return out, files


@pytest.fixture(scope="module")
def references():
    refs = {}
    for run2d, name in REFERENCE.items():
        with fits.open(os.path.join(DATA, "spectra", name)) as h:
            refs[run2d] = {
                "nhdu": len(h),  # full files: compare the first four HDUs only
                "cols": {i: columns(h[i]) for i in (1, 2, 3)},
                "rows3": len(h[3].data),
                "zero": {c.name: h[2].header.get(f"TZERO{i + 1}") for i, c in enumerate(h[2].columns)},
            }
    return refs


def test_every_file_opens_cleanly_and_matches_the_real_layout(sample, references):
    _, files = sample
    eras = set()
    for path in files:
        run2d = path.split(os.sep)[-5]
        eras.add(run2d)
        ref = references[run2d]
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with fits.open(path) as h:
                assert len(h) == 4
                assert [x.header.get("EXTNAME") for x in h[1:]] == EXTNAMES[run2d]
                for i in (1, 2, 3):
                    assert columns(h[i]) == ref["cols"][i], (path, i)
                assert [c.name for c in h[1].columns] == [
                    "flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model"]
                assert len(h[3].data) == ref["rows3"]
                hdr = h[0].header
                for key in REQUIRED_KEYS + ERA_KEYS[run2d]:
                    assert key in hdr, (path, key)
                assert "DATE" not in hdr
                coadd, meta = h[1].data, h[2].data[0]
                loglam = coadd["loglam"]
                start = int(round(float(loglam[0]) * 1e4))
                lattice = (np.arange(start, start + len(loglam)) * 1e-4).astype(np.float32)
                assert np.array_equal(loglam, lattice)
                k = round((float(loglam[0]) - hdr["COEFF0"]) / hdr["COEFF1"])
                assert (0 <= k <= 40) if run2d == "26" else k == 0
                assert np.all(np.isfinite(coadd["flux"])) and np.all(coadd["ivar"] >= 0)
                sid = int(meta["SPECOBJID"])
                assert unpack(sid) == (hdr["PLATEID"], hdr["MJD"], hdr["FIBERID"])
                assert (meta["PLATE"], meta["MJD"], meta["FIBERID"]) == unpack(sid)
                assert meta["RUN2D"].strip() == run2d
                if run2d == "26":
                    assert h[2].columns["SPECOBJID"].format == "22A"
                    assert hdr["SPEC_ID"].strip() == str(sid)
                else:
                    assert h[2].header[f"TZERO{h[2].columns.names.index('SPECOBJID') + 1}"] == 2**63
                    assert hdr["RUN2D"] == run2d
                name = os.path.basename(path)
                assert name == "spec-%04d-%05d-%04d.fits" % unpack(sid)
    assert eras == {"26", "v5_13_0"}


def test_catalog_opens_and_lists_every_file(sample, references):
    out, files = sample
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fits.open(out / "specObj-sample.fits") as h:
            cat = h[1].data
            assert [c.lower() for c in h[1].columns.names] == [c for c, _ in references["v5_13_0"]["cols"][2]]
            assert len(cat) == len(files)
            ids = {int(x) for x in cat["SPECOBJID"]}
            names = {"spec-%04d-%05d-%04d.fits" % unpack(i) for i in ids}
            assert names == {os.path.basename(f) for f in files}
            assert set(np.char.strip(cat["CLASS"])) <= {"GALAXY", "QSO", "STAR"}
