"""The grammar every command shares, and progress bars.

- Paths a command writes: `--output FILE` for its file (a second file it may also write is
  `--KIND-output`), `--out-dir DIR` for the folder it writes into; their `type=` is
  `OUTPUT_FILE` or `OUTPUT_DIR`, which is how tests/test_cli_grammar.py tells outputs from
  inputs. Every other option is read, not written, and no option name is an output in one
  command and an input in another.
- Lists: `action=ListOption`, comma-separated values (`--sources a,b`); repeating the option
  adds to the list.
- The store: `--db`, from the parent parser `db_parent()`.
- Defaults: `HelpFormatter` appends them to the help of every option that has one (not for
  None, flags and empty lists: there the help text says what happens). `RefcatParser` sets it,
  and its subparsers are `RefcatParser`s too.
- Renamed options keep their former names for one release (`action=Renamed`, `renamed_from=`):
  hidden from the help, they print one warning line naming the new name.
"""

from __future__ import annotations

import argparse
import copy
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from refcat.store.database import DEFAULT_DB

if TYPE_CHECKING:
    # what `add_subparsers` returns, as each module's `register` receives it (not subscriptable at run time)
    Subparsers: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]

T = TypeVar("T")


class PathRole:
    """`type=` of an option naming a path the command writes: the text as a `Path`, and the role."""

    def __init__(self, role: str) -> None:
        self.role = role

    def __call__(self, text: str) -> Path:
        return Path(text)

    def __repr__(self) -> str:
        return self.role


OUTPUT_FILE = PathRole("output file")
OUTPUT_DIR = PathRole("output folder")


def warn_deprecated(parser: argparse.ArgumentParser, message: str) -> None:
    """One line on stderr: `PROG: warning: MESSAGE (it goes in the next release)`."""
    print(f"{parser.prog}: warning: {message} (it goes in the next release)", file=sys.stderr)


class Renamed(argparse.Action):
    """`action=` of a renamed option: stores its value as `store` does, and also answers to the
    former names `renamed_from` (one or several), warning that they are deprecated."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, renamed_from: str | Sequence[str], **kwargs: Any
    ) -> None:
        self.former = (renamed_from,) if isinstance(renamed_from, str) else tuple(renamed_from)
        self.current = tuple(option_strings)
        super().__init__([*option_strings, *self.former], dest, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        if option_string in self.former:
            warn_deprecated(parser, f"{option_string} is deprecated, use {self.current[0]}")
        setattr(namespace, self.dest, values)


class FormerPositional(argparse.Action):
    """A positional argument that became the option `renamed_to`: hidden from the help, it stores
    its value (converted by `type`) in that option's destination with a deprecation warning.

    It is optional (`nargs="?"`) and does nothing when absent. argparse would run `type` on an
    absent optional positional's default, so the action converts the value itself.
    """

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        renamed_to: str,
        type: Callable[[str], Any] = str,
        **kwargs: Any,
    ) -> None:
        self.renamed_to = renamed_to
        self.convert = type
        kwargs.pop("required", None)  # add_argument makes a positional without nargs="?" required
        super().__init__(
            option_strings, dest, nargs="?", default=argparse.SUPPRESS, required=False, help=argparse.SUPPRESS, **kwargs
        )

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        warn_deprecated(parser, f"the positional {self.dest.upper()} is deprecated, use {self.renamed_to} {values}")
        setattr(namespace, self.renamed_to.lstrip("-").replace("-", "_"), self.convert(values))


def comma_list(text: str) -> list[str]:
    """`a, b,,c` -> ["a", "b", "c"]: split at commas, spaces around values and empty values dropped."""
    return [value.strip() for value in text.split(",") if value.strip()]


class ListOption(argparse.Action):
    """`action=` of a list option: comma-separated values (`comma_list`); each repetition of the
    option adds to the list, the first replaces the default. `choices` are checked value by value.

    `space_separated=True` also takes the form the option had before (`--sources a b`), with a
    deprecation warning; give it only to options that had that form.
    """

    def __init__(
        self,
        option_strings: Sequence[str],
        dest: str,
        choices: Sequence[str] | None = None,
        space_separated: bool = False,
        metavar: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.allowed = tuple(choices) if choices is not None else None
        if metavar is None and self.allowed is not None:
            metavar = "{" + ",".join(self.allowed) + "}"
        super().__init__(option_strings, dest, nargs="+" if space_separated else None, metavar=metavar, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        texts = list(values) if isinstance(values, list) else [values]
        parsed = [value for text in texts for value in comma_list(text)]
        if len(texts) > 1:
            warn_deprecated(parser, f"space-separated values are deprecated, give {option_string} {','.join(parsed)}")
        if self.allowed is not None:
            for value in parsed:
                if value not in self.allowed:
                    raise argparse.ArgumentError(
                        self, f"invalid choice: {value!r} (choose from {', '.join(self.allowed)})"
                    )
        current = getattr(namespace, self.dest, None)
        earlier = [] if current is None or current is self.default else list(current)
        setattr(namespace, self.dest, earlier + parsed)


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, plus: `(default: X)` after each option's help when X says something
    (not None, False of a flag, or an empty list; lists shown comma-separated); former names of
    renamed options left out; list options shown as `VALUE[,...]`."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if (
            default is None
            or default is argparse.SUPPRESS
            or action.nargs == 0
            or (not action.option_strings and action.nargs not in ("?", "*"))
        ):
            return text
        if isinstance(default, list | tuple):
            if not default:
                return text
            default = ",".join(map(str, default))
        shown = str(default).replace("%", "%%")
        return f"{text} (default: {shown})" if text else f"(default: {shown})"

    def _format_action_invocation(self, action: argparse.Action) -> str:
        if isinstance(action, Renamed):
            action = copy.copy(action)
            action.option_strings = list(action.current)
        return super()._format_action_invocation(action)

    def _format_args(self, action: argparse.Action, default_metavar: str) -> str:
        if isinstance(action, ListOption):
            (metavar,) = self._metavar_formatter(action, default_metavar)(1)
            return f"{metavar}[,...]"
        return super()._format_args(action, default_metavar)


class RefcatParser(argparse.ArgumentParser):
    """An ArgumentParser with `HelpFormatter`; `add_subparsers` makes its subparsers of this class."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(**kwargs)


def db_parent() -> RefcatParser:
    """The parent parser (`parents=[db_parent()]`) of every command that uses the store: `--db URL`,
    an SQLAlchemy URL or a path to a SQLite file; its default is $REFCAT_DB as set now, else DEFAULT_DB."""
    parent = RefcatParser(add_help=False)
    parent.add_argument(
        "--db",
        default=os.environ.get("REFCAT_DB", DEFAULT_DB),
        metavar="URL",
        help="store: SQLAlchemy URL or SQLite file path; $REFCAT_DB sets the default",
    )
    return parent


@contextmanager
def progress_bar(desc: str, unit: str = "video") -> Iterator[Callable[..., Iterable[Any]]]:
    """A tqdm factory for library calls that take `progress=`.

    Every bar it made is closed on leaving the block, so that an error is printed on a
    line of its own rather than glued to a half-drawn bar.
    """
    from tqdm import tqdm

    bars: list[Any] = []

    def wrap(items: Iterable[T], total: int | None = None) -> Iterable[T]:
        bars.append(tqdm(items, total=total, desc=desc, unit=unit))
        bar: Iterable[T] = bars[-1]
        return bar

    try:
        yield wrap
    finally:
        for bar in bars:
            bar.close()
