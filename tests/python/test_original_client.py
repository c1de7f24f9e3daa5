"""The original Data Lab client (astro-datalab/datalab dl/specClient.py, v1.2.0) against
`specmill serve`, replayed request by request: the URLs it builds, the form fields it posts and
their Python spellings (align=False, cutout=None, w0=0.0, float scales, str() of ID lists), under
both the /spec prefix (its default service URL) and the root. Each reply is decoded the way that
client decodes it (json.loads when the text holds '{', numpy.load, the CSV header, PIL), and the
values are checked against the real FITS files. The client itself is not shipped here: these
tests are its wire protocol, written down."""
import io
import json
from urllib.parse import quote_plus

import numpy as np
import pytest
from astropy.io import fits
from PIL import Image

from conftest import SHARED, run
from rest_fixture import rest_store, server  # noqa: F401 (fixtures)
from test_roundtrip_real import coadd

FILES = sorted((SHARED / "spectra").glob("spec-*.fits"))
TUPLES = [tuple(int(x) for x in f.stem.split("-")[1:]) for f in FILES]
FIELDS = ("flux", "loglam", "ivar", "and_mask", "or_mask", "wdisp", "sky", "model")
PREFIXES = ["/spec", ""]
VERSION = "v1.2.0"


def specobjid(path):
    with fits.open(path) as h:
        names = {n.lower(): n for n in h[2].columns.names}
        return int(str(h[2].data[0][names["specobjid"]]).strip())


def catalog_z(path):
    with fits.open(path) as h:
        names = {n.lower(): n for n in h[2].columns.names}
        return float(h[2].data[0][names["z"]])


IDS = [specobjid(f) for f in FILES]


# ---- the client's request builders, as dl/specClient.py writes them ---------------------------
def tracking_headers(content_type="text/ascii"):
    """getHeaders(): the anonymous token when nobody is logged in."""
    return {"Content-Type": content_type, "X-DL-ClientVersion": VERSION, "X-DL-OriginIP": "127.0.0.1",
            "X-DL-OriginHost": "localhost", "X-DL-User": "anonymous",
            "X-DL-AuthToken": "anonymous.0.0.anon_access"}


def form_headers():
    return {"Content-Type": "application/x-www-form-urlencoded", "X-DL-ClientVersion": VERSION,
            "X-DL-OriginIP": "127.0.0.1", "X-DL-OriginHost": "localhost",
            "X-DL-AuthToken": "anonymous.0.0.anon_access"}


class OriginalClient:
    """The few lines of each interface function that build a request and decode its reply."""

    def __init__(self, server, prefix):
        import requests
        self.requests = requests
        self.svc_url = server.url + prefix
        self.svc_context, self.svc_profile = "default", "default"
        self.context = self._list_contexts(self.svc_context)  # what __init__ does

    def _get(self, url, **kw):
        return self.requests.get(url, timeout=60, **kw)

    def _post(self, url, **kw):
        return self.requests.post(url, timeout=120, **kw)

    def isAlive(self):
        r = self._get(self.svc_url)
        return r.status_code == 200 and r.text.lower()[:11] == "hello world"

    def _list_contexts(self, context=None, fmt="text"):
        r = self._get("%s/contexts?context=%s&format=%s" % (self.svc_url, context, fmt), headers=tracking_headers())
        assert r.status_code == 200, r.text
        contexts = r.content.decode()
        return json.loads(contexts) if "{" in contexts else contexts

    def list_profiles(self, profile=None, fmt="text"):
        r = self._get("%s/profiles?profile=%s&format=%s" % (self.svc_url, profile, fmt), headers=tracking_headers())
        assert r.status_code == 200, r.text
        profiles = r.content.decode()
        return json.loads(profiles) if "{" in profiles else profiles

    def catalogs(self, context="default", profile="default", fmt="text"):
        r = self._get("%s/catalogs?context=%s&profile=%s&format=%s" % (self.svc_url, context, profile, fmt),
                      headers=tracking_headers())
        assert r.status_code == 200, r.text
        return json.loads(r.text) if "{" in r.text else r.text

    def validate(self, what, value):
        return self._get(self.svc_url + "/validate?what=%s&value=%s" % (what, value)).content.decode()

    def query_url(self, cond, fields=None, catalog=None, id_value=""):
        ofields = fields if fields is not None else self.context["id_main"]
        catalog = catalog if catalog is not None else self.context["catalog"]
        url = "%s/query?" % self.svc_url
        url += "id=%s&" % id_value
        url += "fields=%s&" % quote_plus(ofields)
        url += "catalog=%s&" % quote_plus(catalog)
        url += "cond=%s&" % quote_plus(cond)
        url += "context=%s&" % self.svc_context
        url += "profile=%s&" % self.svc_profile
        url += "debug=%s&" % False
        url += "verbose=%s" % False
        return url

    @staticmethod
    def condition(ra=None, dec=None, size=None, region=None, constraint=None):
        """_query()'s WHERE clause."""
        if region is not None:
            pquery = "q3c_poly_query(ra,dec,ARRAY%s)" % region
        elif ra is not None and dec is not None:
            pquery = "q3c_radial_query(ra,dec,%f,%f,%f)" % (ra, dec, size)
        else:
            pquery = ""
        cond = pquery
        if constraint not in [None, ""]:
            if constraint.strip()[:5].lower() in ["limit", "order"] or pquery == "":
                cond += " %s" % constraint
            else:
                cond += " AND %s" % constraint
        return cond

    def query(self, fields=None, catalog=None, **where):
        if fields == "tuple":
            fields = "plate,mjd,fiberid,run2d"
        r = self._get(self.query_url(self.condition(**where), fields=fields, catalog=catalog),
                      headers=tracking_headers())
        assert r.status_code == 200, r.text
        return r

    def spec_form(self, ids, fmt="numpy", align=False, cutout=None, values="all"):
        return {"id_list": str(ids), "values": values, "format": fmt, "align": align, "cutout": str(cutout),
                "w0": 0.0, "w1": 0.0, "context": self.svc_context, "profile": self.svc_profile,
                "debug": False, "verbose": False}

    def getSpec(self, id_list, fmt="numpy", align=False, cutout=None, values="all"):
        """getSpec() without the client-side conversion: the decoded replies."""
        ids = [id_list] if isinstance(id_list, (int, tuple)) else id_list
        if fmt.lower() == "spectrumcollection":
            align = True
        data = self.spec_form(ids, fmt, align, cutout, values)
        r = self._post("%s/listSpan" % self.svc_url, data=data, headers=form_headers())
        assert r.status_code == 200, r.text
        v = json.loads(r.text)
        data["w0"], data["w1"] = v["w0"], v["w1"]
        url = "%s/getSpec" % self.svc_url
        if align:
            r = self._post(url, data=data, headers=form_headers())
            assert r.status_code == 200, r.text
            return [np.load(io.BytesIO(r.content), allow_pickle=False)]
        out = []
        for i in ids:
            data["id_list"] = str(i)
            r = self._post(url, data=data, headers=form_headers())
            assert r.status_code == 200, r.text
            out.append(r.content if fmt.lower() == "fits" else np.load(io.BytesIO(r.content), allow_pickle=False))
        return out


@pytest.fixture(params=PREFIXES, ids=["spec-prefix", "root"])
def client(server, request):
    return OriginalClient(server, request.param)


def file_pixels(path, lo=None, hi=None):
    """The COADD columns of a real file, optionally the pixels whose lattice centers lie in [lo, hi]."""
    cols, _, _ = coadd(path)
    if lo is None:
        return cols
    idx = np.rint(cols["loglam"].astype(np.float64) * 1e4).astype(np.int64)
    keep = (idx >= int(np.ceil(np.log10(lo) * 1e4))) & (idx <= int(np.floor(np.log10(hi) * 1e4)))
    return {k: v[keep] for k, v in cols.items()}


# ---- the service's description ---------------------------------------------------------------
def test_is_alive_and_default_context(client):
    assert client.isAlive()
    ctx = client.context  # /contexts?context=default&format=text, stored as a dict
    assert isinstance(ctx, dict)
    assert ctx["id_main"] == "specobjid" and ctx["redshift"] == "z" and ctx["rest_frame"] == "false"
    assert ctx["catalog"].endswith(".specobj")


def test_list_contexts_profiles_catalogs_with_none(client):
    listing = client._list_contexts()  # context=None
    assert isinstance(listing, str) and "sdss_dr16" in listing
    assert "private_dr16" not in listing  # private contexts are not listed without their token
    one = client._list_contexts("sdss_dr16")
    assert isinstance(one, dict) and one["id_main"] == "specobjid"
    assert "test profile" in client.list_profiles()  # profile=None
    assert "test profile" in client.list_profiles("default")
    cats = client.catalogs()
    assert "specobj" in cats and "specobjall" in cats


def test_validate_the_clients_names(client):
    assert client.validate("context", "default") == "OK"
    assert client.validate("context", "sdss_dr16") == "OK"
    assert client.validate("profile", "default") == "OK"
    assert client.validate("context", "private_dr16") == "Error"  # invisible without a token
    assert client.validate("context", "nope") == "Error"


# ---- query() ---------------------------------------------------------------------------------
def ids_of(reply):
    lines = reply.text.split("\n")
    assert lines[0] == "specobjid" and lines[-1] == ""
    return [int(x) for x in lines[1:-1]]


def cli_query(server, *args):
    p = run("query", "--store", server.store, *args)
    return [int(x) for x in p.stdout.split()]


def test_query_cone_equals_the_cli_cone(client, server):
    got = ids_of(client.query(ra=213.3512, dec=53.0908, size=0.01))
    assert got == cli_query(server, "--cone", "213.3512,53.0908,0.01")
    assert len(got) >= 1
    wide = ids_of(client.query(ra=180.0, dec=30.0, size=60.0))
    assert wide == cli_query(server, "--cone", "180,30,60")
    assert len(wide) > len(got)


def test_query_polygon_flat_and_pairs(client, server):
    flat = [110, 39, 112, 39, 112, 41, 111, 40, 110, 41]
    pairs = [(110, 39), (112, 39), (112, 41), (111, 40), (110, 41)]
    expect = cli_query(server, "--polygon", ",".join(map(str, flat)))
    assert ids_of(client.query(region=flat)) == expect
    assert ids_of(client.query(region=pairs)) == expect
    assert ids_of(client.query(region=[list(p) for p in pairs])) == expect


def test_query_constraint_order_and_limit(client, server):
    everything = cli_query(server, "--constraint", "z >= 0")
    assert ids_of(client.query(constraint="z >= 0")) == everything
    assert ids_of(client.query(ra=180.0, dec=30.0, size=60.0, constraint="limit 3")) == \
        cli_query(server, "--cone", "180,30,60", "--limit", "3")
    # ORDER BY ... DESC and a limit after a cone, as one constraint
    r = client.query(ra=180.0, dec=30.0, size=60.0, fields="specobjid,z", constraint="ORDER BY z DESC limit 5")
    lines = r.text.strip().split("\n")
    assert lines[0] == "specobjid,z" and len(lines) == 6
    zs = [float(line.split(",")[1]) for line in lines[1:]]
    assert zs == sorted(zs, reverse=True)
    # ... and the cone with a constraint joined by AND
    qso = ids_of(client.query(ra=180.0, dec=30.0, size=60.0, constraint="class = 'QSO'"))
    assert qso == cli_query(server, "--cone", "180,30,60", "--constraint", "class = 'QSO'")


def test_query_q3c_under_or_is_exact(client, server):
    """A q3c call the index cannot take (under OR) runs as a SQL function, with the same test."""
    cone = set(cli_query(server, "--all", "--cone", "213.3512,53.0908,0.01"))
    qso = set(cli_query(server, "--all", "--constraint", "class = 'QSO'"))
    cond = "q3c_radial_query(ra,dec,213.3512,53.0908,0.01) OR class = 'QSO'"
    r = client._get(client.query_url(cond, catalog="sdss_dr16.specobjall"), headers=tracking_headers())
    assert r.status_code == 200, r.text
    assert set(ids_of(r)) == cone | qso
    d = client._get(client.query_url("q3c_dist(ra, dec, 213.3512, 53.0908) < 0.01", catalog="specobjall"),
                    headers=tracking_headers())
    assert d.status_code == 200, d.text
    assert set(ids_of(d)) == cone


def test_query_tuple_fields_and_catalog_schema(client, server):
    r = client.query(ra=213.3512, dec=53.0908, size=0.01, fields="tuple", catalog="sdss_dr16.specobjall")
    lines = r.text.strip().split("\n")
    assert lines[0] == "plate,mjd,fiberid,run2d"
    rows = {tuple(line.split(",")) for line in lines[1:]}
    assert ("1325", "52762", "133", "26") in rows and ("6717", "56397", "534", "v5_13_2") in rows


def test_query_bad_conditions_are_400(client):
    for cond in ["q3c_radial_query(ra,dec,1,2)", "q3c_poly_query(ra,dec,ARRAY[1,2,3,4])", "z > 1 limit -3",
                 "q3c_poly_query(ra,dec,ARRAY[1,2,3,4,5,6]) OR z > 1", "z > 1; DROP TABLE specobjall"]:
        r = client._get(client.query_url(cond), headers=tracking_headers())
        assert r.status_code == 400, (cond, r.status_code, r.text)
        assert r.json()["error"] == "invalid_argument"


# ---- getSpec() -------------------------------------------------------------------------------
def test_getspec_one_spectrum_is_one_dimensional_and_exact(client):
    for f, sid, t in [(FILES[0], IDS[0], TUPLES[0]), (FILES[6], IDS[6], TUPLES[6])]:
        for ident in (sid, t):
            [a] = client.getSpec(ident)
            assert a.ndim == 1 and a.dtype.names == FIELDS
            cols = file_pixels(f)
            for name in FIELDS:
                assert np.array_equal(a[name], cols[name]), (f.name, ident, name)


def test_getspec_unaligned_list_is_ragged(client):
    arrays = client.getSpec(IDS[:4])
    assert [a.shape for a in arrays] == [(len(file_pixels(f)["flux"]),) for f in FILES[:4]]
    assert len({a.shape for a in arrays}) > 1  # different lengths: nothing padded to the list span
    for a, f in zip(arrays, FILES[:4]):
        assert np.array_equal(a["flux"], file_pixels(f)["flux"])


def test_getspec_tuple_list_from_numpy_and_text(client):
    """str() of a numpy array ("[a b c]") and tuples ("[(p, m, f), ...]") as the ID list."""
    ids = np.array(IDS[:3], dtype=np.uint64)
    form = client.spec_form(ids, align=True)
    assert " " in form["id_list"] and "," not in form["id_list"]
    r = client._post(client.svc_url + "/listSpan", data=form, headers=form_headers())
    assert r.status_code == 200 and json.loads(r.text)["found"] == 3
    [a] = client.getSpec(TUPLES[:3], align=True)
    assert a.shape[0] == 3


def test_getspec_aligned_on_the_list_span(client):
    [a] = client.getSpec(IDS[:5], align=True)
    span = client._post(client.svc_url + "/listSpan", data=client.spec_form(IDS[:5]), headers=form_headers()).json()
    assert a.shape == (5, span["n_pixels"])
    assert np.array_equal(a["loglam"][0], a["loglam"][4])
    for i, f in enumerate(FILES[:5]):
        cols = file_pixels(f)
        start = int(round(float(cols["loglam"][0]) * 1e4)) - int(round(span["w0"] * 1e4))
        n = len(cols["flux"])
        assert np.array_equal(a["flux"][i, start:start + n], cols["flux"])
        assert not a["ivar"][i, :start].any() and not a["ivar"][i, start + n:].any()


def test_getspec_cutout_444_pixels(client):
    """6500-7200 A holds 444 lattice pixels; every real file covers it."""
    unaligned = client.getSpec(IDS[:4], cutout="6500-7200")
    for a, f in zip(unaligned, FILES[:4]):
        cut = file_pixels(f, 6500, 7200)
        assert a.shape == (444,)
        for name in FIELDS:
            assert np.array_equal(a[name], cut[name]), (f.name, name)
    [aligned] = client.getSpec(IDS[:4], align=True, cutout="6500-7200")
    assert aligned.shape == (4, 444)
    for i, f in enumerate(FILES[:4]):
        assert np.array_equal(aligned["flux"][i], file_pixels(f, 6500, 7200)["flux"])
    span = client._post(client.svc_url + "/listSpan", data=client.spec_form(IDS[:4], cutout="6500-7200"),
                        headers=form_headers()).json()
    assert span["n_pixels"] == 444


@pytest.mark.parametrize("fmt", ["numpy", "pandas", "tables", "Spectrum1D", "Spectrum1DList"])
def test_getspec_client_side_formats_travel_as_numpy(client, fmt):
    [a] = client.getSpec(IDS[1], fmt=fmt)
    assert a.dtype.names == FIELDS and a.ndim == 1
    assert np.array_equal(a["flux"], file_pixels(FILES[1])["flux"])
    if fmt == "pandas":
        import pandas as pd
        df = pd.DataFrame(data=a, columns=a.dtype.names)  # the client's to_pandas
        assert len(df) == len(a)
    if fmt == "tables":
        from astropy.table import Table
        assert len(Table(data=a, names=a.dtype.names)) == len(a)


def test_getspec_spectrum_collection_is_aligned(client):
    [a] = client.getSpec(IDS[:3], fmt="SpectrumCollection")
    assert a.ndim == 2 and a.shape[0] == 3


def test_getspec_values_subset(client):
    [a] = client.getSpec(IDS[2], values="flux,ivar")
    assert a.dtype.names == ("flux", "ivar")
    assert np.array_equal(a["ivar"], file_pixels(FILES[2])["ivar"])


@pytest.mark.parametrize("spelling", ["fits", "FITS"])
def test_getspec_fits_is_the_spec_file(client, tmp_path, spelling):
    [raw] = client.getSpec(IDS[7], fmt=spelling)
    out = tmp_path / "one.fits"
    out.write_bytes(raw)
    cols = file_pixels(FILES[7])
    with fits.open(out) as h, fits.open(FILES[7]) as orig:
        assert h[1].header["EXTNAME"] == "COADD"
        for name in FIELDS:
            assert np.array_equal(np.asarray(h[1].data[name]), cols[name]), name
        for key in ["TELESCOP", "PLATEID", "MJD", "FIBERID"]:
            assert h[0].header[key] == orig[0].header[key], key
        assert h[2].data[0]["PLATE"] == TUPLES[7][0] and abs(h[2].data[0]["Z"] - catalog_z(FILES[7])) < 1e-6
    from specutils import Spectrum1D
    spec = Spectrum1D.read(out)  # identified as an SDSS spec file with no format hint
    assert len(spec.flux) == len(cols["flux"])


def test_getspec_unknown_id_is_404_and_bad_id_400(client):
    data = client.spec_form([1234567])
    r = client._post(client.svc_url + "/listSpan", data=data, headers=form_headers())
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    data = client.spec_form("[12, 'abc']")
    r = client._post(client.svc_url + "/getSpec", data=data, headers=form_headers())
    assert r.status_code == 400


# ---- plot(), preview(), plotGrid(), stackedImage() -------------------------------------------
@pytest.mark.parametrize("which", [0, 5])
def test_plot_redshift_lookup(client, which):
    """plot(ID) asks /query?id=...&fields=z&cond= and reads the second line of the CSV."""
    for ident in (IDS[which], TUPLES[which]):
        url = client.query_url("", fields=client.context["redshift"], id_value=str(ident))
        r = client._get(url, headers=tracking_headers())
        assert r.status_code == 200, r.text
        z = float(r.content.decode().split("\n")[1:-1][0])
        assert abs(z - catalog_z(FILES[which])) < 1e-6


def test_preview_png(client):
    url = client.svc_url + "/preview?id=%s" % str(IDS[3]) + "&context=%s&profile=%s" % ("default", "default")
    img = Image.open(io.BytesIO(client._get(url).content))
    assert img.size == (400, 100)
    url = client.svc_url + "/preview?id=%s&context=default&profile=default" % str(TUPLES[3])
    assert Image.open(io.BytesIO(client._get(url).content)).size == (400, 100)


def test_plot_grid_shows_every_id_it_sends(client):
    """plotGrid(ids, nx=5, ny=2) posts the page's 10 IDs with ncols=ny and nothing else."""
    ids = IDS[:10]
    nx, ny = 5, 2
    data = {"id_list": str(list(ids)), "ncols": ny, "context": "default", "profile": "default",
            "debug": False, "verbose": False}
    r = client._post(client.svc_url + "/plotGrid", data=data, headers=form_headers())
    assert r.status_code == 200, r.text
    one = Image.open(io.BytesIO(client._get(client.svc_url + "/preview?id=%d" % ids[0]).content)).size
    img = Image.open(io.BytesIO(r.content))
    assert img.size == (ny * one[0], (len(ids) // ny) * one[1])
    assert r.headers["X-Grid-Pages"] == "1"


def test_stacked_image_with_the_clients_defaults(client):
    ids = IDS[:6]
    data = {"id_list": str(list(ids)), "context": "default", "xscale": 1.0, "yscale": 1.0, "thickness": 1,
            "cmap": "gray", "inverse": False, "width": 0, "height": 0, "profile": "default",
            "debug": False, "verbose": False}
    r = client._post(client.svc_url + "/stackedImage", data=data, headers=form_headers())
    assert r.status_code == 200, r.text
    img = Image.open(io.BytesIO(r.content))
    span = client._post(client.svc_url + "/listSpan", data=client.spec_form(ids), headers=form_headers()).json()
    assert img.size == (span["n_pixels"], len(ids))
    data.update(xscale=2.0, yscale=3.0)
    big = Image.open(io.BytesIO(client._post(client.svc_url + "/stackedImage", data=data,
                                             headers=form_headers()).content))
    assert big.size == (2 * span["n_pixels"], 3 * len(ids))
    data.update(xscale=1.5)
    assert client._post(client.svc_url + "/stackedImage", data=data, headers=form_headers()).status_code == 400


def test_plot_grid_page_past_the_end_counts_from_zero(client):
    data = {"id_list": str(IDS[:4]), "nx": 2, "ny": 2, "page": 3, "context": "default", "profile": "default"}
    r = client._post(client.svc_url + "/plotGrid", data=data, headers=form_headers())
    assert r.status_code == 400
    assert "page 3 is beyond the last page 0" in r.json()["message"], r.text
