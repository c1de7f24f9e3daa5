"""ID lists as the interface accepts them, made into the JSON list the service reads.

An id_list is one of
  - a single identifier: an int / numpy integer (SPECOBJID), a tuple (plate, mjd, fiber) or a
    partial tuple (plate,), (plate, mjd), (plate, mjd, 'lo-hi'), a string "299492975510054912",
    "266,51602,13", "266-51602-13" or "266 51602 13", or DESI's "TARGETID,SURVEY,PROGRAM"
    (e.g. "39627358369480854,sv1,dark");
  - a list / tuple of those, a numpy array (1-D integers, (n, 3) integers, strings, or a
    structured array with plate, mjd and fiberid/fiber fields), any other iterable;
  - a string of identifiers, one a line;
  - the name of a file holding identifiers, one a line.
Blank lines and lines starting with # are ignored. VOS names ('vos://...') are not supported.

normalize() gives (elements, single): the JSON elements (int, [plate, mjd, fiber], partial
lists) and whether the caller gave one identifier (so a single object is returned).
"""
import ast
import os
import re

import numpy as np

from .errors import InvalidArgumentError

_TRIPLE = re.compile(r"^\s*\(?\s*(\d+)\s*[,\- ]\s*(\d+)\s*[,\- ]\s*(\d+)\s*\)?\s*$")
_INT = re.compile(r"^\s*[-+]?\d+\s*$")
# DESI: "TARGETID,SURVEY,PROGRAM" (a target observed under several survey/program pairs); sent
# as the string, which the service parses (engine/pipeline/id_list).
_DESI = re.compile(r"^\s*(\d+)\s*,\s*([A-Za-z][A-Za-z0-9_]*)\s*,\s*([A-Za-z][A-Za-z0-9_]*)\s*$")
_FIELDS_TUPLE = ("plate", "mjd", "fiberid")


def _scalar_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _tuple_element(t):
    """A tuple/list of scalars as one ID: [plate, mjd, fiber] or a partial tuple."""
    items = list(t)
    if not 1 <= len(items) <= 4:
        raise InvalidArgumentError("an ID tuple has 1 to 4 elements (plate, mjd, fiber, run2d), not %r" % (t,))
    out = []
    for k, v in enumerate(items):
        if _scalar_int(v):
            out.append(int(v))
        elif isinstance(v, str) and k == 2 and re.match(r"^\s*\d+\s*-\s*\d+\s*$", v):
            out.append(v.replace(" ", ""))  # fiber range of a partial tuple
        elif isinstance(v, str) and _INT.match(v):
            out.append(int(v))
        elif isinstance(v, str) and k == 3:
            out.append(v.strip())  # run2d: the context decides, the service ignores it
        elif isinstance(v, float) and v.is_integer():
            out.append(int(v))
        else:
            raise InvalidArgumentError("bad element %r in the ID tuple %r" % (v, t))
    return out


def _is_partial(e):
    return isinstance(e, list) and (len(e) < 3 or isinstance(e[2], str))


def parse_line(line):
    """One line of text as an ID element (None for blank and comment lines)."""
    s = line.strip()
    if not s or s.startswith("#"):
        return None
    if _INT.match(s):
        return int(s)
    m = _TRIPLE.match(s)
    if m:
        return [int(m.group(1)), int(m.group(2)), int(m.group(3))]
    m = _DESI.match(s)
    if m:
        return "%s,%s,%s" % m.groups()
    if s.startswith("("):
        try:
            v = ast.literal_eval(s)
        except (ValueError, SyntaxError):
            raise InvalidArgumentError("cannot read the ID %r" % s) from None
        return _tuple_element(v if isinstance(v, tuple) else (v,))
    raise InvalidArgumentError("cannot read the ID %r (expected a SPECOBJID or plate,mjd,fiber)" % s)


def _element(x):
    """One identifier of a list."""
    if _scalar_int(x):
        return int(x)
    if isinstance(x, (tuple, list)):
        return _tuple_element(x)
    if isinstance(x, np.ndarray) and x.ndim == 1:
        return _tuple_element(x.tolist())
    if isinstance(x, np.void) and x.dtype.names:
        return _record(x)
    if isinstance(x, (str, np.str_, bytes)):
        e = parse_line(x.decode() if isinstance(x, bytes) else str(x))
        if e is None:
            raise InvalidArgumentError("an empty ID in the list")
        return e
    if isinstance(x, float) and x.is_integer():
        return int(x)
    raise InvalidArgumentError("cannot use %r (%s) as an ID" % (x, type(x).__name__))


def _record(r):
    names = [n.lower() for n in r.dtype.names]
    if "specobjid" in names:
        return int(r[r.dtype.names[names.index("specobjid")]])
    fiber = "fiberid" if "fiberid" in names else "fiber" if "fiber" in names else None
    if "plate" in names and "mjd" in names and fiber:
        get = lambda n: int(r[r.dtype.names[names.index(n)]])
        return [get("plate"), get("mjd"), get(fiber)]
    raise InvalidArgumentError("a structured ID needs a specobjid field or plate, mjd and fiberid fields")


def _lines(text):
    return [e for e in (parse_line(l) for l in text.splitlines()) if e is not None]


def normalize(id_list):
    """(elements, single) for any accepted id_list; InvalidArgumentError otherwise."""
    if id_list is None:
        raise InvalidArgumentError("no id_list given")
    if _scalar_int(id_list):
        return [int(id_list)], True
    if isinstance(id_list, tuple) and id_list and all(_scalar_int(v) or isinstance(v, str) for v in id_list):
        e = _tuple_element(id_list)
        return [e], not _is_partial(e)
    if isinstance(id_list, (str, np.str_, bytes)):
        s = id_list.decode() if isinstance(id_list, bytes) else str(id_list)
        if s.startswith("vos://"):
            raise InvalidArgumentError("VOS names are not supported: give a local file, a list or a string of IDs")
        if "\n" in s:
            out = _lines(s)
        elif s.strip().startswith("[") or s.strip().startswith("array("):
            try:
                v = ast.literal_eval(s.strip().replace("array(", "(", 1))
            except (ValueError, SyntaxError):
                raise InvalidArgumentError("cannot read the ID list %r" % s[:80]) from None
            return normalize(list(v))
        elif os.path.isfile(s):
            with open(s) as f:
                out = _lines(f.read())
            if not out:
                raise InvalidArgumentError("the ID file %s holds no IDs" % s)
            return out, False
        else:
            e = parse_line(s)
            if e is None:
                raise InvalidArgumentError("an empty id_list")
            return [e], not _is_partial(e)
        if not out:
            raise InvalidArgumentError("the id_list holds no IDs")
        return out, False
    if isinstance(id_list, np.ndarray):
        if id_list.ndim == 0:
            return normalize(id_list.item() if id_list.dtype.names is None else id_list[()])
        if id_list.dtype.names:
            return [_record(r) for r in id_list.reshape(-1)], False
        if id_list.dtype.kind in "iu" and id_list.ndim == 1:
            return [int(v) for v in id_list.tolist()], False
        if id_list.dtype.kind in "iu" and id_list.ndim == 2 and 1 <= id_list.shape[1] <= 4:
            return [list(map(int, row)) for row in id_list.tolist()], False
        if id_list.ndim == 1:
            return [_element(x) for x in id_list.tolist()], False
        raise InvalidArgumentError("an ID array must be 1-D, or 2-D with plate, mjd, fiber columns; not %s" % (id_list.shape,))
    if isinstance(id_list, np.void) and id_list.dtype.names:
        return [_record(id_list)], True
    if isinstance(id_list, dict):
        raise InvalidArgumentError("an id_list cannot be a dict")
    try:
        items = list(id_list)
    except TypeError:
        raise InvalidArgumentError("cannot use %r (%s) as an id_list" % (id_list, type(id_list).__name__)) from None
    if not items:
        raise InvalidArgumentError("an empty id_list")
    return [_element(x) for x in items], False


def single_id_text(id_):
    """One identifier as the text the service reads in a query string (preview's `id`)."""
    elements, single = normalize(id_)
    if len(elements) != 1 or not single:
        raise InvalidArgumentError("give one identifier (a SPECOBJID or a full plate, mjd, fiber tuple), not %r" % (id_,))
    e = elements[0]
    return str(e) if isinstance(e, (int, str)) else "%d,%d,%d" % tuple(e[:3])


# --- SPECOBJID bits: PLATE<<50 | FIBERID<<38 | (MJD-50000)<<24 | run2d<<10 --------------------
def decode_specobjid(specobjid):
    """(plate, mjd, fiberid) of a SPECOBJID (an int, or arrays of them: three arrays)."""
    if isinstance(specobjid, np.ndarray):
        v = specobjid.astype(np.uint64)
        plate = (v >> np.uint64(50)).astype(np.int64)
        fiber = ((v >> np.uint64(38)) & np.uint64(0xFFF)).astype(np.int64)
        mjd = ((v >> np.uint64(24)) & np.uint64(0x3FFF)).astype(np.int64) + 50000
        return plate, mjd, fiber
    v = int(specobjid) & 0xFFFFFFFFFFFFFFFF  # the signed spAll form is the same bits
    return v >> 50, ((v >> 24) & 0x3FFF) + 50000, (v >> 38) & 0xFFF


def run2d_of(specobjid):
    """The run2d name coded in a SPECOBJID ('26', '103', '104' or 'vN_M_P')."""
    code = (int(specobjid) >> 10) & 0x3FFF
    if code in (26, 103, 104):
        return str(code)
    return "v%d_%d_%d" % (code // 10000 + 5, code // 100 % 100, code % 100)


def spec_file_name(specobjid, ext):
    """spec-PLATE-MJD-FIBER.<ext>, the original data release's file name for a spectrum."""
    plate, mjd, fiber = decode_specobjid(specobjid)
    return "spec-%04d-%05d-%04d.%s" % (plate, mjd, fiber, ext)
