"""The `refcat` command: one subcommand a job, each a thin call into a module.

Each part of the package registers its subcommands in its own `commands.py`
(`register(subparsers)`), so that parts stay independent. Handlers import heavy
libraries (torch) inside their body, never at module import.
A `RefcatError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from contextlib import contextmanager
from importlib import import_module
from typing import Callable, Iterable, Iterator

from refcat.errors import RefcatError

DEFAULT_DB = "sqlite:///refcat.db"
COMMAND_MODULES = (
    "refcat.datasets.commands",
    "refcat.annotate.commands",
    "refcat.analysis.agreement_commands",
    "refcat.analysis.commands",
    "refcat.categorize.commands",
    "refcat.categorize.augment_commands",
    "refcat.refvos_model.commands",
)


def add_db_option(parser: argparse.ArgumentParser) -> None:
    """`--db URL`: the store (an SQLAlchemy URL or a path to a SQLite file); default $REFCAT_DB."""
    parser.add_argument(
        "--db",
        default=os.environ.get("REFCAT_DB", DEFAULT_DB),
        help="store: SQLAlchemy URL or SQLite file path (default: $REFCAT_DB or %(default)s)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refcat",
        description="Referring expressions for video object segmentation: annotate, agree, augment, train, analyse.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        result = args.func(args)
    except RefcatError as exc:
        print(f"refcat {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"refcat {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
