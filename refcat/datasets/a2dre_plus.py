"""The released A2Dre+ expressions: eight files, a "with" and a "without" file per category.

Files (FORMATS.md): `A2D_{name}_new_format_all_non_trivial.txt` and `A2D_no_{name}_...` for
name in appearance, spatial (the location category), verb_motion, verb_static. The release is of
A2D; files built for another dataset carry its prefix instead (`file_prefix`: DAVIS17 for DAVIS,
the upper-cased dataset name otherwise), and `read_a2dre_plus` finds the prefix of a folder's files.
- The header is comma-separated, `video_id,instance_id,query`, but data rows are separated by
  semicolons: `XQ2WJo8sLEw;2;the person in gray is walking`. A row is split on its first two
  semicolons only, so the query may hold commas (and semicolons). LF line endings.
- The query is kept exactly as written (stray and double spaces included) so that read, write,
  read loses nothing; `a2dre_plus_instances` normalises whitespace as the A2D reader does.
- The with/without files of a category hold the same keys in the same order; a mismatch raises
  FormatError naming both files and the first differing line.
- `read_a2dre_plus` keeps where each row came from in `df.attrs["a2dre_plus_source"]` (the folder,
  and per (category, polarity) the file line of each `row`), which `row_location` reads, so that a
  later check of a row can name its file and line.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd

from refcat.datasets.files import optional_file, read_text
from refcat.datasets.records import Instance, collapse_spaces
from refcat.errors import FormatError, MissingDataError, RefcatError, UsageError
from refcat.taxonomy import A2DRE_PLUS_CATEGORIES

HEADER = "video_id,instance_id,query"
POLARITIES = ("with", "without")
COLUMNS = ["category", "polarity", "video_id", "instance_id", "query", "row"]
ROW_EXPECTED = "video_id;instance_id;query"
FILES_EXPECTED = "A2D_{appearance,no_appearance,...}_new_format_all_non_trivial.txt (or another dataset's prefix)"
SOURCE_KEY = "a2dre_plus_source"
_SUFFIX = "_new_format_all_non_trivial.txt"
PREFIXES = {"a2d": "A2D", "davis": "DAVIS17"}


def file_prefix(dataset: str) -> str:
    """The prefix of a dataset's A2Dre+ files: A2D (the release's), DAVIS17, else the name upper-cased."""
    return PREFIXES.get(dataset, dataset.upper())


def _base_name(category: str, polarity: str) -> str:
    """A file's name after its prefix and "_": ("location", "without") -> no_spatial_new_format_all_non_trivial.txt."""
    return f"{'' if polarity == 'with' else 'no_'}{A2DRE_PLUS_CATEGORIES[category]}{_SUFFIX}"


def _prefixed_name(prefix: str, category: str, polarity: str) -> str:
    """The file name with the prefix `prefix` (A2D, DAVIS17, ...)."""
    return f"{prefix}_{_base_name(category, polarity)}"


def file_name(category: str, polarity: str, dataset: str = "a2d") -> str:
    """File name of one A2Dre+ file, e.g. ("location", "without") -> A2D_no_spatial_new_format_all_non_trivial.txt."""
    return _prefixed_name(file_prefix(dataset), category, polarity)


def _folder_prefix(directory: Path) -> str:
    """The one prefix of the A2Dre+ files in `directory` (A2D when there are none); FormatError for two."""
    bases = sorted({_base_name(c, p) for c in A2DRE_PLUS_CATEGORIES for p in POLARITIES}, key=len, reverse=True)
    found = set()
    for path in directory.glob(f"*{_SUFFIX}") if directory.is_dir() else ():
        # the longest base name that ends the file name: "A2D_no_spatial..." also ends with "_spatial..."
        base = next((b for b in bases if path.name.endswith("_" + b)), None)
        if base is not None:
            found.add(path.name[: -len(base) - 1])
    if len(found) > 1:
        raise FormatError(
            f"A2Dre+ files of several datasets: {sorted(found)}", path=directory, expected="one prefix a folder"
        )
    return found.pop() if found else PREFIXES["a2d"]


def _read_file(path: Path) -> list[tuple[int, str, int, str]]:
    """(line number, video_id, instance_id, query) for each data row."""
    lines = read_text(path, "utf-8", FILES_EXPECTED, what="A2Dre+ file").split("\n")
    if lines[0].rstrip("\r").strip() != HEADER:
        raise FormatError(f"header {lines[0]!r}", path=path, line=1, expected=HEADER)
    rows = []
    for line_no, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        parts = line.split(";", 2)
        if len(parts) != 3 or not parts[1].strip().isdecimal():
            raise FormatError(f"row {line!r}", path=path, line=line_no, expected=ROW_EXPECTED)
        rows.append((line_no, parts[0], int(parts[1]), parts[2]))
    return rows


# A row as `_check_pair` compares it: (line number, video_id, instance_id, anything after).
KeyedRow = tuple[int, str, int, *tuple[object, ...]]


def _show(key: KeyedRow | None, n_rows: int) -> str:
    return f"line {key[0]} is {key[1]};{key[2]}" if key else f"ends after {n_rows} rows"


def _check_pair(
    with_path: Path,
    with_keys: Sequence[KeyedRow],
    without_path: Path,
    without_keys: Sequence[KeyedRow],
    error: type[RefcatError] = FormatError,
) -> None:
    """Raise `error` when the two files of a category do not hold the same keys in the same order.

    Rows start with (line number, video_id, instance_id); line numbers are only used in the message.
    """
    for i in range(max(len(with_keys), len(without_keys))):
        a = with_keys[i] if i < len(with_keys) else None
        b = without_keys[i] if i < len(without_keys) else None
        if a is None or b is None or a[1:3] != b[1:3]:
            raise error(
                f"{with_path} and {without_path} differ at data row {i + 1}: "
                f"{Path(with_path).name} {_show(a, len(with_keys))}, "
                f"{Path(without_path).name} {_show(b, len(without_keys))}",
                expected="the same video_id;instance_id keys in the same order",
            )


def read_a2dre_plus(directory: str | Path) -> pd.DataFrame:
    """All A2Dre+ files found in `directory` (of one prefix, `_folder_prefix`); a category needs both of its files."""
    directory = Path(directory)
    prefix = _folder_prefix(directory)
    frames = []
    lines: dict[tuple[str, str], list[int]] = {}
    for category in A2DRE_PLUS_CATEGORIES:
        paths = {p: directory / _prefixed_name(prefix, category, p) for p in POLARITIES}
        present = [p for p in POLARITIES if optional_file(paths[p], FILES_EXPECTED, what="A2Dre+ file")]
        if not present:
            continue
        if len(present) == 1:
            missing = paths["without" if present == ["with"] else "with"]
            raise MissingDataError(
                f"{paths[present[0]].name} has no partner file",
                path=missing,
                expected="both the with and the without file of a category",
            )
        rows = {p: _read_file(paths[p]) for p in POLARITIES}
        _check_pair(paths["with"], rows["with"], paths["without"], rows["without"])
        for polarity in POLARITIES:
            lines[(category, polarity)] = [line for line, *_ in rows[polarity]]
            frames.append(
                pd.DataFrame(
                    [(category, polarity, vid, iid, query, n) for n, (_, vid, iid, query) in enumerate(rows[polarity])],
                    columns=COLUMNS,
                )
            )
    if not frames:
        raise MissingDataError(
            "no A2Dre+ files",
            path=directory,
            expected=FILES_EXPECTED,
        )
    df = pd.concat(frames, ignore_index=True)
    df = df.astype({"video_id": str, "instance_id": "int64", "query": str, "row": "int64"})
    df.attrs[SOURCE_KEY] = {"directory": directory, "prefix": prefix, "lines": lines}
    return df


def row_location(df: pd.DataFrame, category: str, polarity: str, row: int) -> tuple[Path | None, int | None]:
    """(file, line) of a row of a table from `read_a2dre_plus`; (None, None) for a table made otherwise."""
    source = df.attrs.get(SOURCE_KEY)
    if source is None:
        return None, None
    line_of_row: list[int] = source["lines"].get((category, polarity), [])
    path: Path = source["directory"] / _prefixed_name(source["prefix"], category, polarity)
    return path, line_of_row[row] if row < len(line_of_row) else None


def write_a2dre_plus(df: pd.DataFrame, directory: str | Path, dataset: str = "a2d") -> list[Path]:
    """Write the files of every category present in `df` (both polarities each), named after `dataset`
    (`file_name`); returns their paths."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise UsageError(f"A2Dre+ table lacks columns {missing}", expected=", ".join(COLUMNS))
    unknown = (set(df["category"]) - set(A2DRE_PLUS_CATEGORIES)) | (set(df["polarity"]) - set(POLARITIES))
    if unknown:
        raise UsageError(
            f"unknown category or polarity {sorted(unknown)}",
            expected=f"categories {list(A2DRE_PLUS_CATEGORIES)}, polarities {list(POLARITIES)}",
        )
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for category in A2DRE_PLUS_CATEGORIES:
        part = df[df["category"] == category]
        if part.empty:
            continue
        rows = {p: part[part["polarity"] == p].sort_values("row", kind="stable") for p in POLARITIES}
        keys = {
            p: [(n + 2, r.video_id, int(r.instance_id)) for n, r in enumerate(rows[p].itertuples())] for p in POLARITIES
        }
        paths = {p: directory / file_name(category, p, dataset) for p in POLARITIES}
        _check_pair(paths["with"], keys["with"], paths["without"], keys["without"], error=UsageError)
        for polarity in POLARITIES:
            lines = [HEADER] + [f"{r.video_id};{int(r.instance_id)};{r.query}" for r in rows[polarity].itertuples()]
            if any("\n" in line or "\r" in line for line in lines):
                raise UsageError(f"a {category}/{polarity} query holds a line break", expected="one line a query")
            paths[polarity].write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")
            written.append(paths[polarity])
    return written


def a2dre_plus_instances(df: pd.DataFrame, dataset: str = "a2d") -> Iterator[Instance]:
    """The A2Dre+ rows as Instances with source `a2dre+:{category}:{polarity}`.

    An object can have several non-trivial REs, so a (video, instance) key can repeat within a
    file; its k-th repetition (k >= 1, in file order) gets the source `a2dre+:{category}:{polarity}:{k}`.
    """
    seen: dict[tuple[str, str, str, int], int] = {}
    for r in df.sort_values(["category", "polarity", "row"], kind="stable").itertuples():
        key = (r.category, r.polarity, r.video_id, int(r.instance_id))
        k = seen.get(key, -1) + 1
        seen[key] = k
        source = f"a2dre+:{r.category}:{r.polarity}" + (f":{k}" if k else "")
        yield Instance(dataset, r.video_id, int(r.instance_id), source, collapse_spaces(r.query))
