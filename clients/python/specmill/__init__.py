"""specmill: a Python client of the specmill spectroscopic data service.

    from specmill import client as spec
    ids = spec.query(0.125, 12.123, 0.1)
    data = spec.getSpec(ids, align=True)

See specmill.client for the interface and specmill.errors for the exceptions.
"""
from . import errors  # noqa: F401
from .client import SpecClient, getClient  # noqa: F401
from .local import LocalClient, open_store  # noqa: F401 (the engine in-process; its module loads on first use)
from .calibrate import calibrate_and_stack, calibrate_to_photometry  # noqa: F401
from .errors import (AuthenticationError, ConnectionError, InvalidArgumentError, NotFoundError,  # noqa: F401
                     ServerError, SpecmillError)

__version__ = "0.1.0"
