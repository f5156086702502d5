"""Retry a whole store transaction when the database reports a transient conflict.

Transient: SQLite's "database is locked" (another writer held the lock past the busy
timeout) and PostgreSQL's deadlock (SQLSTATE 40P01) and serialization failure (40001).
The failed transaction was rolled back entirely, so running it again cannot apply a
request twice. Other errors pass through unchanged.
"""

from __future__ import annotations

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from sqlalchemy.exc import DBAPIError

from refcat.errors import StoreError

log = logging.getLogger(__name__)
ATTEMPTS = 8
TRANSIENT_PGCODES = {"40P01", "40001"}
P = ParamSpec("P")
R = TypeVar("R")


def is_transient(exc: DBAPIError) -> bool:
    orig = exc.orig
    return getattr(orig, "pgcode", None) in TRANSIENT_PGCODES or "database is locked" in str(orig)


def retry_transient(fn: Callable[P, R]) -> Callable[P, R]:
    """Run `fn` again (with a short random back-off) while it fails with a transient conflict."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return fn(*args, **kwargs)
            except DBAPIError as exc:
                if not is_transient(exc):
                    raise
                if attempt == ATTEMPTS:
                    raise StoreError(
                        f"{fn.__name__}: the store stayed busy through {ATTEMPTS} attempts: {exc.orig}",
                        expected="fewer concurrent writers, or try again",
                    ) from exc
                log.warning(
                    "%s: transient conflict, retrying (attempt %d): %s",
                    fn.__name__,
                    attempt,
                    str(exc.orig).splitlines()[0],
                )
                time.sleep(random.uniform(0, 0.01 * 2**attempt))
        raise AssertionError("unreachable")

    return wrapper
