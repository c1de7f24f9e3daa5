"""HTTP for the client: one request per call, JSON bodies, the X-DL-AuthToken header, errors
mapped to the client's exceptions, streamed downloads with a progress bar, and reads sent
again when a connection fails or a reply is cut short (Transport.resends).

`requests` is used when it is installed (a keep-alive session); otherwise the standard
library's urllib does the same job, so numpy stays the package's only hard dependency.
"""
import http.client
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

from . import errors

try:  # optional
    import requests as _requests
except ImportError:  # pragma: no cover - exercised by forcing use_requests=False
    _requests = None

CHUNK = 1 << 20  # bytes read from the socket at a time


def _error_from_body(status, body, content_type=""):
    """The exception for an error reply: the server's {error, message} JSON when it is that."""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else str(body)
    kind, message = None, text.strip() or "HTTP %d" % status
    if "json" in content_type or text.lstrip().startswith("{"):
        try:
            j = json.loads(text)
            if isinstance(j, dict) and "message" in j:
                kind, message = j.get("error"), str(j["message"])
        except ValueError:
            pass
    return errors.error_for_status(status, message, kind)


class Progress:
    """A one-line progress bar on stderr for a download: a bar when the size is known, else
    bytes and rate. Redrawn at most every `every` seconds; nothing is drawn when disabled."""

    def __init__(self, label, total=None, enabled=True, stream=None, every=0.2):
        self.label, self.total, self.enabled = label, total, enabled
        self.stream = stream or sys.stderr
        self.every = every
        self.done = 0
        self.t0 = time.monotonic()
        self._last = self.t0  # the first draw after `every`: short transfers show one final line
        self.drawn = False

    def update(self, n):
        self.done += n
        if self.enabled:
            now = time.monotonic()
            if now - self._last >= self.every:
                self._last = now
                self._draw(now)

    def _draw(self, now):
        dt = max(now - self.t0, 1e-9)
        mb, rate = self.done / 1e6, self.done / 1e6 / dt
        if self.total:
            frac = min(self.done / self.total, 1.0)
            bar = "#" * int(frac * 30)
            line = "%s [%-30s] %3d%% %.1f/%.1f MB %.1f MB/s" % (self.label, bar, frac * 100, mb, self.total / 1e6, rate)
        else:
            line = "%s %.1f MB %.1f MB/s %.1f s" % (self.label, mb, rate, dt)
        self.stream.write("\r" + line)
        self.stream.flush()
        self.drawn = True

    def close(self, note=""):
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write((" " + note if note else "") + "\n")
            self.stream.flush()


class Reply:
    """What a call gets back: status, headers (a dict with lower-case keys) and the body (a
    bytearray: arrays viewed on it are writable)."""

    def __init__(self, status, headers, content):
        self.status, self.headers, self.content = status, headers, content

    @property
    def text(self):
        return self.content.decode("utf-8", "replace")

    def json(self):
        try:
            return json.loads(self.content)
        except ValueError as e:
            raise errors.ServerError("the service's reply is not JSON: %s" % self.text[:200], status=self.status) from e


class _Resendable(errors.ConnectionError):
    """A request that may be sent again: the connection was refused or reset, or the reply was
    cut short (a replica that died mid-reply, which a load balancer cannot retry once the
    headers have reached us). Not a timeout: a slow reply would be slow again."""


# Gateway replies of a load balancer whose upstream failed (nginx: no live upstream, or the
# upstream broke before its headers); the service itself never sends these.
_GATEWAY = (502, 504)


class Transport:
    """One service URL and how to reach it. `token`: the default X-DL-AuthToken.

    `resends`: how many times a read (every route the client calls) is sent again when its
    connection was refused or reset or its reply cut short, after 0.2 s, 0.4 s, ...: behind
    replicas (docs/deploy.md) a killed replica then costs a user no reply. `resent` counts them."""

    def __init__(self, url, token=None, timeout=600.0, use_requests=None, resends=2):
        self.url = url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.use_requests = (_requests is not None) if use_requests is None else (use_requests and _requests is not None)
        self._session = None
        self.resends = resends
        self.resent = 0

    def _headers(self, token, json_body):
        h = {"User-Agent": "specmill-python-client"}
        tok = token if token is not None else self.token
        if tok:
            h["X-DL-AuthToken"] = tok
        if json_body is not None:
            h["Content-Type"] = "application/json"
        return h

    def request(self, method, path, params=None, body=None, token=None, timeout=None, progress=None, url=None):
        """Sends one request and returns a Reply, reading the body in CHUNK pieces (reported to
        `progress`, a Progress). params: the query string; body: a dict sent as JSON. Raises
        the client's exceptions for errors and broken transfers."""
        base = (url or self.url).rstrip("/")
        full = base + path
        params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        data = json.dumps(body, default=_json_default).encode() if body is not None else None
        headers = self._headers(token, body)
        timeout = self.timeout if timeout is None else timeout
        send = self._via_requests if self.use_requests else self._via_urllib
        for attempt in range(self.resends + 1):
            try:
                reply = send(method, full, params, data, headers, timeout, progress)
            except _Resendable:
                if attempt == self.resends:
                    raise
            else:
                if reply.status not in _GATEWAY:
                    return reply
                if attempt == self.resends:
                    raise _error_from_body(reply.status, reply.content, reply.headers.get("content-type", ""))
            self.resent += 1
            if progress is not None:
                progress.done = 0
            time.sleep(0.2 * 2 ** attempt)

    # --- requests ---------------------------------------------------------------------------
    def _via_requests(self, method, full, params, data, headers, timeout, progress):
        if self._session is None:
            self._session = _requests.Session()
        try:
            r = self._session.request(method, full, params=params, data=data, headers=headers,
                                      timeout=timeout, stream=True)
        except _requests.Timeout as e:
            raise errors.ConnectionError("no reply from %s within %s s" % (full, timeout)) from e
        except _requests.ConnectionError as e:
            raise _Resendable("cannot reach the service at %s: %s" % (full, _reason(e))) from e
        except _requests.RequestException as e:
            raise errors.ConnectionError("cannot reach the service at %s: %s" % (full, _reason(e))) from e
        with r:
            headers_out = {k.lower(): v for k, v in r.headers.items()}
            if progress is not None and headers_out.get("content-length", "").isdigit():
                progress.total = int(headers_out["content-length"])
            try:
                content = bytearray()  # grows in place (large blocks are remapped, not copied)
                for chunk in r.iter_content(CHUNK):
                    content += chunk
                    if progress is not None:
                        progress.update(len(chunk))
            except _requests.Timeout as e:
                raise errors.ConnectionError("no data from %s within %s s" % (full, timeout), status=r.status_code) from e
            except _requests.RequestException as e:
                raise _Resendable("the transfer from %s broke off: %s" % (full, _reason(e)), status=r.status_code) from e
        _check_length(full, r.status_code, headers_out, content)
        if r.status_code >= 400 and r.status_code not in _GATEWAY:
            raise _error_from_body(r.status_code, content, headers_out.get("content-type", ""))
        return Reply(r.status_code, headers_out, content)

    # --- urllib -----------------------------------------------------------------------------
    def _via_urllib(self, method, full, params, data, headers, timeout, progress):
        if params:
            full += ("&" if "?" in full else "?") + urllib.parse.urlencode(params)
        req = urllib.request.Request(full, data=data, headers=headers, method=method)
        try:
            resp = urllib.request.urlopen(req, timeout=timeout)
        except urllib.error.HTTPError as e:
            body = e.read()
            if e.code in _GATEWAY:
                return Reply(e.code, {k.lower(): v for k, v in e.headers.items()}, bytearray(body))
            raise _error_from_body(e.code, body, e.headers.get("Content-Type", "")) from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            kind = errors.ConnectionError if isinstance(reason, TimeoutError) or "timed out" in str(reason) else _Resendable
            raise kind("cannot reach the service at %s: %s" % (full, reason)) from e
        with resp:
            headers_out = {k.lower(): v for k, v in resp.headers.items()}
            if progress is not None and headers_out.get("content-length", "").isdigit():
                progress.total = int(headers_out["content-length"])
            content = bytearray()
            try:
                while True:
                    chunk = resp.read(CHUNK)
                    if not chunk:
                        break
                    content += chunk
                    if progress is not None:
                        progress.update(len(chunk))
            except TimeoutError as e:
                raise errors.ConnectionError("no data from %s within %s s" % (full, timeout), status=resp.status) from e
            except (OSError, http.client.HTTPException) as e:  # IncompleteRead: the stream was cut short
                raise _Resendable("the transfer from %s broke off: %r" % (full, e), status=resp.status) from e
        _check_length(full, resp.status, headers_out, content)
        return Reply(resp.status, headers_out, content)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def close(self):
        if self._session is not None:
            self._session.close()
            self._session = None


def _check_length(full, status, headers, content):
    """A reply shorter than its Content-Length was cut (Debian's urllib3 1.26 hands the short
    body back without an error). With a Content-Encoding the length is of the encoded bytes."""
    length = headers.get("content-length", "")
    if length.isdigit() and "content-encoding" not in headers and int(length) != len(content):
        raise _Resendable("the transfer from %s broke off: %d of %s bytes" % (full, len(content), length), status=status)


def _reason(e):
    """A short reason for a requests exception (its nested urllib3 text is long)."""
    text = str(e)
    for marker in ("Connection refused", "Name or service not known", "timed out", "Connection reset",
                   "Connection broken", "IncompleteRead", "Max retries exceeded"):
        if marker in text:
            return marker
    return text[:200]


def _param(v):
    """A query-string value: booleans as True/False (what the service's flags accept)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    return v


def _json_default(o):
    """numpy scalars and arrays in a JSON body."""
    try:
        import numpy as np
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
    except ImportError:  # pragma: no cover
        pass
    raise TypeError("cannot send %r as JSON" % (o,))


def env_token():
    """The token from the environment: SPECMILL_AUTH_TOKEN, else DL_AUTH_TOKEN."""
    return os.environ.get("SPECMILL_AUTH_TOKEN") or os.environ.get("DL_AUTH_TOKEN") or None
