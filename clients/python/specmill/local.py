"""specmill.local — the engine in-process: SpecClient's interface over a store on this machine,
with no service.

    import specmill
    spec = specmill.open_store("path/to/store")            # or client.getClient(store=...)
    ids = spec.query(0.125, 12.123, 0.1)
    data = spec.getSpec(ids, align=True)

LocalClient is a SpecClient whose requests do not travel: each one (the same parameters the HTTP
client would send) is answered by the C++ engine in this process (the extension module
specmill._engine, built from api/python) with the same bytes the service would answer, and the
client reads them with the same code. So both return the same types and values, and numpy
arrays over an npz result are views of the engine's buffer, not copies. The engine releases the
GIL while it works. In-process: query, getSpec, stack, photometry, preview, stackedImage and the
typed results; plotGrid is HTTP-only for now. Errors raise specmill.errors as over HTTP
(invalid_argument -> InvalidArgumentError, not_found -> NotFoundError, a damaged store ->
ServerError).

The module is built with the engine (cmake, SPECMILL_PYTHON=AUTO|ON): it lands in
<build>/python/specmill/; clients/python/README.md says how an installed package gets it.
"""
import csv
import io
import json
import os

from . import _ids
from ._http import Reply
from .client import SpecClient
from .errors import InvalidArgumentError, NotFoundError

__all__ = ["LocalClient", "open_store", "engine_module"]

DEFAULT_CONTEXT = "sdss_dr16"  # the engine's default (core/default_context.hpp)


def engine_module():
    """specmill._engine: from the package itself (a copy installed with it), else from the folder
    $SPECMILL_ENGINE_DIR names (a build's python/specmill). ImportError says how to build it."""
    from . import __path__ as package_path
    extra = os.environ.get("SPECMILL_ENGINE_DIR")
    if extra and extra not in package_path:
        package_path.append(extra)
    try:
        from . import _engine
    except ImportError as e:
        raise ImportError("specmill's in-process engine (specmill._engine) is not built or not found (%s): build it "
                          "with `cmake -S . -B build && cmake --build build --target specmill_python` (needs "
                          "pybind11-dev and python3-dev), then set SPECMILL_ENGINE_DIR=build/python/specmill or "
                          "copy build/python/specmill/_engine*.so into clients/python/specmill/ before "
                          "`pip install ./clients/python`" % e) from None
    return _engine


def open_store(path, context=None, device="cpu", **kw):
    """A LocalClient over the store at `path` (read-only). context: the store's context to use
    (default: its only one, else sdss_dr16); device: cpu, cuda or auto (the engine's backend)."""
    return LocalClient(path, context=context, device=device, **kw)


class LocalClient(SpecClient):
    """SpecClient's interface over a store in this process (see the module's doc)."""

    def __init__(self, store, context=None, profile="default", device="cpu", verbose=False, **_ignored):
        if not os.path.isdir(store):
            raise NotFoundError("no store at %s" % store)
        self.store_path = os.fspath(store)
        self._store = engine_module().Store(self.store_path, device)
        names = [c[0] for c in self._store.contexts()]
        self.default_context = names[0] if len(names) == 1 else DEFAULT_CONTEXT
        self.svc_url = "store:" + self.store_path  # what the client's messages name
        self.context = context or "default"
        self.profile = profile or "default"
        self.token = None
        self.timeout = None
        self.verbose = verbose
        self.debug = False
        self._t = None

    def __repr__(self):
        return "LocalClient(store=%r, context=%r)" % (self.store_path, self.context)

    # --- the parts of the interface that name a service --------------------------------------
    def isAlive(self, svc_url=None, timeout=2):
        """True: the store is open in this process."""
        return True

    def set_svc_url(self, svc_url):
        raise InvalidArgumentError("a LocalClient reads a store in-process; use SpecClient for a service URL")

    def list_contexts(self, context=None, fmt="text", **kw):
        """The store's contexts (or one): text (default) or csv as a string, json as a dict."""
        info = {n: {"description": d, "spectra": s, "with_pixels": p} for n, d, s, p in self._store.contexts()}
        if context not in (None, "", "default"):
            if context not in info:
                raise NotFoundError("no context %r in the store" % context)
            info = {context: info[context]}
        if fmt == "json":
            return info
        return "".join(("%s,%s\n" if fmt == "csv" else "%s: %s\n") % (n, v["description"]) for n, v in info.items())

    def list_profiles(self, profile=None, fmt="text", **kw):
        """One profile, 'default' (a store has no profiles)."""
        if fmt == "json":
            return {"default": {"description": "in-process store"}}
        return "default,in-process store\n" if fmt == "csv" else "default: in-process store\n"

    def catalogs(self, context="default", profile="default", fmt="text", **kw):
        """The store's tables: specobj, specobjall and the registered catalogs."""
        cats = {"specobj": "primary spectra (specprimary = 1)", "specobjall": "every spectrum"}
        for name, source, rows in self._store.catalogs():
            cats[name] = "value-added catalog (%d rows)" % rows if source else "value-added catalog"
        if fmt == "json":
            return cats
        return "".join(("%s,%s\n" % (n, d)) if fmt == "csv" else n + "\n" for n, d in cats.items())

    # --- requests, answered in-process --------------------------------------------------------
    def _call(self, method, path, kw, params=None, body=None, label=None, stream_progress=False):
        p = dict(params or {})
        p.update(body or {})
        p = {k: v for k, v in p.items() if v is not None}
        handler = _ROUTES.get(path)
        if handler is None:
            raise InvalidArgumentError("%s is not available in-process (only through a service)" % path)
        return handler(self, p)

    def _context_of(self, p):
        ctx = p.get("context")
        return ctx if ctx not in (None, "", "default") else self.default_context

    def _query(self, p):
        fields = p.get("fields", "specobjid")
        fmt = p.get("format", "csv")
        if fmt not in ("csv", "json"):
            raise InvalidArgumentError("format is csv or json")
        names = None if fields == "tuple" else [f.strip() for f in str(fields).split(",")]
        if names is not None and not all(names):
            raise InvalidArgumentError("fields: an empty column name in '%s'" % str(fields)[:80])
        region = p.get("region")
        cone = None
        if any(k in p for k in ("ra", "dec", "size")):
            cone = (float(p.get("ra", "nan")), float(p.get("dec", "nan")), float(p.get("size", "nan")))
        ids = None
        if p.get("id") not in (None, "", "None"):
            ids, _ = _ids.normalize(p["id"])
        r = self._store.query(
            context=self._context_of(p), cone=cone,
            polygon=None if region is None else [(float(v[0]), float(v[1])) for v in region],
            constraint=p.get("constraint", ""), cond=None if "constraint" in p else p.get("cond"), ids=ids,
            all=not _flag(p.get("primary", True)), catalog=p.get("catalog", ""),
            with_pixels=_flag(p.get("with_pixels", False)), sort=p.get("sort", ""),
            limit=_int_or_none(p.get("limit"), "limit"), offset=_int_or_none(p.get("offset"), "offset"),
            fields=names)
        headers = {"x-query-more": "true" if r["more"] else "false", "content-type": "text/csv"}
        if fmt == "json":
            rows = []
            for sid, plate, mjd, fiberid, ra, dec, values in r["rows"]:
                o = {"specobjid": str(sid), "plate": plate, "mjd": mjd, "fiberid": fiberid, "ra": ra, "dec": dec}
                for name, v in zip(r["names"], values):
                    o.setdefault(name, v)
                rows.append(o)
            headers["content-type"] = "application/json"
            return Reply(200, headers, json.dumps({"table": r["table"], "more": r["more"], "rows": rows}).encode())
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        if names is None:
            w.writerow(["plate", "mjd", "fiberid"])
            w.writerows((row[1], row[2], row[3]) for row in r["rows"])
        else:
            w.writerow(names)
            w.writerows(row[6] for row in r["rows"])
        return Reply(200, headers, out.getvalue().encode())

    def _get(self, p):
        data, summary = self._store.get(
            context=self._context_of(p), ids=_id_list(p), format=_wire_format(p.get("format", "npz")),
            values=_text_or_none(p.get("values")), align=_flag(p.get("align", False)),
            cutout=_text_or_none(p.get("cutout")), w0=_float_or_none(p.get("w0")), w1=_float_or_none(p.get("w1")),
            resample=_text_or_none(p.get("resample")), rest_frame=_flag(p.get("rest_frame", False)))
        headers = {"x-spectra-found": str(summary["found"]), "x-spectra-requested": str(summary["requested"])}
        return Reply(200, headers, memoryview(data))  # writable, as the HTTP client's bytearray

    def _list_span(self, p):
        r = self._store.list_span(context=self._context_of(p), ids=_id_list(p), cutout=_text_or_none(p.get("cutout")))
        return Reply(200, {"content-type": "application/json"}, json.dumps(r).encode())

    def _stack(self, p):
        data, summary = self._store.stack(
            context=self._context_of(p), ids=_id_list(p), method=p.get("method", "weighted_mean"),
            format=p.get("format", "npz"), sigma=_float_or_none(p.get("sigma")),
            iterations=_int_or_none(p.get("iterations"), "iterations"), grid=_text_or_none(p.get("grid")),
            rest_frame=_flag(p.get("rest_frame", False)), normalize=_text_or_none(p.get("normalize")),
            normalize_band=_text_or_none(p.get("normalize_band")), mask_bits=_text_or_none(p.get("mask_bits")))
        headers = {"x-spectra-used": str(summary["used"]), "x-spectra-requested": str(summary["requested"])}
        return Reply(200, headers, memoryview(data) if p.get("format", "npz") == "npz" else bytes(data))

    def _photometry(self, p):
        data = self._store.photometry(context=self._context_of(p), ids=_id_list(p),
                                      filters=_text_or_none(p.get("filters")))
        return Reply(200, {"content-type": "text/csv"}, bytes(data))

    def _preview(self, p):
        data = self._store.preview(
            context=self._context_of(p), id=_ids.normalize(p.get("id"))[0],
            width=_whole(p, "width", 400), height=_whole(p, "height", 100), sky=_flag(p.get("sky", False)),
            model=_flag(p.get("model", False)), error=_flag(p.get("error", False)),
            lines=_flag(p.get("lines", False)), cutout=_text_or_none(p.get("cutout")))
        return Reply(200, {"content-type": "image/png"}, bytes(data))

    def _stacked_image(self, p):
        def scale(name):
            v = _whole(p, name, 1)
            if v < 1:
                raise InvalidArgumentError("parameter %s: a scale of at least 1, not %r" % (name, p.get(name)))
            return v
        data = self._store.stacked_image(
            context=self._context_of(p), ids=_id_list(p), fmt=str(p.get("fmt", p.get("format", "png"))),
            cutout=_text_or_none(p.get("cutout")), yflip=_flag(p.get("yflip", False)),
            scale=str(p.get("scale", "zscale")), range=_text_or_none(p.get("range")), cmap=str(p.get("cmap", "gray")),
            inverse=_flag(p.get("inverse", False)), thickness=scale("thickness") * scale("yscale"),
            column_repeat=scale("xscale"), max_height=max(0, _whole(p, "height", 0)),
            max_width=max(0, _whole(p, "width", 0)), normalize=_flag(p.get("normalize", False)))
        return Reply(200, {"content-type": "application/octet-stream"}, memoryview(data))


def _lines(self, p):
    """GET /lines in-process: the engine's line table at z."""
    rows = engine_module().emission_lines(float(p.get("z", 0.0)), float(p.get("wmin", 0.0)), float(p.get("wmax", 1e6)))
    body = [{"name": n, "rest": r, "observed": o, "kind": k} for n, r, o, k in rows]
    return Reply(200, {"content-type": "application/json"}, json.dumps(body).encode())


_ROUTES = {"/lines": _lines, "/query": LocalClient._query, "/getSpec": LocalClient._get, "/listSpan": LocalClient._list_span,
           "/stack": LocalClient._stack, "/photometry": LocalClient._photometry, "/preview": LocalClient._preview,
           "/stackedImage": LocalClient._stacked_image}


def _whole(p, name, fallback):
    """A whole number given as 3 or 3.0 (the original client sends floats), as the service reads it."""
    v = p.get(name)
    if v is None or v == "":
        return fallback
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise InvalidArgumentError("parameter %s: expected a whole number, not %r" % (name, v)) from None
    if not abs(x) <= 1e9 or x != int(x):  # NaN and inf too
        raise InvalidArgumentError("parameter %s: expected a whole number, not %r" % (name, v))
    return int(x)


# --- parameters as the service reads them ------------------------------------------------------
def _flag(v):
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("true", "1", "yes", "on"):
            return True
        if s in ("false", "0", "no", "off", "", "none"):
            return False
        raise InvalidArgumentError("not a boolean: %r" % v)
    return bool(v)


def _text_or_none(v):
    if v is None or v is False:
        return None
    s = str(v)
    return None if s in ("", "None") else s


def _float_or_none(v):
    if v is None or (isinstance(v, str) and v in ("", "None")):
        return None
    try:
        return float(v)
    except (TypeError, ValueError):
        raise InvalidArgumentError("not a number: %r" % (v,)) from None


def _int_or_none(v, name):
    if v is None or (isinstance(v, str) and v in ("", "None")):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise InvalidArgumentError("parameter %s: not an integer: %r" % (name, v)) from None


def _id_list(p):
    if "id_list" not in p:
        raise InvalidArgumentError("missing parameter id_list")
    ids = p["id_list"]
    if isinstance(ids, str):  # text, as the original client posts it
        ids, _ = _ids.normalize(ids)
    return ids


def _wire_format(f):
    """The service's getSpec format names (rest_spec.cpp format_param): the original client's
    numpy/pandas/table/Spectrum* names all mean npy."""
    s = str(f).lower()
    if s in ("numpy", "npy", "pandas", "tables", "table") or s.startswith("spectrum"):
        return "npy"
    return s
