"""The `refcat` command: one subcommand a job, each a thin call into the library.

The CLI sits on top of every other package. Each module here registers one group of
subcommands (`register(subparsers)`); a handler is named `cmd_` + its command words
(`cmd_campaign_create`) and imports heavy libraries (torch) inside its body, never at
module import, so that `refcat --help` starts fast. The options follow one grammar
(refcat.cli.common). A `RefcatError` becomes one line on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from importlib import import_module

from refcat.cli.common import RefcatParser
from refcat.errors import RefcatError

COMMAND_MODULES = (
    "refcat.cli.data",
    "refcat.cli.annotate",
    "refcat.cli.agreement",
    "refcat.cli.analysis",
    "refcat.cli.categorize",
    "refcat.cli.augment",
    "refcat.cli.model",
)


def build_parser() -> argparse.ArgumentParser:
    parser = RefcatParser(
        prog="refcat",
        description="Referring expressions for video object segmentation: annotate, agree, augment, train, analyse.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log refcat's debug messages")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if args.verbose:  # refcat's own debug messages; the libraries' (PIL, matplotlib...) stay out
        logging.getLogger("refcat").setLevel(logging.DEBUG)
    try:
        result = args.func(args)
    except RefcatError as exc:
        print(f"refcat {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"refcat {args.command}: interrupted", file=sys.stderr)
        return 130
    return int(result or 0)
