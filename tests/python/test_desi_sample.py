"""`specmill sample --survey desi` writes files astropy opens without any warning (warnings are
errors here), with the HDUs, columns, types, units and header keys of the DESI data model
(desihub/desidatamodel: healpix coadd-SURVEY-PROGRAM-PIXNUM and zcatalog/v1 zpix-SURVEY-PROGRAM).
The lists below are transcribed from the data model pages as name:type, independently of the
C++ writer's table (io/fits/desi_hdu_columns.inc)."""
import glob
import os
import subprocess
import warnings

import numpy as np
import pytest
from astropy.io import fits

BIN = os.environ.get("SPECMILL_BIN")
if not BIN:
    pytest.skip("SPECMILL_BIN not set", allow_module_level=True)

# data-model type -> (astropy column format, numpy dtype kind)
TFORM = {"int64": "K", "int32": "J", "int16": "I", "float64": "D", "float32": "E", "binary": "B",
         "logical": "L"}

FIBERMAP = """TARGETID:int64 COADD_FIBERSTATUS:int32 TARGET_RA:float64 TARGET_DEC:float64 PMRA:float32
PMDEC:float32 REF_EPOCH:float32 FA_TARGET:int64 FA_TYPE:binary OBJTYPE:char[3] SUBPRIORITY:float64
OBSCONDITIONS:int32 RELEASE:int16 BRICKID:int32 BRICK_OBJID:int32 MORPHTYPE:char[4] FLUX_G:float32
FLUX_R:float32 FLUX_Z:float32 FLUX_IVAR_G:float32 FLUX_IVAR_R:float32 FLUX_IVAR_Z:float32 MASKBITS:int16
REF_ID:int64 REF_CAT:char[2] GAIA_PHOT_G_MEAN_MAG:float32 GAIA_PHOT_BP_MEAN_MAG:float32
GAIA_PHOT_RP_MEAN_MAG:float32 PARALLAX:float32 BRICKNAME:char[8] EBV:float32 FLUX_W1:float32
FLUX_W2:float32 FLUX_IVAR_W1:float32 FLUX_IVAR_W2:float32 FIBERFLUX_G:float32 FIBERFLUX_R:float32
FIBERFLUX_Z:float32 FIBERTOTFLUX_G:float32 FIBERTOTFLUX_R:float32 FIBERTOTFLUX_Z:float32 SERSIC:float32
SHAPE_R:float32 SHAPE_E1:float32 SHAPE_E2:float32 PHOTSYS:char[1] PRIORITY_INIT:int64 NUMOBS_INIT:int64
SV1_DESI_TARGET:int64 SV1_BGS_TARGET:int64 SV1_MWS_TARGET:int64 SV1_SCND_TARGET:int64 DESI_TARGET:int64
BGS_TARGET:int64 MWS_TARGET:int64 PLATE_RA:float64 PLATE_DEC:float64 COADD_NUMEXP:int16
COADD_EXPTIME:float32 COADD_NUMNIGHT:int16 COADD_NUMTILE:int16 MEAN_DELTA_X:float32 RMS_DELTA_X:float32
MEAN_DELTA_Y:float32 RMS_DELTA_Y:float32 MEAN_FIBER_RA:float64 STD_FIBER_RA:float32 MEAN_FIBER_DEC:float64
STD_FIBER_DEC:float32 MEAN_PSF_TO_FIBER_SPECFLUX:float32"""

EXP_FIBERMAP = """TARGETID:int64 PRIORITY:int32 SUBPRIORITY:float64 NIGHT:int32 EXPID:int32 MJD:float64
TILEID:int32 EXPTIME:float64 PETAL_LOC:int16 DEVICE_LOC:int32 LOCATION:int64 FIBER:int32 FIBERSTATUS:int32
FIBERASSIGN_X:float32 FIBERASSIGN_Y:float32 LAMBDA_REF:float32 PLATE_RA:float64 PLATE_DEC:float64
NUM_ITER:int64 FIBER_X:float64 FIBER_Y:float64 DELTA_X:float64 DELTA_Y:float64 FIBER_RA:float64
FIBER_DEC:float64 PSF_TO_FIBER_SPECFLUX:float64"""

TSNR = " ".join(f"TSNR2_{t}_{c}:float32" for c in "BRZ" for t in
                ["GPBDARK", "ELG", "GPBBRIGHT", "LYA", "BGS", "GPBBACKUP", "QSO", "LRG"])
TSNR_SUM = " ".join(f"TSNR2_{t}:float32" for t in
                    ["GPBDARK", "ELG", "GPBBRIGHT", "LYA", "BGS", "GPBBACKUP", "QSO", "LRG"])
SCORES = ("TARGETID:int64 " + " ".join(f"{k}_COADD_{q}_{c}:float32" for c in "BRZ"
                                       for k, q in [("INTEG", "FLUX"), ("MEDIAN", "FLUX"), ("MEDIAN", "SNR")])
          + " " + TSNR + " " + TSNR_SUM)

# zpix v1 ZCATALOG, with units where the data model gives them (the optional CMX/SV target masks,
# SCND_TARGET and SV_NSPEC/SV_PRIMARY are not written).
ZCATALOG = """TARGETID:int64 SURVEY:char[7] PROGRAM:char[6] HEALPIX:int32 SPGRPVAL:int32 Z:float64
ZERR:float64 ZWARN:int64 CHI2:float64 COEFF:float64[10] NPIXELS:int64 SPECTYPE:char[6] SUBTYPE:char[20]
NCOEFF:int64 DELTACHI2:float64 COADD_FIBERSTATUS:int32 TARGET_RA:float64:deg TARGET_DEC:float64:deg
PMRA:float32:mas_yr^-1 PMDEC:float32:mas_yr^-1 REF_EPOCH:float32:yr FA_TARGET:int64 FA_TYPE:binary
OBJTYPE:char[3] SUBPRIORITY:float64 OBSCONDITIONS:int32 RELEASE:int16 BRICKNAME:char[8] BRICKID:int32
BRICK_OBJID:int32 MORPHTYPE:char[4] EBV:float32:mag FLUX_G:float32:nanomaggy FLUX_R:float32:nanomaggy
FLUX_Z:float32:nanomaggy FLUX_W1:float32:nanomaggy FLUX_W2:float32:nanomaggy
FLUX_IVAR_G:float32:nanomaggy^-2 FLUX_IVAR_R:float32:nanomaggy^-2 FLUX_IVAR_Z:float32:nanomaggy^-2
FLUX_IVAR_W1:float32:nanomaggy^-2 FLUX_IVAR_W2:float32:nanomaggy^-2 FIBERFLUX_G:float32:nanomaggy
FIBERFLUX_R:float32:nanomaggy FIBERFLUX_Z:float32:nanomaggy FIBERTOTFLUX_G:float32:nanomaggy
FIBERTOTFLUX_R:float32:nanomaggy FIBERTOTFLUX_Z:float32:nanomaggy MASKBITS:int16 SERSIC:float32
SHAPE_R:float32:arcsec SHAPE_E1:float32 SHAPE_E2:float32 REF_ID:int64 REF_CAT:char[2]
GAIA_PHOT_G_MEAN_MAG:float32:mag GAIA_PHOT_BP_MEAN_MAG:float32:mag GAIA_PHOT_RP_MEAN_MAG:float32:mag
PARALLAX:float32:mas PHOTSYS:char[1] PRIORITY_INIT:int64 NUMOBS_INIT:int64 DESI_TARGET:int64
BGS_TARGET:int64 MWS_TARGET:int64 PLATE_RA:float64:deg PLATE_DEC:float64:deg COADD_NUMEXP:int16
COADD_EXPTIME:float32:s COADD_NUMNIGHT:int16 COADD_NUMTILE:int16 MEAN_DELTA_X:float32:mm
RMS_DELTA_X:float32:mm MEAN_DELTA_Y:float32:mm RMS_DELTA_Y:float32:mm MEAN_PSF_TO_FIBER_SPECFLUX:float32
MEAN_FIBER_RA:float64:deg STD_FIBER_RA:float32:arcsec MEAN_FIBER_DEC:float64:deg STD_FIBER_DEC:float32:arcsec
MIN_MJD:float64:d MAX_MJD:float64:d MEAN_MJD:float64:d """ + TSNR + " " + TSNR_SUM + """
MAIN_NSPEC:int16 MAIN_PRIMARY:logical ZCAT_NSPEC:int16 ZCAT_PRIMARY:logical DESINAME:char[22]"""

HDUS = ["PRIMARY", "FIBERMAP", "EXP_FIBERMAP"] + [f"{c}_{k}" for c in "BRZ" for k in
                                                 ["WAVELENGTH", "FLUX", "IVAR", "MASK", "RESOLUTION"]] + ["SCORES"]
NPIX = {"B": 2751, "R": 2326, "Z": 2881}
START = {"B": 3600.0, "R": 5760.0, "Z": 7520.0}


def parse(spec):
    out = []
    for item in spec.split():
        name, typ, *unit = item.split(":")
        unit = unit[0].replace("_", " ") if unit else None
        if typ.startswith("char["):
            form = typ[5:-1] + "A"
        elif "[" in typ:
            form = typ[typ.index("[") + 1:-1] + TFORM[typ[:typ.index("[")]]
        else:
            form = TFORM[typ]
        out.append((name, form, unit))
    return out


def check_table(hdu, spec):
    expected = parse(spec)
    norm = lambda f: f[1:] if len(f) == 2 and f[0] == "1" else f  # "1A" == "A", "1K" == "K"
    expected = [(n, norm(f), u) for n, f, u in expected]
    got = [(c.name, norm(c.format), c.unit or None) for c in hdu.columns]
    assert [g[0] for g in got] == [e[0] for e in expected]
    for (name, form, unit), (_, gform, gunit) in zip(expected, got):
        assert gform == form, f"{hdu.name}.{name}: TFORM {gform}, data model {form}"
        assert gunit == unit, f"{hdu.name}.{name}: unit {gunit}, data model {unit}"


def open_strict(path):
    warnings.simplefilter("error")
    h = fits.open(path, checksum=True)
    h.verify("exception")
    return h


@pytest.fixture(scope="module", params=["int32", "uint32"])
def sample(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"desi_{request.param}")
    subprocess.run([BIN, "sample", "--survey", "desi", "--out", str(out), "--count", "30", "--seed", "5",
                    "--mask-type", request.param], check=True, capture_output=True)
    files = sorted(glob.glob(str(out / "healpix" / "*" / "*" / "*" / "*" / "coadd-*.fits")))
    assert files
    return request.param, out, files


def test_coadd_hdus_columns_and_keys(sample):
    mask_type, out, files = sample
    masked = 0
    with warnings.catch_warnings():
        for path in files:
            with open_strict(path) as h:
                assert [x.name for x in h] == HDUS
                check_table(h["FIBERMAP"], FIBERMAP)
                check_table(h["EXP_FIBERMAP"], EXP_FIBERMAP)
                check_table(h["SCORES"], SCORES)
                assert h[0].header["HPXNSIDE"] == 64 and h[0].header["HPXNEST"] is True
                survey, program, pix = os.path.basename(path)[6:-5].split("-")
                assert h[0].header["HPXPIXEL"] == int(pix)
                # the release tree: healpix/<survey>/<program>/<pix//100>/<pix>/
                assert path.endswith(f"healpix/{survey}/{program}/{int(pix) // 100}/{pix}/{os.path.basename(path)}")
                n = len(h["FIBERMAP"].data)
                for cam in "BRZ":
                    w = h[f"{cam}_WAVELENGTH"]
                    assert w.header["BUNIT"] == "Angstrom" and w.data.dtype == np.dtype(">f8")
                    np.testing.assert_allclose(w.data, START[cam] + 0.8 * np.arange(NPIX[cam]), atol=1e-9)
                    assert h[f"{cam}_FLUX"].header["BUNIT"] == "10**-17 erg/(s cm2 Angstrom)"
                    assert h[f"{cam}_IVAR"].header["BUNIT"] == "10**+34 (s2 cm4 Angstrom2) / erg2"
                    assert h[f"{cam}_FLUX"].data.shape == (n, NPIX[cam])
                    assert h[f"{cam}_FLUX"].data.dtype == np.dtype(">f4")
                    assert h[f"{cam}_RESOLUTION"].data.shape == (n, 11, NPIX[cam])
                    m = h[f"{cam}_MASK"]
                    assert m.header["BITPIX"] == 32
                    if mask_type == "uint32":
                        assert m.header["BZERO"] == 2147483648 and m.data.dtype.kind == "u"
                    else:
                        assert "BZERO" not in m.header and m.data.dtype.kind == "i"
                    masked += int((m.data != 0).sum())
                # resolution rows sum to 1 (a real line-spread kernel)
                np.testing.assert_allclose(h["B_RESOLUTION"].data.sum(axis=1), 1.0, rtol=1e-5)
    assert masked > 0, "the sample flags some pixels (cosmics, dead stretches)"


def test_zcatalog_columns_units_and_primary(sample):
    _, out, files = sample
    with warnings.catch_warnings():
        with open_strict(out / "zpix-sample.fits") as h:
            assert [x.name for x in h] == ["PRIMARY", "ZCATALOG", "EXP_FIBERMAP"]
            check_table(h["ZCATALOG"], ZCATALOG)
            z = h["ZCATALOG"].data
            assert h["ZCATALOG"].header["HPXNSIDE"] == 64
            # one row per coadded spectrum in the files
            assert len(z) == sum(len(fits.getdata(f, "FIBERMAP")) for f in files)
            # each TARGETID has exactly one primary row, and ZCAT_NSPEC counts its rows
            ids, counts = np.unique(z["TARGETID"], return_counts=True)
            for tid, c in zip(ids, counts):
                rows = z[z["TARGETID"] == tid]
                assert rows["ZCAT_PRIMARY"].sum() == 1
                assert (rows["ZCAT_NSPEC"] == c).all()
            assert (counts > 1).any(), "the sample should hold some targets observed twice"
