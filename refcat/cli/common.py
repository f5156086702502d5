"""What every command shares: the `--db` option and progress bars."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from refcat.store.database import DEFAULT_DB


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """`--db URL`: the store (an SQLAlchemy URL or a path to a SQLite file); default $REFCAT_DB."""
    parser.add_argument(
        "--db",
        default=os.environ.get("REFCAT_DB", DEFAULT_DB),
        help="store: SQLAlchemy URL or SQLite file path (default: $REFCAT_DB or %(default)s)",
    )


@contextmanager
def progress_bar(desc: str, unit: str = "video") -> Iterator[Callable[..., Iterable]]:
    """A tqdm factory for library calls that take `progress=`.

    Every bar it made is closed on leaving the block, so that an error is printed on a
    line of its own rather than glued to a half-drawn bar.
    """
    from tqdm import tqdm

    bars = []

    def wrap(items: Iterable, total: int | None = None) -> Iterable:
        bars.append(tqdm(items, total=total, desc=desc, unit=unit))
        return bars[-1]

    try:
        yield wrap
    finally:
        for bar in bars:
            bar.close()
