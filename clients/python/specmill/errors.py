"""The client's exceptions: one small hierarchy, each carrying the server's message.

    SpecmillError                 base of everything the client raises on purpose
      ConnectionError             the service cannot be reached (refused, DNS, timeout, cut short)
      AuthenticationError         401 / 403: no token, or a token the context does not accept
      NotFoundError               404: unknown context or route, none of the IDs found
      InvalidArgumentError        400 / 413: bad parameters, malformed IDs, over the limits
      ServerError                 5xx, or a reply the client cannot read

Each also derives from the matching builtin (ConnectionError, PermissionError, LookupError,
ValueError, RuntimeError), so code written against those keeps working.
"""
import builtins


class SpecmillError(Exception):
    """Base class. `status` is the HTTP status (None when no reply came), `kind` the server's
    error kind (invalid_argument, not_found, ...), `message` the server's message."""

    def __init__(self, message, status=None, kind=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.kind = kind

    def __str__(self):
        return self.message


class ConnectionError(SpecmillError, builtins.ConnectionError):
    """The service could not be reached or the transfer broke off."""


class AuthenticationError(SpecmillError, builtins.PermissionError):
    """401 (no token given where one is needed) or 403 (a token that is not accepted)."""


class NotFoundError(SpecmillError, LookupError):
    """404: an unknown context/profile/route, or none of the requested IDs found."""


class InvalidArgumentError(SpecmillError, ValueError):
    """400 or 413, or a request the client itself refuses before sending it."""


class ServerError(SpecmillError, RuntimeError):
    """5xx, or a reply the client cannot decode."""


def error_for_status(status, message, kind=None):
    """The exception for an HTTP error status."""
    if status in (401, 403):
        cls = AuthenticationError
    elif status == 404:
        cls = NotFoundError
    elif status in (400, 405, 411, 413, 414, 422):
        cls = InvalidArgumentError
    elif status >= 500:
        cls = ServerError
    else:
        cls = SpecmillError
    return cls(message, status=status, kind=kind)
