"""specmill.client — the spectroscopic data service's client interface, for specmill.

    from specmill import client as spec          # module-level functions on a default client
    id_list = spec.query(0.125, 12.123, 0.1)
    data = spec.getSpec(id_list, align=True)

    client = spec.getClient(context='sdss_dr16', profile='default')   # or a client object
    data = client.getSpec(id_list, fmt='pandas')

Every function of the interface (../shared/reference/000_582be350d504005c.txt) with its
signature and defaults, plus stack() and photometry(). Bulk getSpec is one request (npz) however
many IDs. The service URL is http://127.0.0.1:6998 unless SPECMILL_SVC_URL says otherwise; the
X-DL-AuthToken header comes from the `token` keyword, else the client's token, else
SPECMILL_AUTH_TOKEN (or DL_AUTH_TOKEN) in the environment. Errors raise specmill.errors.
"""
import csv
import io
import json
import os
import sys
import time
import warnings

import numpy as np

from . import _convert, _ids
from ._convert import to_pandas, to_Spectrum1D, to_Table  # noqa: F401 (interface)
from ._http import Progress, Transport, env_token
from .errors import (AuthenticationError, ConnectionError, InvalidArgumentError, NotFoundError,  # noqa: F401
                     ServerError, SpecmillError)

__all__ = ["getClient", "SpecClient", "specClient", "isAlive", "set_svc_url", "get_svc_url", "set_context",
           "get_context", "list_contexts", "set_profile", "get_profile", "list_profiles", "catalogs", "query",
           "getSpec", "plot", "prospect", "preview", "plotGrid", "getGridPlot", "gridPlot", "stackedImage",
           "stack", "photometry", "query_spectra", "iter_spectra", "get_spectrum", "get_object", "to_pandas",
           "to_Spectrum1D", "to_Table", "DEF_SERVICE_URL",
           "SpecmillError", "ConnectionError", "AuthenticationError", "NotFoundError", "InvalidArgumentError",
           "ServerError"]

DEF_SERVICE_URL = os.environ.get("SPECMILL_SVC_URL", "http://127.0.0.1:6998").rstrip("/")
DEF_CONTEXT = os.environ.get("SPECMILL_CONTEXT", "default")
DEF_PROFILE = os.environ.get("SPECMILL_PROFILE", "default")

# fmt names of getSpec, case-insensitive
_FMTS = {f.lower(): f for f in ("numpy", "pandas", "Spectrum1D", "Spectrum1DCollection", "Spectrum1DList", "FITS")}
_FMTS.update({"npy": "numpy", "spectrumcollection": "Spectrum1DCollection", "spectrumlist": "Spectrum1DList",
              "fits": "FITS"})
# Per-call keywords the client itself uses (all others of **kw go to the service).
_CLIENT_KW = ("token", "timeout", "verbose", "debug")

# The catalog row getSpec attaches to its results (pandas attrs, Spectrum1D meta, FITS headers
# and HDU 2, the table beside numpy arrays with with_meta=True), and the pixel columns' units.
META_COLUMNS = ("specobjid", "plate", "mjd", "fiberid", "run2d", "ra", "dec", "z", "z_err", "zwarning", "class",
                "subclass", "sn_median_all", "specprimary")
FLUX_UNIT = "1e-17 erg / (Angstrom cm2 s)"
_IDS_PER_ROW_QUERY = 100  # see SpecClient._catalog_rows_of
COLUMN_UNITS = {"flux": FLUX_UNIT, "sky": FLUX_UNIT, "model": FLUX_UNIT, "ivar": "1e+34 Angstrom2 cm4 s2 / erg2",
                "loglam": "dex(Angstrom)", "wavelength": "Angstrom", "wdisp": "pixel"}


def _cutout_text(cutout):
    """'6500-7200', (6500, 7200) or [6500, 7200] as the service's 'A-B' text."""
    if cutout is None or cutout is False or cutout == "":
        return None
    if isinstance(cutout, str):
        return cutout.strip()
    try:
        lo, hi = cutout
    except (TypeError, ValueError):
        raise InvalidArgumentError("cutout must be '<start>-<end>' (Angstrom) or a (start, end) pair, not %r" % (cutout,)) from None
    return "%s-%s" % (lo, hi)


def _values_text(values):
    if values is None:
        return "all"
    if isinstance(values, (list, tuple)):
        return ",".join(values)
    return str(values).replace(" ", "")


class SpecClient:
    """A client of one specmill service: its URL, a context, a profile and a token.

    context / profile 'default' (or None) send no context / profile, so the service's default
    applies. token: the X-DL-AuthToken (default: the environment's). timeout: seconds a call may
    wait for the reply (default 600). use_requests: False forces the standard-library transport."""

    def __init__(self, context=DEF_CONTEXT, profile=DEF_PROFILE, svc_url=None, token=None, timeout=600.0,
                 verbose=False, use_requests=None):
        self.svc_url = (svc_url or DEF_SERVICE_URL).rstrip("/")
        self.context = context or "default"
        self.profile = profile or "default"
        self.token = token if token is not None else env_token()
        self.timeout = timeout
        self.verbose = verbose
        self.debug = False
        self._t = Transport(self.svc_url, token=self.token, timeout=timeout, use_requests=use_requests)

    def __repr__(self):
        return "SpecClient(svc_url=%r, context=%r, profile=%r)" % (self.svc_url, self.context, self.profile)

    # --- plumbing ----------------------------------------------------------------------------
    def _scope(self, context, profile):
        """The context/profile fields of a request ('default' sends none)."""
        ctx = context if context not in (None, "") else self.context
        prof = profile if profile not in (None, "") else self.profile
        out = {}
        if ctx and ctx != "default":
            out["context"] = ctx
        if prof and prof != "default":
            out["profile"] = prof
        return out

    def _call(self, method, path, kw, params=None, body=None, label=None, stream_progress=False):
        token = kw.get("token")
        timeout = kw.get("timeout", self.timeout)
        verbose = kw.get("verbose", self.verbose)
        debug = kw.get("debug", self.debug)
        if debug:
            print("specmill: %s %s%s params=%s body=%s" % (method, self.svc_url, path, params,
                                                          str(body)[:300] if body is not None else None),
                  file=sys.stderr)
        progress = Progress(label or path.strip("/"), enabled=bool(verbose)) if stream_progress else None
        t0 = time.monotonic()
        reply = self._t.request(method, path, params=params, body=body, token=token, timeout=timeout,
                                progress=progress)
        if progress is not None:
            found = reply.headers.get("x-spectra-found")
            progress.close("(%s spectra, %.2f s)" % (found, time.monotonic() - t0) if found else "")
        return reply

    @staticmethod
    def _service_kw(kw):
        return {k: v for k, v in kw.items() if k not in _CLIENT_KW and v is not None}

    # --- common interface --------------------------------------------------------------------
    def isAlive(self, svc_url=None, timeout=2):
        """True when the service at svc_url (default: this client's) answers /ping with OK."""
        try:
            r = self._t.request("GET", "/ping", timeout=timeout, url=svc_url or self.svc_url)
            return r.text.strip() == "OK"
        except SpecmillError:
            return False

    def set_svc_url(self, svc_url):
        """Sets the service URL (e.g. http://host:6998 or http://host:6998/spec)."""
        if not svc_url or not str(svc_url).startswith(("http://", "https://")):
            raise InvalidArgumentError("the service URL must start with http:// or https://, not %r" % (svc_url,))
        self.svc_url = str(svc_url).rstrip("/")
        self._t.url = self.svc_url

    def get_svc_url(self):
        return self.svc_url

    def set_context(self, context):
        """Sets the dataset context of later calls ('default': the service's default)."""
        if not context or not isinstance(context, str):
            raise InvalidArgumentError("a context is a non-empty string, not %r" % (context,))
        self.context = context

    def get_context(self):
        return self.context

    def list_contexts(self, context=None, fmt="text", **kw):
        """The service's contexts (or one): text (default) or csv as a string, json as a dict."""
        r = self._call("GET", "/contexts", kw, params={"context": context, "format": fmt})
        return r.json() if fmt == "json" else r.text

    def set_profile(self, profile):
        if not profile or not isinstance(profile, str):
            raise InvalidArgumentError("a profile is a non-empty string, not %r" % (profile,))
        self.profile = profile

    def get_profile(self):
        return self.profile

    def list_profiles(self, profile=None, fmt="text", **kw):
        """The service's profiles (or one): text (default) or csv as a string, json as a dict."""
        r = self._call("GET", "/profiles", kw, params={"profile": profile, "format": fmt})
        return r.json() if fmt == "json" else r.text

    def catalogs(self, context="default", profile="default", fmt="text", **kw):
        """The context's catalog tables: text (one a line) or csv as a string, json as a dict."""
        params = dict(self._scope(None if context == "default" else context, None if profile == "default" else profile))
        params["format"] = fmt
        r = self._call("GET", "/catalogs", kw, params=params)
        return r.json() if fmt == "json" else r.text

    # --- query -------------------------------------------------------------------------------
    def query(self, *args, constraint=None, out=None, context=None, profile=None, **kw):
        """Spectrum IDs in a region, a cone or matching a constraint:
            query(region)                 region: [(ra, dec), ...] polygon vertices (deg)
            query(coord, size)            an astropy SkyCoord (or anything with .ra/.dec) and a
                                          cone radius (deg); size may be a keyword
            query(ra, dec, size)          position and cone radius (deg)
            query(constraint="z > 0.5")   constraint alone
        constraint: an SQL where clause the service checks; out: also save the IDs there, one a
        line (a file getSpec reads back). kw: fields ('specobjid' or 'tuple'), primary (True:
        specobj, False: specobjall), catalog (a table added with `specmill catalog add`; a
        '<schema>.' prefix is dropped), with_pixels (only spectra whose pixels are stored),
        limit, offset, sort (a column), timeout, token, verbose.
        Returns a list of SPECOBJIDs (ints), or of (plate, mjd, fiber) tuples for fields='tuple'."""
        params, kw = self._query_params(args, constraint, context, profile, kw)
        fields = kw.pop("fields", "specobjid")
        if fields not in ("specobjid", "tuple"):
            raise InvalidArgumentError("fields must be 'specobjid' or 'tuple', not %r" % (fields,))
        params.update(fields=fields, format="csv")
        ids = []
        for page in self._query_pages(params, kw, lambda r: _parse_query_csv(r.text, fields)):
            ids.extend(page)
        if kw.get("verbose", self.verbose):
            print("query: %d IDs" % len(ids), file=sys.stderr)
        if out:
            with open(out, "w") as f:
                for i in ids:
                    f.write(("%d,%d,%d" % i if isinstance(i, tuple) else "%d" % i) + "\n")
        return ids

    def _query_params(self, args, constraint, context, profile, kw):
        """The /query body of query()'s positional forms and keywords (all but fields, format,
        limit and offset) and the keywords left for the call (token, timeout, ...)."""
        kw = dict(kw)
        region = kw.pop("region", None)
        coord = kw.pop("coord", None)
        ra, dec, size = kw.pop("ra", None), kw.pop("dec", None), kw.pop("size", None)
        args = list(args)
        if args and _is_region(args[0]):
            region = args.pop(0)
        elif args and _is_coord(args[0]):
            coord = args.pop(0)
            if args:
                size = args.pop(0)
        elif len(args) >= 2:
            ra, dec = args.pop(0), args.pop(0)
            if args:
                size = args.pop(0)
        if args:
            raise InvalidArgumentError("query takes (region), (coord, size) or (ra, dec, size); got extra %r" % (args,))
        params = self._scope(context, profile)
        if coord is not None:
            c = coord.icrs if hasattr(coord, "icrs") else coord
            ra, dec = _degrees(c.ra), _degrees(c.dec)
        if region is not None:
            vertices = [[float(v[0]), float(v[1])] for v in region]
            if len(vertices) < 3:
                raise InvalidArgumentError("a region needs at least 3 vertices, got %d" % len(vertices))
            params["region"] = vertices
        elif ra is not None or dec is not None:
            if ra is None or dec is None or size is None:
                raise InvalidArgumentError("a cone query needs ra, dec and size (deg)")
            params.update(ra=float(ra), dec=float(dec), size=float(size))
        elif constraint is None and not kw.get("cond"):
            raise InvalidArgumentError("query needs a region, a coordinate and size, ra/dec/size or a constraint")
        if constraint is not None:
            params["constraint"] = constraint
        primary = bool(kw.pop("primary", True))
        catalog = kw.pop("catalog", None)
        if catalog:
            # '<schema>.<table>' names a table of the original's database; a specmill store has
            # one namespace of catalogs (specobj, specobjall and those of `specmill catalog add`)
            table = str(catalog).rsplit(".", 1)[-1]
            if table in ("specobj", "specobjall"):  # the context's own tables, as /catalogs lists them
                primary = table == "specobj"
            else:
                params["catalog"] = table
        if "catalog" not in params:
            params["primary"] = primary
        for k, v in self._service_kw({k: v for k, v in kw.items() if k not in ("fields", "limit", "offset", "page_size")}).items():
            params[k] = v
        return params, kw

    def _query_pages(self, params, kw, parse):
        """The pages of a query, each parse(reply) (a list of rows). The service caps a page at
        its max_query_rows and says with X-Query-More whether rows remain; pages follow with
        offsets until the limit asked (kw limit, default all rows) is reached or none remain, so
        no result is silently cut at the cap. The order is total (sort column, then the ID), so
        offsets page it exactly. A 'cond' fragment carries its own LIMIT/OFFSET: one request, and
        a warning if rows remain."""
        limit = kw.get("limit")
        offset = int(kw.get("offset") or 0)
        page_size = kw.get("page_size")
        if limit is not None and int(limit) < 0:
            raise InvalidArgumentError("limit must be >= 0")
        got = 0
        while True:
            p = dict(params)
            if "cond" not in params:
                p["offset"] = offset + got
                want = None if limit is None else int(limit) - got
                if page_size is not None:
                    want = int(page_size) if want is None else min(want, int(page_size))
                if want is not None:
                    p["limit"] = want
            r = self._call("POST", "/query", kw, body=p, label="query")
            rows = parse(r)
            more = r.headers.get("x-query-more") == "true"
            got += len(rows)
            yield rows
            if "cond" in params:
                if more:
                    warnings.warn("query: the service has more rows than this page (%d); page with limit/offset "
                                  "keywords instead of a LIMIT in cond" % len(rows), stacklevel=3)
                return
            if not more or not rows or (limit is not None and got >= int(limit)):
                return

    # --- typed results ----------------------------------------------------------------------
    def query_spectra(self, *args, columns=None, constraint=None, context=None, profile=None, **kw):
        """The catalog rows of a query (the same positional forms and keywords as query()) as an
        astropy Table: columns (default: specobjid, plate, mjd, fiberid, run2d, ra, dec, z, z_err,
        zwarning, class, subclass, sn_median_all, specprimary), specobjid exact (uint64). Every
        row, however many: pages past the service's row cap follow (kw limit to stop early)."""
        from ._objects import rows_to_table
        rows, cols = self._catalog_rows(args, columns, constraint, context, profile, kw)
        return rows_to_table(rows, cols)

    def iter_spectra(self, *args, columns=None, page_size=1000, constraint=None, context=None, profile=None, **kw):
        """Spectrum objects (catalog row + pixels fetched on first use) of a query, page by page
        (page_size rows a request), for result sets of any size."""
        from ._objects import Spectrum, rows_from_json
        cols = _catalog_columns(columns)
        params, kw = self._query_params(args, constraint, context, profile, dict(kw, page_size=page_size))
        params.update(fields=",".join(cols), format="json")
        for page in self._query_pages(params, kw, lambda r: rows_from_json(r.json())):
            for row in page:
                yield Spectrum(self, row, context=context)

    def get_spectrum(self, id, columns=None, context=None, profile=None, **kw):
        """One spectrum (any ID form: SPECOBJID, (plate, mjd, fiber), ...) as a Spectrum: its
        catalog row (primary or not) and its pixels on first use. NotFoundError if the catalog
        has no such spectrum."""
        from ._objects import Spectrum, rows_from_json
        cols = _catalog_columns(columns)
        body = self._scope(context, profile)
        body.update(id=_ids.single_id_text(id), fields=",".join(cols), format="json")
        r = self._call("POST", "/query", kw, body=body, label="spectrum")
        rows = rows_from_json(r.json())
        if not rows:
            raise NotFoundError("no spectrum %r in the catalog" % (id,))
        return Spectrum(self, rows[0], context=context)

    def get_object(self, ra, dec, radius=2.0 / 3600, columns=None, context=None, profile=None, **kw):
        """The spectra within `radius` degrees (default 2 arcsec) of (ra, dec), primary or not,
        as a SkyObject: `.spectra` (primary first, then by S/N), `.primary`."""
        from ._objects import SkyObject, Spectrum
        rows, _ = self._catalog_rows((float(ra), float(dec), float(radius)), columns, None, context, profile,
                                     dict(kw, primary=False))
        return SkyObject(float(ra), float(dec), [Spectrum(self, r, context=context) for r in rows])

    def _catalog_rows(self, args, columns, constraint, context, profile, kw):
        from ._objects import rows_from_json
        cols = _catalog_columns(columns)
        params, kw = self._query_params(args, constraint, context, profile, kw)
        params.update(fields=",".join(cols), format="json")
        rows = []
        for page in self._query_pages(params, kw, lambda r: rows_from_json(r.json())):
            rows.extend(page)
        return rows, cols

    # --- data access -------------------------------------------------------------------------
    def getSpec(self, id_list, fmt="numpy", out=None, align=False, cutout=None, context=None, profile=None, **kw):
        """Spectra of an ID list, in one request however many.

        id_list: one ID (int, tuple, string), a list/ndarray of them, a string of IDs one a line,
        or a file of IDs one a line. fmt: numpy (structured arrays as the original service sent:
        fields flux, loglam, ivar, and_mask, or_mask, wdisp, sky, model), pandas (DataFrames),
        Spectrum1D, Spectrum1DCollection (aligned), Spectrum1DList, FITS (astropy HDULists, one
        per spectrum). align: every spectrum on the list's common log-lambda grid, zero-padded;
        cutout '<start>-<end>' (Angstrom): aligned and clipped to that window. out: a directory
        to save one file per spectrum (spec-PLATE-MJD-FIBER.npy for numpy, .fits for FITS);
        then 'OK' is returned. kw: values (columns: 'all' or 'flux,ivar'), w0/w1 (aligned window,
        log10 Angstrom), resample ('log:a,b,step' or 'lin:a,b,step'), rest_frame, token,
        timeout, verbose (a progress bar for the transfer).

        Returns one object for a single ID, else a list (numpy unaligned), a 2-D structured
        array [n, npix] (numpy aligned), a list of DataFrames / Spectrum1D / HDULists, a
        SpectrumCollection or a SpectrumList. Spectra not found keep their place (an empty
        array, an empty DataFrame, None) and a warning names them."""
        kw = dict(kw)
        with_meta = bool(kw.pop("with_meta", False))
        key = _FMTS.get(str(fmt).lower())
        if key is None:
            raise InvalidArgumentError("fmt must be one of numpy, pandas, Spectrum1D, Spectrum1DCollection, "
                                       "Spectrum1DList, FITS; not %r" % (fmt,))
        if out is not None and str(out).startswith("vos://"):
            raise InvalidArgumentError("VOS locations are not supported: give a local directory for out")
        if out is not None and key not in ("numpy", "FITS"):
            raise InvalidArgumentError("out= saves files for fmt='numpy' (.npy) or fmt='FITS' (.fits), not %r" % (fmt,))
        ids, single = _ids.normalize(id_list)
        values = _values_text(kw.pop("values", "all"))
        cut = _cutout_text(cutout)
        if key == "Spectrum1DCollection" and not (align or cut or kw.get("w0") is not None or kw.get("resample")):
            align = True  # a collection needs one shape
        dense = bool(align or cut or kw.get("w0") is not None or kw.get("w1") is not None or kw.get("resample"))
        body = self._scope(context, profile)
        body.update(id_list=ids, align=bool(align))
        if cut:
            body["cutout"] = cut
        for k, v in self._service_kw(kw).items():
            body[k] = v
        want_loglam = values == "all" or "loglam" in values.split(",")
        if values == "all":
            # the dense npz/fits drop loglam (the grid comes separately) and, for "all", keep
            # only flux, ivar, and_mask: name every column to get the original's full record
            if kw.get("resample"):
                values = "flux,ivar,and_mask"  # what resampling gives
            else:
                values = ",".join(c for c in _convert.FIELDS if c != "loglam") if dense else "all"
        elif key != "numpy":
            need = ["flux"] + ([] if dense else ["loglam"])
            values = ",".join(dict.fromkeys(need + [v for v in values.split(",") if v]))
        if dense:
            values = ",".join(v for v in values.split(",") if v != "loglam") or "flux"
        if key == "FITS":
            body.update(format="fits", values=values)
            r = self._call("POST", "/getSpec", kw, body=body, label="getSpec", stream_progress=True)
            return _fits_result(r.content, single, out, lambda sids: self._catalog_rows_of(sids, context, profile, kw))
        body.update(format="npz", values=values)
        r = self._call("POST", "/getSpec", kw, body=body, label="getSpec", stream_progress=True)
        z = _convert.read_npz(r.content)
        spectra, specobjid, found = _convert.spectra_from_npz(z, dense, want_loglam or key != "numpy")
        if not found.all():
            missing = [int(s) for s, f in zip(specobjid, found) if not f]
            warnings.warn("%d of %d spectra not found: %s%s" % (len(missing), len(found), missing[:10],
                                                                 " ..." if len(missing) > 10 else ""), stacklevel=2)
        if out is not None:
            _save_npy(out, spectra, specobjid, found)
            return "OK"
        one = single and len(specobjid) == 1
        rows = None
        if key not in ("numpy", "Spectrum1DCollection") or with_meta:
            rows = self._catalog_rows_of([int(i) for i, f in zip(specobjid, found) if f], context, profile, kw)
        result = _shape_result(key, spectra, specobjid, found, one, dense, rows)
        if with_meta:
            from ._objects import rows_to_table
            table = rows_to_table([rows.get(int(i), {"specobjid": int(i)}) for i in specobjid], list(META_COLUMNS))
            for c, u in COLUMN_UNITS.items():
                table.meta["unit_" + c] = u
            return result, table
        return result

    def _catalog_rows_of(self, specobjids, context, profile, kw):
        """{specobjid: catalog row (META_COLUMNS)} of these spectra, primary or not: a query per
        100 IDs (each paged past the service's row cap)."""
        from ._objects import rows_from_json
        if not specobjids:
            return {}
        rows = {}
        # The service turns the IDs into one SQL constraint "specobjid = N OR ..." (engine/query/
        # service_query), capped at 10,000 bytes and at SQLite's expression depth of 200 terms:
        # _IDS_PER_ROW_QUERY (100) IDs a request.
        step = _IDS_PER_ROW_QUERY
        for at in range(0, len(specobjids), step):
            params = self._scope(context, profile)
            params.update(id=[str(i) for i in specobjids[at:at + step]], fields=",".join(META_COLUMNS), format="json",
                          primary=False)
            for page in self._query_pages(params, {k: v for k, v in kw.items() if k in _CLIENT_KW},
                                          lambda r: rows_from_json(r.json())):
                for row in page:
                    rows[int(row["specobjid"])] = row
        return rows

    # --- plots -------------------------------------------------------------------------------
    def plot(self, data, context=None, profile=None, out=None, **kw):
        """Plots one spectrum with matplotlib (flux against wavelength). data: a structured
        array, DataFrame or Spectrum1D from getSpec, or an ID (fetched). kw: sky, model (overplot
        those fields), lines (a dict {name: wavelength A}, or True for common lines), z (shift
        the lines), title, ax. out: save as PNG there instead of showing."""
        from ._plot import plot_spectrum
        if _looks_like_id(data):
            if kw.get("lines") and "z" not in kw:
                # lines are marked at the spectrum's catalog redshift, as the original's plot() did
                kw["z"] = self._redshift(data, context, profile, kw)
            if kw.get("lines") is True:  # the engine's line table, shifted to z by the plot
                kw["lines"] = self._line_marks(kw)
            data = self.getSpec(data, context=context, profile=profile,
                                **{k: v for k, v in kw.items() if k in _CLIENT_KW})
        return plot_spectrum(data, out=out, **{k: v for k, v in kw.items() if k not in _CLIENT_KW})

    def get_emission_lines(self, z=0.0, wmin=0.0, wmax=1e6, **kw):
        """The engine's table of common emission and absorption lines (vacuum rest wavelengths)
        observed at redshift z within [wmin, wmax] Angstrom: a structured array with name,
        rest, observed (Angstrom) and kind ('emission' or 'absorption'), by wavelength."""
        r = self._call("GET", "/lines", kw, params={"z": float(z), "wmin": float(wmin), "wmax": float(wmax)},
                       label="lines")
        rows = r.json()
        width = max([len(x["name"]) for x in rows] + [1])
        out = np.zeros(len(rows), dtype=[("name", "U%d" % width), ("rest", "f8"), ("observed", "f8"), ("kind", "U10")])
        for i, x in enumerate(rows):
            out[i] = (x["name"], x["rest"], x["observed"], x["kind"])
        return out

    def _line_marks(self, kw):
        """{name: rest wavelength} of the engine's table, for plot(lines=True)."""
        return {str(x["name"]): float(x["rest"]) for x in self.get_emission_lines(
            0.0, 0.0, 1e6, **{k: v for k, v in kw.items() if k in _CLIENT_KW})}

    def _redshift(self, id, context, profile, kw):
        """The catalog z of one spectrum (primary or not), from /query?id=...&fields=z."""
        body = self._scope(context, profile)
        body.update(id=_ids.single_id_text(id), fields="z", format="csv")
        r = self._call("POST", "/query", {k: v for k, v in kw.items() if k in _CLIENT_KW}, body=body, label="z")
        rows = r.text.strip().split("\n")
        if len(rows) < 2 or rows[1] == "":
            raise NotFoundError("no catalog redshift for %r" % (id,))
        return float(rows[1])

    def prospect(self, data, context=None, profile=None, **kw):
        """The interactive PROSPECT viewer: not implemented (as in the original interface)."""
        raise NotImplementedError("prospect() is not implemented (the interface marks it Not Yet Implemented)")

    def preview(self, id, context=None, profile=None, **kw):
        """A PNG preview plot of one spectrum (bytes). kw: width, height (pixels), sky, model,
        error (overplot), lines (mark common lines), cutout ('A-B')."""
        body = self._scope(context, profile)
        body["id"] = _ids.single_id_text(id)
        if "cutout" in kw:
            kw["cutout"] = _cutout_text(kw["cutout"])
        body.update(self._service_kw(kw))
        r = self._call("POST", "/preview", kw, body=body, label="preview")
        return _png(r)

    def plotGrid(self, id_list, nx=5, ny=5, page=0, context=None, profile=None, **kw):
        """An nx x ny grid of preview plots as one PNG (bytes); page N (from 0) shows the IDs
        from N*nx*ny on. kw: the preview options (width, height, sky, model, error, lines,
        cutout) for each panel."""
        ids, _ = _ids.normalize(id_list)
        body = self._scope(context, profile)
        body.update(id_list=ids, nx=int(nx), ny=int(ny), page=int(page))
        body.update(self._service_kw(kw))
        r = self._call("POST", "/plotGrid", kw, body=body, label="plotGrid")
        return _png(r)

    getGridPlot = plotGrid
    gridPlot = plotGrid

    def stackedImage(self, id_list, fmt="png", align=False, yflip=False, context=None, profile=None, **kw):
        """Every spectrum of the list as a row of one image, the first ID the bottom row (the
        top with yflip). fmt 'png': PNG bytes; 'numpy': the float32 image (rows in display
        order, NaN where masked). Rows are always on the list's common log-lambda lattice (the
        service aligns by construction; align=False does not change that). kw: cutout ('A-B'),
        scale (zscale, linear, asinh), range ('lo,hi'), cmap (gray, viridis, inferno), inverse,
        thickness, xscale, width/height (bin to at most), normalize (docs/rendering.md)."""
        if fmt not in ("png", "numpy"):
            raise InvalidArgumentError("fmt must be 'png' or 'numpy', not %r" % (fmt,))
        ids, _ = _ids.normalize(id_list)
        body = self._scope(context, profile)
        body.update(id_list=ids, format=fmt, align=bool(align), yflip=bool(yflip))
        if "cutout" in kw:
            kw["cutout"] = _cutout_text(kw["cutout"])
        body.update(self._service_kw(kw))
        r = self._call("POST", "/stackedImage", kw, body=body, label="stackedImage", stream_progress=True)
        if fmt == "png":
            return _png(r)
        return _convert.read_npy(r.content)

    # --- analysis ----------------------------------------------------------------------------
    def stack(self, id_list, method="weighted_mean", grid=None, rest_frame=False, normalize=None,
              context=None, profile=None, fmt="numpy", **kw):
        """The stack (composite spectrum) of a list, computed by the service (docs/stack.md).
        method: weighted_mean, mean, median or clipped_mean (kw sigma, iterations); grid:
        'log:a,b,step' / 'lin:a,b,step' (default: the observed lattice over the list's span);
        rest_frame: shift each spectrum by its catalog z first; normalize: a window 'A-B' (or a
        pair) each spectrum is scaled to unit median over; kw normalize_band (a shipped filter,
        e.g. 'r'), mask_bits ('default', 'none', names or a value).
        fmt numpy: a dict of arrays wavelength (A), flux, ivar, error, n, and metadata (a dict);
        pandas: a DataFrame (metadata in .attrs); Spectrum1D; FITS: an HDUList; csv: the text."""
        if fmt not in ("numpy", "pandas", "Spectrum1D", "FITS", "csv"):
            raise InvalidArgumentError("fmt must be numpy, pandas, Spectrum1D, FITS or csv; not %r" % (fmt,))
        ids, _ = _ids.normalize(id_list)
        body = self._scope(context, profile)
        wire = {"FITS": "fits", "csv": "csv"}.get(fmt, "npz")
        body.update(id_list=ids, method=method, rest_frame=bool(rest_frame), format=wire)
        if grid is not None:
            body["grid"] = grid
        if normalize is not None:
            body["normalize"] = _cutout_text(normalize)
        body.update(self._service_kw(kw))
        r = self._call("POST", "/stack", kw, body=body, label="stack", stream_progress=True)
        if fmt == "csv":
            return r.text
        if fmt == "FITS":
            from astropy.io import fits
            return fits.HDUList([h.copy() for h in fits.open(io.BytesIO(bytes(r.content)))])
        z = dict(_convert.read_npz(r.content))
        if "metadata" in z:
            z["metadata"] = json.loads(bytes(np.asarray(z["metadata"]).tobytes()).decode("utf-8").rstrip("\0"))
        if fmt == "pandas":
            pd = _convert._need("pandas", "pandas")
            df = pd.DataFrame({k: v for k, v in z.items() if k != "metadata"})
            df.attrs.update(z.get("metadata", {}))
            return df
        if fmt == "Spectrum1D":
            return _convert.stack_to_Spectrum1D(z)
        return z

    def photometry(self, id_list, filters=None, fmt="numpy", context=None, profile=None, **kw):
        """Synthetic AB photometry of a list through shipped filter curves (e.g.
        'sdss2010-g,sdss2010-r'; default: the service's). fmt: numpy (a structured array with
        specobjid, band, nanomaggies, nanomaggies_err, mag, mag_err, flag), pandas, table
        (astropy) or csv (the text)."""
        if fmt not in ("numpy", "pandas", "table", "csv"):
            raise InvalidArgumentError("fmt must be numpy, pandas, table or csv; not %r" % (fmt,))
        ids, _ = _ids.normalize(id_list)
        body = self._scope(context, profile)
        body["id_list"] = ids
        if filters is not None:
            body["filters"] = ",".join(filters) if isinstance(filters, (list, tuple)) else filters
        body.update(self._service_kw(kw))
        r = self._call("POST", "/photometry", kw, body=body, label="photometry")
        if fmt == "csv":
            return r.text
        rec = _csv_records(r.text)
        if fmt == "pandas":
            return _convert._need("pandas", "pandas").DataFrame({c: rec[c] for c in rec.dtype.names})
        if fmt == "table":
            return _convert._need("astropy.table", "astropy").Table(rec)
        return rec

    # --- utilities ---------------------------------------------------------------------------
    to_pandas = staticmethod(to_pandas)
    to_Spectrum1D = staticmethod(to_Spectrum1D)
    to_Table = staticmethod(to_Table)


specClient = SpecClient  # the original's class name


# --- helpers ---------------------------------------------------------------------------------
def _is_coord(x):
    """An astropy SkyCoord (any frame) or anything with .ra and .dec."""
    return hasattr(x, "icrs") or (hasattr(x, "ra") and hasattr(x, "dec"))


def _is_region(x):
    if isinstance(x, (str, bytes)) or _is_coord(x):
        return False
    try:
        items = list(x)
    except TypeError:
        return False
    return len(items) >= 1 and all(not isinstance(v, (str, bytes)) and np.size(v) == 2 for v in items)


def _degrees(angle):
    return float(angle.deg) if hasattr(angle, "deg") else float(angle)


def _looks_like_id(data):
    if isinstance(data, (int, np.integer, str, tuple)):
        return True
    return False


def _catalog_columns(columns):
    """The column list of a typed query (specobjid always first)."""
    from ._objects import DEFAULT_COLUMNS
    if columns is None:
        return list(DEFAULT_COLUMNS)
    cols = [c.strip() for c in (columns.split(",") if isinstance(columns, str) else columns) if str(c).strip()]
    return ["specobjid"] + [c for c in cols if c != "specobjid"]


def _parse_query_csv(text, fields):
    """The service's CSV (a header line, then rows) as SPECOBJIDs or (plate, mjd, fiber)."""
    lines = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    if not lines:
        return []
    header = [h.strip().lower() for h in lines[0].split(",")]
    rows = [l.split(",") for l in lines[1:]]
    if fields == "tuple":
        fib = "fiberid" if "fiberid" in header else "fiber" if "fiber" in header else None
        if "plate" in header and "mjd" in header and fib:
            ip, im, iff = header.index("plate"), header.index("mjd"), header.index(fib)
            return [(int(r[ip]), int(r[im]), int(r[iff])) for r in rows]
    if "specobjid" not in header:
        raise ServerError("the query reply has no specobjid column: %r" % lines[0])
    k = header.index("specobjid")
    ids = [int(r[k]) & 0xFFFFFFFFFFFFFFFF for r in rows]
    if fields == "tuple":
        return [_ids.decode_specobjid(i) for i in ids]
    return ids


def _csv_records(text):
    """CSV text with a header as a numpy structured array (column types guessed: uint64 for
    specobjid, int, float, else string)."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return np.zeros(0, dtype=[("specobjid", "<u8")])
    header, rows = rows[0], [r for r in rows[1:] if r]
    cols = list(zip(*rows)) if rows else [() for _ in header]
    arrays = []
    for name, col in zip(header, cols):
        if name == "specobjid":
            arrays.append(np.array([int(v) & 0xFFFFFFFFFFFFFFFF for v in col], dtype=np.uint64))
            continue
        for conv, dt in ((int, np.int64), (float, np.float64)):
            try:
                arrays.append(np.array([conv(v) for v in col], dtype=dt))
                break
            except ValueError:
                continue
        else:
            arrays.append(np.array(col, dtype=str))
    return np.rec.fromarrays(arrays, names=header).view(np.ndarray)


def _png(reply):
    data = bytes(reply.content)
    if not data.startswith(b"\x89PNG"):
        raise ServerError("the service's reply is not a PNG (%s)" % reply.headers.get("content-type"))
    return data


def _shape_result(key, spectra, specobjid, found, single, dense, rows=None):
    """getSpec's return value for fmt `key` from the structured arrays; rows: the catalog rows
    by SPECOBJID, merged into pandas attrs and Spectrum1D meta."""
    if key == "numpy":
        return spectra[0] if single else spectra
    if key == "Spectrum1DCollection":
        return _convert.to_SpectrumCollection(spectra, specobjid)
    catalog = rows or {}
    rows = list(spectra) if dense else spectra
    if key == "pandas":
        objs = [_convert.to_pandas(s, int(i)) for s, i in zip(rows, specobjid)]
        for o, i in zip(objs, specobjid):
            o.attrs.update(catalog.get(int(i), {}))
            o.attrs["units"] = {c: u for c, u in COLUMN_UNITS.items() if c in o.columns}
    else:
        objs = [_convert.to_Spectrum1D(s, int(i)) if f else None for s, i, f in zip(rows, specobjid, found)]
        for o, i in zip(objs, specobjid):
            if o is not None:
                o.meta.update(catalog.get(int(i), {}))
    if single:
        return objs[0]
    if key == "Spectrum1DList":
        specutils = _convert._need("specutils", "specutils")
        return specutils.SpectrumList(objs)
    return objs


def _save_npy(out, spectra, specobjid, found):
    os.makedirs(out, exist_ok=True)
    for s, i, f in zip(spectra, specobjid, found):
        if f:
            np.save(os.path.join(out, _ids.spec_file_name(int(i), "npy")), np.ascontiguousarray(s))


def _fits_result(content, single, out, catalog_rows=None):
    """The service's FITS reply: with astropy, one HDUList a spectrum (PRIMARY with SPECOBJID,
    PLATE, MJD, FIBERID; COADD a binary table of its columns), saved as
    spec-PLATE-MJD-FIBER.fits under `out` when given. Without astropy: the bytes (a file
    specmill-getspec.fits under `out`)."""
    try:
        from astropy.io import fits
    except ImportError:
        if out is not None:
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "specmill-getspec.fits"), "wb") as f:
                f.write(content)
            return "OK"
        return bytes(content)
    from ._fits import split_fits
    hdus = split_fits(fits, bytes(content))
    if catalog_rows is not None and hdus:
        from ._fits import add_catalog_row
        rows = catalog_rows([int(h[0].header["SPECOBJ"]) for _, h in hdus if "SPECOBJ" in h[0].header])
        for _, h in hdus:
            if "SPECOBJ" in h[0].header:
                add_catalog_row(fits, h, rows.get(int(h[0].header["SPECOBJ"])))
    if out is not None:
        os.makedirs(out, exist_ok=True)
        for name, h in hdus:
            h.writeto(os.path.join(out, name), overwrite=True)
        return "OK"
    lists = [h for _, h in hdus]
    return lists[0] if single and len(lists) == 1 else lists


# --- module-level interface on a default client -----------------------------------------------
sp_client = SpecClient()


def getClient(context=DEF_CONTEXT, profile=DEF_PROFILE, store=None, **kw):
    """A new client object for a context and profile (kw: svc_url, token, timeout, verbose).
    store: a store's folder instead of a service: the engine in-process (specmill.local), the
    same interface with no server (kw: device cpu/cuda/auto)."""
    if store is not None:
        from .local import LocalClient
        return LocalClient(store, context=None if context == "default" else context, profile=profile, **kw)
    return SpecClient(context=context, profile=profile, **kw)


def isAlive(svc_url=None, timeout=2):
    return sp_client.isAlive(svc_url=svc_url, timeout=timeout)


def set_svc_url(svc_url):
    return sp_client.set_svc_url(svc_url)


def get_svc_url():
    return sp_client.get_svc_url()


def set_context(context):
    return sp_client.set_context(context)


def get_context():
    return sp_client.get_context()


def list_contexts(context=None, fmt="text", **kw):
    return sp_client.list_contexts(context=context, fmt=fmt, **kw)


def set_profile(profile):
    return sp_client.set_profile(profile)


def get_profile():
    return sp_client.get_profile()


def list_profiles(profile=None, fmt="text", **kw):
    return sp_client.list_profiles(profile=profile, fmt=fmt, **kw)


def catalogs(context="default", profile="default", fmt="text", **kw):
    return sp_client.catalogs(context=context, profile=profile, fmt=fmt, **kw)


def query(*args, constraint=None, out=None, context=None, profile=None, **kw):
    return sp_client.query(*args, constraint=constraint, out=out, context=context, profile=profile, **kw)


def getSpec(id_list, fmt="numpy", out=None, align=False, cutout=None, context=None, profile=None, **kw):
    return sp_client.getSpec(id_list, fmt=fmt, out=out, align=align, cutout=cutout, context=context,
                             profile=profile, **kw)


def get_emission_lines(z=0.0, wmin=0.0, wmax=1e6, **kw):
    return sp_client.get_emission_lines(z, wmin, wmax, **kw)


def plot(data, context=None, profile=None, out=None, **kw):
    return sp_client.plot(data, context=context, profile=profile, out=out, **kw)


def prospect(data, context=None, profile=None, **kw):
    return sp_client.prospect(data, context=context, profile=profile, **kw)


def preview(id, context=None, profile=None, **kw):
    return sp_client.preview(id, context=context, profile=profile, **kw)


def plotGrid(id_list, nx=5, ny=5, page=0, context=None, profile=None, **kw):
    return sp_client.plotGrid(id_list, nx=nx, ny=ny, page=page, context=context, profile=profile, **kw)


getGridPlot = plotGrid
gridPlot = plotGrid


def stackedImage(id_list, fmt="png", align=False, yflip=False, context=None, profile=None, **kw):
    return sp_client.stackedImage(id_list, fmt=fmt, align=align, yflip=yflip, context=context, profile=profile, **kw)


def stack(id_list, method="weighted_mean", grid=None, rest_frame=False, normalize=None, context=None,
          profile=None, fmt="numpy", **kw):
    return sp_client.stack(id_list, method=method, grid=grid, rest_frame=rest_frame, normalize=normalize,
                           context=context, profile=profile, fmt=fmt, **kw)


def photometry(id_list, filters=None, fmt="numpy", context=None, profile=None, **kw):
    return sp_client.photometry(id_list, filters=filters, fmt=fmt, context=context, profile=profile, **kw)


def query_spectra(*args, columns=None, constraint=None, context=None, profile=None, **kw):
    return sp_client.query_spectra(*args, columns=columns, constraint=constraint, context=context, profile=profile,
                                   **kw)


def iter_spectra(*args, columns=None, page_size=1000, constraint=None, context=None, profile=None, **kw):
    return sp_client.iter_spectra(*args, columns=columns, page_size=page_size, constraint=constraint,
                                  context=context, profile=profile, **kw)


def get_spectrum(id, columns=None, context=None, profile=None, **kw):
    return sp_client.get_spectrum(id, columns=columns, context=context, profile=profile, **kw)


def get_object(ra, dec, radius=2.0 / 3600, columns=None, context=None, profile=None, **kw):
    return sp_client.get_object(ra, dec, radius=radius, columns=columns, context=context, profile=profile, **kw)


for _f in (isAlive, set_svc_url, get_svc_url, set_context, get_context, list_contexts, set_profile, get_profile,
           list_profiles, catalogs, query, getSpec, plot, prospect, preview, plotGrid, stackedImage, stack,
           photometry, query_spectra, iter_spectra, get_spectrum, get_object):
    _f.__doc__ = getattr(SpecClient, _f.__name__).__doc__
del _f
