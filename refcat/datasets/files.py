"""Checks every reader makes on the files it opens: there, a file, decodable, CSV rows readable, names plain.

Conventions:
- A file a reader needs is a regular file. An absent one raises MissingDataError; a folder (or
  anything else that is not a regular file) in its place raises FormatError saying what is there,
  never "not found". An optional file that is absent is skipped; one that is a folder is refused.
- Text files are decoded whole; bytes that are not valid in the file's encoding raise FormatError
  naming the line they are on (1-based). "utf-8-sig" accepts and drops a leading BOM.
- CSV rows come with the line each ends on (csv.reader's `line_num`, so 1-based and the header is
  line 1). A row csv cannot read, such as one with a field longer than `csv.field_size_limit()`
  (131,072 characters unless raised), raises FormatError naming its line.
- Names that become parts of paths or instance keys (DAVIS sequences, A2D video ids, campaign and
  export file names) are plain names: ASCII letters, digits, '-', '_' and '.', not starting with
  '.', so never '/', '..', a hidden file or an empty name; at most `NAME_MAX` characters.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

from refcat.errors import FormatError, MissingDataError

NAME_MAX = 255  # the longest file name common file systems take
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*")
PLAIN_NAME_EXPECTED = "a plain name: ASCII letters, digits, '-', '_' and '.', not starting with '.'"


def _not_a_file(path: Path, what: str, expected: str, frame: int | None) -> FormatError:
    kind = "a folder" if path.is_dir() else "not a regular file"
    return FormatError(f"the {what} is {kind}", path=path, frame=frame, expected=expected)


def require_file(path: Path, expected: str, *, what: str = "file", frame: int | None = None) -> None:
    """Raise unless `path` is a regular file: MissingDataError when absent, FormatError when something else."""
    if path.is_file():
        return
    if path.exists():
        raise _not_a_file(path, what, expected, frame)
    raise MissingDataError(f"{what} not found", path=path, frame=frame, expected=expected)


def optional_file(path: Path, expected: str, *, what: str = "file") -> bool:
    """True when `path` is a regular file, False when nothing is there; FormatError when something else is."""
    if path.is_file():
        return True
    if path.exists():
        raise _not_a_file(path, what, expected, None)
    return False


def read_text(path: Path, encoding: str, expected: str, *, what: str = "file") -> str:
    """The whole text of a required file (`require_file`), decoded; FormatError naming the line of bad bytes."""
    require_file(path, expected, what=what)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FormatError(f"cannot read the {what} ({exc.strerror})", path=path, expected=expected) from exc
    if encoding == "utf-8-sig" and data.startswith(codecs.BOM_UTF8):
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        name = encoding.removesuffix("-sig")
        raise FormatError(
            f"bytes that are not {name} text ({data[exc.start : exc.end]!r})",
            path=path,
            line=line,
            expected=f"{name} text",
        ) from exc


def csv_rows(path: Path, text: str, expected: str, *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(line, cells) for each row of `text` read as CSV (blank lines give no cells); see the module doc."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FormatError(
                f"cannot read the row ({exc})", path=path, line=reader.line_num, expected=expected
            ) from exc
        yield reader.line_num, cells


def name_problem(name: str, max_length: int = NAME_MAX) -> str | None:
    """Why `name` is not a plain name of at most `max_length` characters (module doc), or None when it is."""
    if not name:
        return "the name is empty"
    if len(name) > max_length:
        return f"the name is {len(name)} characters long, over {max_length}"
    if not PLAIN_NAME.fullmatch(name):
        return f"{name!r} is not a plain name"
    return None
