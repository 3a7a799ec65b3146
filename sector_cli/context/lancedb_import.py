"""Import LanceDB without paying for the REST client it never uses here.

`import lancedb` imports `lance_namespace_urllib3_client`, an OpenAPI client for remote
catalogs whose every API method is wrapped in pydantic's `validate_call`, and pydantic builds
each wrapper's validation schema at import time: about a third of a second of a cold
`sector context search`, for a client that a local index never calls. While LanceDB is
imported, `validate_call` wraps instead with a decorator that builds the real validator on the
first call, so validation is deferred, never skipped: a method that is called validates its
arguments exactly as before.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

_lock = threading.Lock()


def import_lancedb() -> ModuleType:
    """`lancedb`, imported once per process with pydantic's call validation deferred."""
    if "lancedb" in sys.modules:
        return sys.modules["lancedb"]
    with _lock, _deferred_validate_call():
        import lancedb

        return lancedb


@contextmanager
def _deferred_validate_call() -> Iterator[None]:
    import pydantic

    eager = pydantic.validate_call
    pydantic.validate_call = _deferring(eager)
    try:
        yield
    finally:
        pydantic.validate_call = eager


def _deferring(eager: Callable[..., Any]) -> Callable[..., Any]:
    """A `validate_call` with the same signature whose validator is built on first use."""

    def validate_call(func: Callable[..., Any] | None = None, /, **options: Any) -> Any:
        def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
            validated: Callable[..., Any] | None = None

            @functools.wraps(function)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                nonlocal validated
                if validated is None:
                    validated = eager(function, **options)
                return validated(*args, **kwargs)

            return wrapper

        return decorate if func is None else decorate(func)

    return validate_call
